"""A process's rules in words, for a reviewer who audits them without reading code.

Each state's deadline as the office applies it (the law's time limit or a service target, with
its source; the office's override; the variants a flag picks; the running deadline a state keeps),
and each transition's guards, each with a sentence saying what it checks under the office's
policy. ``sertiflow process show`` prints them as a table or JSON.
"""

from __future__ import annotations

from typing import Any

from workflow.dates import state_deadline
from workflow.model import Deadline, ProcessDefinition, State
from workflow.policy import Policy

__all__ = [
    "after_certificate",
    "deadline_kind",
    "deadline_view",
    "path_rule",
    "state_rules",
    "transition_rules",
]


def deadline_kind(definition: ProcessDefinition, name: str, policy: Policy) -> str | None:
    """``law`` when an application in state ``name`` runs against a legal time limit,
    ``target`` when against a service target, None when it has no deadline; a state that keeps
    another's clock (lab testing in the LPH audit) runs against that state's deadline."""
    kept = definition.keeps_clock_of(name)
    state = definition.states[kept[0] if kept else name]
    spec = state_deadline(policy, definition.key, state, frozenset())
    return None if spec is None else spec.kind


def deadline_view(deadline: Deadline | None) -> dict[str, Any]:
    """``deadline`` as JSON-ready fields: amount and unit, basis, law or target, source."""
    if deadline is None:
        return {"deadline": None, "basis": None, "kind": None, "source": None}
    return {
        "deadline": str(deadline),
        "basis": deadline.basis,
        "kind": deadline.kind,
        "source": deadline.source,
    }


def _state_rule(definition: ProcessDefinition, state: State, policy: Policy) -> dict[str, Any]:
    kept = definition.keeps_clock_of(state.name)
    if kept:
        holder = definition.states[kept[0]]
        view = deadline_view(state_deadline(policy, definition.key, holder, frozenset()))
        view["source"] = f"kept from {', '.join(kept)}: " + (view["source"] or "")
    else:
        view = deadline_view(state_deadline(policy, definition.key, state, frozenset()))
    variants = [
        {
            "flag": flag,
            **deadline_view(state_deadline(policy, definition.key, state, frozenset({flag}))),
        }
        for flag, _variant in state.deadline_if
    ]
    return {
        "state": state.name,
        "label": state.label,
        "court": state.court.value,
        "phase": state.phase.value,
        **view,
        "keeps_clock_of": list(kept),
        "variants": variants,
    }


def state_rules(definition: ProcessDefinition, policy: Policy) -> list[dict[str, Any]]:
    """Every state with the deadline the office applies (``kind``: ``law`` or ``target``)."""
    return [_state_rule(definition, state, policy) for state in definition.states.values()]


def transition_rules(definition: ProcessDefinition, policy: Policy) -> list[dict[str, Any]]:
    """Every transition with its roles, evidence, fields, clock and guards in words."""
    rules = []
    for t in definition.transitions:
        extension = (
            None if t.extend_by is None else policy.deadline(definition.key, t.trigger, t.extend_by)
        )
        rules.append(
            {
                "trigger": t.trigger,
                "from": list(t.sources),
                "to": t.dest,
                "roles": sorted(r.value for r in t.roles),
                "agency": t.agency,
                "requires": list(t.requires),
                "fields": [f.name for f in t.fields],
                "clock": t.clock.value,
                "extends_by": None if extension is None else str(extension),
                "opens": t.opens,
                "guards": [
                    {"guard": type(guard).__name__, "checks": guard.describe(policy)}
                    for guard in t.guards
                ],
            }
        )
    return rules


def path_rule(definition: ProcessDefinition, policy: Policy) -> dict[str, Any] | None:
    """The whole path's target (``KEY.PATH``), from the state that starts it, if the process
    has one."""
    spec = policy.deadline(definition.key, "PATH", definition.path_deadline)
    if spec is None:
        return None
    return {"from": definition.path_from, "to": "certificate", **deadline_view(spec)}


def after_certificate(
    definition: ProcessDefinition, policy: Policy, surveillance_months: int
) -> dict[str, Any]:
    """What falls due after the certificate: SNI surveillance audits, halal consistency checks,
    with their settings."""
    if definition.key == "sni":
        ending = (
            "a recertification, a new application linked to this one"
            if definition.version >= 2
            else "the certificate's end"
        )
        return {
            "summary": f"a surveillance audit every {surveillance_months} months from issue; "
            f"at expiry, {ending}",
            "surveillance_every_months": surveillance_months,
            "setting": "SERTIFLOW_SNI_SURVEILLANCE_MONTHS",
            "basis": "practice",
            "source": "first within 12 months of issue (one LSPro), then yearly",
            "at_expiry": "recertification" if definition.version >= 2 else "expiry",
        }
    if definition.key.startswith("halal"):
        years = policy.halal_consistency_check_years
        return {
            "summary": f"a consistency check every {years} years from issue or the last check; "
            "the certificate never expires while materials and process are unchanged",
            "consistency_check_every_years": years,
            "setting": "SERTIFLOW_HALAL_CONSISTENCY_CHECK_YEARS",
            "basis": "unconfirmed",
            "source": "PP 42/2024 reportedly; the certificate does not expire while unchanged",
        }
    return {}
