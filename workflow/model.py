"""The vocabulary of a certification process definition: states, transitions, deadlines, roles.

A process definition is plain frozen data. The state machine (``workflow.machine``) is built from
it; the engine (``workflow.engine``) reads it to check roles, evidence and guards, to compute
deadlines and to decide which effects a transition emits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workflow.guards import Guard
    from workflow.policy import Policy

__all__ = [
    "ClockRule",
    "Court",
    "Deadline",
    "Expiry",
    "Field",
    "Phase",
    "ProcessDefinition",
    "Role",
    "State",
    "Transition",
    "Unit",
]


class Role(StrEnum):
    """Who a user is to sertiflow."""

    ADMIN = "admin"
    CONSULTANT = "consultant"
    UMKM = "umkm"


class Court(StrEnum):
    """Whose court the ball is in while an application sits in a state."""

    UMKM = "umkm"
    CONSULTANT = "consultant"
    AGENCY = "agency"


class Phase(StrEnum):
    """Where a state lies in an application's life: still moving, certified, or closed."""

    PIPELINE = "pipeline"
    CERTIFIED = "certified"
    CLOSED = "closed"


class Unit(StrEnum):
    """How a deadline is counted."""

    WORKING_DAYS = "hk"
    CALENDAR_DAYS = "days"
    MONTHS = "months"


_DEADLINE_TEXT = re.compile(r"^\s*(\d+)\s*(hk|days|d|months|m)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Deadline:
    """A time limit for a state: ``amount`` ``unit`` from entering it, with where it comes from.

    ``basis`` is ``law`` (a regulation fixes it), ``practice`` (an agency's or LSPro's stated
    practice), ``agreed`` (the office's own service target), ``unconfirmed`` (DOMAIN.md could not
    confirm it) or, for an office's own override, ``configured``. Every deadline can be
    overridden per office (``Policy.deadline_overrides``).
    """

    amount: int
    unit: Unit
    basis: str
    source: str = ""

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.value}"

    @property
    def legal(self) -> bool:
        """A time limit the law sets; every other basis is a service target (an agency's
        practice, the office's own target, an unconfirmed figure or the office's setting)."""
        return self.basis == "law"

    @property
    def kind(self) -> str:
        """``law`` for a legal time limit, ``target`` for a service target."""
        return "law" if self.legal else "target"

    @classmethod
    def parse(cls, text: str, basis: str = "configured") -> Deadline:
        """Read ``"5hk"``, ``"30 days"`` or ``"2 months"`` as a deadline."""
        match = _DEADLINE_TEXT.match(text)
        if match is None:
            raise ValueError(
                f"cannot read deadline {text!r}: write a number and a unit, e.g. 5hk, 30days, "
                "2months (hk = working days)"
            )
        unit = {"hk": Unit.WORKING_DAYS, "days": Unit.CALENDAR_DAYS, "d": Unit.CALENDAR_DAYS}.get(
            match.group(2).lower(), Unit.MONTHS
        )
        return cls(int(match.group(1)), unit, basis)


class ClockRule(StrEnum):
    """What a transition does to the application's deadline."""

    RESTART = "restart"  # the destination state's own deadline, counted from now
    KEEP = "keep"  # the deadline runs on (lab testing counts within the LPH audit)
    EXTEND = "extend"  # the current deadline moved by ``Transition.extend_by``


@dataclass(frozen=True, slots=True)
class State:
    """One stage of a process."""

    name: str
    label: str
    label_en: str
    court: Court
    phase: Phase = Phase.PIPELINE
    deadline: Deadline | None = None
    # (flag, deadline) pairs: the first flag set on the application picks its deadline.
    deadline_if: tuple[tuple[str, Deadline], ...] = ()
    tags: frozenset[str] = frozenset()
    hint: str = ""  # what the UMKM must do next, in Bahasa Indonesia
    hint_en: str = ""  # the same hint in English, for UMKM owners who prefer English emails
    # Documents the packet of this stage holds, besides the covering letter and the checklist:
    # template names under templates/documents/ (``halal/product_list`` ...).
    documents: tuple[str, ...] = ()

    @property
    def final(self) -> bool:
        """A closed state has no way out."""
        return self.phase is Phase.CLOSED


@dataclass(frozen=True, slots=True)
class Field:
    """A value a trigger must carry, e.g. the certificate number when the certificate is issued."""

    name: str
    label: str
    kind: str = "text"  # "text" | "date"
    pattern: str | None = None
    example: str = ""
    required: bool = True
    default_today: bool = False  # a date field left out means today
    allow_future: bool = False  # dates are of what happened, except e.g. a new expiry


Expiry = Callable[["date", "date | None", "Policy"], "date | None"]
"""How a certificate's expiry follows from its issue date, the filing date and the policy."""


@dataclass(frozen=True, slots=True)
class Transition:
    """A trigger that moves an application from one of ``sources`` to ``dest``.

    ``agency`` names the outside body whose act the trigger records (BPJPH, LPH, DJKI ...): the
    consultant records it, and the audit row names the agency as the source.
    """

    trigger: str
    sources: tuple[str, ...]
    dest: str
    roles: frozenset[Role]
    label: str
    agency: str | None = None
    requires: tuple[str, ...] = ()  # evidence kinds that must be valid in the dossier
    guards: tuple[Guard, ...] = ()
    fields: tuple[Field, ...] = ()
    clock: ClockRule = ClockRule.RESTART
    extend_by: Deadline | None = None
    sets_flags: tuple[str, ...] = ()
    opens: str | None = None  # a process key: a linked application is opened in the same step
    notify: frozenset[Role] = frozenset({Role.UMKM, Role.CONSULTANT})


@dataclass(frozen=True)
class ProcessDefinition:
    """One version of one certification process."""

    key: str
    version: int
    title: str
    title_en: str
    regulation: str
    initial: str
    states: Mapping[str, State]
    transitions: tuple[Transition, ...]
    certificate_number: Field | None = None
    certificate_expiry: Expiry | None = None
    description: str = ""
    details: tuple[str, ...] = ()
    """The application details its documents print (mark name, LPH ...): the only ones it
    accepts."""
    path_deadline: Deadline | None = None
    """A target for the whole path, beside each stage's deadline: counted from the last time the
    application entered ``path_from`` until its certificate (the self-declare path's 12 working
    days from submission). Overridable as ``KEY.PATH``."""
    path_from: str = ""
    _index: dict[tuple[str, str], Transition] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[tuple[str, str], Transition] = {}
        for transition in self.transitions:
            for source in transition.sources:
                pair = (transition.trigger, source)
                if pair in index:
                    raise ValueError(f"{self.key} v{self.version}: {pair} is defined twice")
                index[pair] = transition
        object.__setattr__(self, "_index", index)

    @property
    def ident(self) -> str:
        """``key@version``, as stored with every application."""
        return f"{self.key}@{self.version}"

    def transition(self, trigger: str, source: str) -> Transition | None:
        """The transition ``trigger`` fires from ``source``, if there is one."""
        return self._index.get((trigger, source))

    def transitions_from(self, source: str) -> list[Transition]:
        """Every transition leaving ``source``, in definition order."""
        return [t for t in self.transitions if source in t.sources]

    @property
    def triggers(self) -> list[str]:
        """Every trigger name, once, in definition order."""
        return list(dict.fromkeys(t.trigger for t in self.transitions))

    def keeps_clock_of(self, name: str) -> tuple[str, ...]:
        """The states whose running deadline state ``name`` keeps, when every way into it keeps
        the clock (lab testing counts within the LPH audit; the Pendamping PPH's 10 working days
        run from the submission): its own deadline, if any, never applies. Else ``()``."""
        into = [t for t in self.transitions if t.dest == name]
        if name == self.initial or not into or any(t.clock is not ClockRule.KEEP for t in into):
            return ()
        return tuple(dict.fromkeys(source for t in into for source in t.sources))
