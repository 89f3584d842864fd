"""The domain: certification processes as data, the engine that moves applications through
them, persistence with an audit chain and an outbox, the working-day calendar, and the backlog
queries.

Contract: ``workflow`` imports no outer layer (``documents``, ``workers``, ``web``, the CLI) and no
framework for them (Celery, WeasyPrint, FastAPI); nothing here reads the environment at import.
Its public entry points are the names below; the rest of each module is its own business.
"""

from workflow.engine import Engine, TransitionResult, TriggerOption
from workflow.errors import (
    ConflictError,
    GuardRefused,
    InvalidInput,
    NotFound,
    NotPermitted,
    SertiflowError,
    TriggerNotAllowed,
)
from workflow.model import ProcessDefinition, Role
from workflow.policy import Policy
from workflow.processes import ProcessRegistry
from workflow.settings import Settings

__all__ = [
    "ConflictError",
    "Engine",
    "GuardRefused",
    "InvalidInput",
    "NotFound",
    "NotPermitted",
    "Policy",
    "ProcessDefinition",
    "ProcessRegistry",
    "Role",
    "SertiflowError",
    "Settings",
    "TransitionResult",
    "TriggerNotAllowed",
    "TriggerOption",
]
