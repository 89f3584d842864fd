"""The dates a step sets: the deadline of the state it enters, and the certificate's dates.

A state's deadline is counted from the day it is entered (the office's date), in the unit the
law uses, unless the office overrides it; a flag on the application may pick a variant (an
opposed trademark gets 90 days of substantive examination instead of 30). An office's override
of a state (``trademark.SUBSTANTIVE_EXAM``) covers its variants too, unless the variant has one of
its own (``trademark.SUBSTANTIVE_EXAM.opposed``). A transition may keep the running deadline (lab
testing counts within the LPH audit; the Pendamping PPH's 10 working days run from the submission)
or extend it (an approved audit extension).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from workflow.calendar import WorkingCalendar
from workflow.model import ClockRule, Deadline, ProcessDefinition, State, Transition
from workflow.policy import Policy

__all__ = ["DateRules", "flags_of", "state_deadline"]


def flags_of(text: str) -> frozenset[str]:
    """The flags stored as ``a,b`` on an application."""
    return frozenset(flag for flag in text.split(",") if flag)


def state_deadline(
    policy: Policy, process_key: str, state: State, flags: frozenset[str]
) -> Deadline | None:
    """The deadline an application entering ``state`` with ``flags`` gets: the variant the first
    set flag picks, else the state's own; the office's override of the variant, else of the
    state, replaces it."""
    spec, variant = state.deadline, None
    for flag, candidate in state.deadline_if:
        if flag in flags:
            spec, variant = candidate, f"{state.name}.{flag}"
            break
    spec = policy.deadline(process_key, state.name, spec)
    if variant is not None:
        spec = policy.deadline(process_key, variant, spec)
    return spec


@dataclass(frozen=True)
class DateRules:
    """Deadlines and certificate dates under one office's policy and calendar."""

    policy: Policy
    calendar: WorkingCalendar

    def due(
        self, definition: ProcessDefinition, state: State, today: date, flags: frozenset[str]
    ) -> date | None:
        """The deadline of ``state`` entered on ``today``, or None if it has none."""
        spec = state_deadline(self.policy, definition.key, state, flags)
        return None if spec is None else self.calendar.due(today, spec)

    def next_deadline(
        self,
        definition: ProcessDefinition,
        rule: Transition,
        current: date | None,
        today: date,
        flags: frozenset[str],
        *,
        source: str | None = None,
        entered_on: date | None = None,
    ) -> date | None:
        """The deadline after ``rule`` fires from ``source`` (entered on ``entered_on``), given
        the ``current`` one.

        A kept clock with no deadline running (the application entered ``source`` before that
        state had one) is the deadline ``source`` has now, counted from the day it was entered:
        the Pendamping PPH's 10 working days still run from the submission.
        """
        if rule.clock is ClockRule.KEEP:
            if current is None and source is not None and entered_on is not None:
                return self.due(definition, definition.states[source], entered_on, flags)
            return current
        if rule.clock is ClockRule.EXTEND:
            extension = self.policy.deadline(definition.key, rule.trigger, rule.extend_by)
            base = current or today
            return base if extension is None else self.calendar.due(base, extension)
        return self.due(definition, definition.states[rule.dest], today, flags)

    def certificate(
        self, definition: ProcessDefinition, app: Any, values: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Filing and certificate dates after a step that carried ``values``."""
        result = {
            "filed_on": values.get("filed_on", app.filed_on),
            "certificate_number": values.get("certificate_number", app.certificate_number),
            "certificate_issued_on": values.get("issued_on", app.certificate_issued_on),
            "certificate_expires_on": values.get("expires_on", app.certificate_expires_on),
        }
        if "certificate_number" in values and definition.certificate_expiry is not None:
            result["certificate_expires_on"] = definition.certificate_expiry(
                values["issued_on"], result["filed_on"], self.policy
            )
        return result
