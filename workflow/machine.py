"""The state machine adapter: one ``transitions.Machine`` per process version, shared by all.

The machine is built once per (process, version) with ``model=None`` and no auto transitions, and
every trigger is fired explicitly on a short-lived ``Firing`` (never ``to_<state>()``, never a
machine per application: both cost far more and bypass the rules). Conditions run the definition's
guards and keep their reasons; ``after`` callbacks only record what happened. No I/O happens here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from transitions import EventData, Machine

from workflow.guards import GuardContext, missing_evidence
from workflow.model import ProcessDefinition, Transition

__all__ = ["Firing", "Moved", "ProcessMachine"]


@dataclass(frozen=True, slots=True)
class Moved:
    """Past-tense event: the application moved from ``source`` to ``dest`` by ``trigger``."""

    trigger: str
    source: str
    dest: str


@dataclass(slots=True)
class Firing:
    """The model a trigger is fired on: a state and the snapshot the guards read."""

    state: str
    context: GuardContext
    refusals: list[str] = field(default_factory=list)
    events: list[Moved] = field(default_factory=list)


class ProcessMachine:
    """Fires triggers of one process definition on ``Firing`` models."""

    def __init__(self, definition: ProcessDefinition) -> None:
        self.definition = definition
        self._machine = Machine(
            model=None,
            states=list(definition.states),
            initial=definition.initial,
            transitions=[
                {
                    "trigger": t.trigger,
                    "source": source,
                    "dest": t.dest,
                    "conditions": [self._check],
                    "after": [self._record],
                }
                for t in definition.transitions
                for source in t.sources
            ],
            auto_transitions=False,
            send_event=True,
        )

    def fire(self, firing: Firing, trigger: str) -> bool:
        """Fire ``trigger``; False (with ``firing.refusals`` filled) when a guard refuses."""
        fired: bool = self._machine.events[trigger].trigger(firing)
        return fired

    def would_fire(self, firing: Firing, trigger: str) -> bool:
        """Whether ``trigger`` would pass its guards now, without moving ``firing``."""
        rule = self.definition.transition(trigger, firing.state)
        if rule is None:
            return False
        firing.refusals = self._refusals(firing, rule)
        return not firing.refusals

    def _rule(self, event: EventData) -> Transition:
        assert event.event is not None and event.transition is not None
        rule = self.definition.transition(event.event.name, event.transition.source)
        assert rule is not None, "the machine and the definition disagree"
        return rule

    def _check(self, event: EventData) -> bool:
        firing = cast(Firing, event.model)
        firing.refusals = self._refusals(firing, self._rule(event))
        return not firing.refusals

    @staticmethod
    def _refusals(firing: Firing, rule: Transition) -> list[str]:
        refusals = missing_evidence(firing.context, rule.requires)
        for guard in rule.guards:
            reason = guard(firing.context)
            if reason is not None:
                refusals.append(reason)
        return refusals

    @staticmethod
    def _record(event: EventData) -> None:
        # An 'after' callback: the model is already in the destination, the transition knows
        # where it came from.
        assert event.event is not None and event.transition is not None
        firing = cast(Firing, event.model)
        firing.events.append(
            Moved(event.event.name, event.transition.source, str(event.transition.dest))
        )

    def __getstate__(self) -> dict[str, Any]:  # pragma: no cover - machines are not pickled
        raise TypeError("ProcessMachine is shared in-process and is not picklable")
