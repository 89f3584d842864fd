"""Errors the engine raises: each says what is wrong and what is allowed instead."""

from __future__ import annotations

__all__ = [
    "ConflictError",
    "GuardRefused",
    "InvalidInput",
    "NotFound",
    "NotPermitted",
    "SertiflowError",
    "TriggerNotAllowed",
]


class SertiflowError(Exception):
    """Base of every error sertiflow reports to a user; ``code`` is stable for ``--json``."""

    code = "error"


class NotFound(SertiflowError):
    """An application, user, UMKM or process that does not exist."""

    code = "not_found"


class InvalidInput(SertiflowError):
    """A value that cannot be accepted (a field, a date, a file row)."""

    code = "invalid_input"


class TriggerNotAllowed(SertiflowError):
    """The trigger does not exist in the application's current state."""

    code = "trigger_not_allowed"


class NotPermitted(SertiflowError):
    """The user's role, or their relation to the application, does not allow the action."""

    code = "not_permitted"


class GuardRefused(SertiflowError):
    """A guard refused the transition; ``reasons`` lists every reason, not just the first."""

    code = "guard_refused"

    def __init__(self, message: str, reasons: list[str]) -> None:
        super().__init__(message)
        self.reasons = reasons


class ConflictError(SertiflowError):
    """Someone else changed the application first (optimistic lock)."""

    code = "conflict"
