"""Invariants every registered process definition must keep, checked over all of them."""

from __future__ import annotations

import dataclasses
import importlib
import re

import pytest

from workflow.evidence import EVIDENCE_KINDS
from workflow.model import ClockRule, Deadline, Phase, ProcessDefinition, Role, Transition
from workflow.processes import (
    DEFAULT_DEFINITIONS,
    HALAL_REGULAR,
    HALAL_SELF_DECLARE,
    TRADEMARK,
    ProcessRegistry,
    UnknownProcess,
)
from workflow.processes.common import PLUT

DEFINITIONS = ProcessRegistry().all()
BASES = {"law", "practice", "agreed", "unconfirmed"}


def _ids(definition: ProcessDefinition) -> str:
    return definition.ident


every_definition = pytest.mark.parametrize("definition", DEFINITIONS, ids=_ids)


def _reachable(definition: ProcessDefinition) -> set[str]:
    seen = {definition.initial}
    todo = [definition.initial]
    while todo:
        for transition in definition.transitions_from(todo.pop()):
            if transition.dest not in seen:
                seen.add(transition.dest)
                todo.append(transition.dest)
    return seen


def _deadlines(definition: ProcessDefinition) -> list[tuple[str, Deadline]]:
    found: list[tuple[str, Deadline]] = []
    for state in definition.states.values():
        if state.deadline is not None:
            found.append((state.name, state.deadline))
        found.extend((f"{state.name}.{flag}", variant) for flag, variant in state.deadline_if)
    found.extend(
        (t.trigger, t.extend_by) for t in definition.transitions if t.extend_by is not None
    )
    return found


def test_the_default_registry_holds_the_four_processes_once_each() -> None:
    registry = ProcessRegistry()
    assert registry.keys() == ["halal_regular", "halal_self_declare", "trademark", "sni"]
    assert [d.ident for d in registry.all()] == [
        "halal_regular@1",
        "halal_self_declare@1",
        "trademark@1",
        "sni@1",
        "sni@2",
    ]
    assert len(DEFINITIONS) == len(DEFAULT_DEFINITIONS) == 5


@every_definition
def test_every_state_is_reachable_from_the_initial_state(definition: ProcessDefinition) -> None:
    assert definition.initial in definition.states
    assert set(definition.states) - _reachable(definition) == set()


@every_definition
def test_every_state_that_is_not_closed_has_a_way_out(definition: ProcessDefinition) -> None:
    stuck = [
        name
        for name, state in definition.states.items()
        if state.phase is not Phase.CLOSED and not definition.transitions_from(name)
    ]
    assert stuck == []


@every_definition
def test_every_final_state_has_no_way_out(definition: ProcessDefinition) -> None:
    finals = [name for name, state in definition.states.items() if state.final]
    assert finals, "a process must be able to end"
    for name in finals:
        assert definition.transitions_from(name) == [], name
    assert all(definition.states[n].phase is Phase.CLOSED for n in finals)


@every_definition
def test_every_state_is_keyed_by_its_own_name(definition: ProcessDefinition) -> None:
    assert all(name == state.name for name, state in definition.states.items())


@every_definition
def test_every_transition_names_existing_sources_and_destination(
    definition: ProcessDefinition,
) -> None:
    for transition in definition.transitions:
        assert transition.sources, transition.trigger
        for source in transition.sources:
            assert source in definition.states, (transition.trigger, source)
        assert transition.dest in definition.states, (transition.trigger, transition.dest)


@every_definition
def test_every_trigger_has_at_least_one_role(definition: ProcessDefinition) -> None:
    for transition in definition.transitions:
        assert transition.roles, transition.trigger
        assert transition.roles <= set(Role), transition.trigger


@every_definition
def test_every_agency_act_is_recorded_by_the_office_only(definition: ProcessDefinition) -> None:
    """An agency's decision (BPJPH, DJKI, LSPro ...) is entered by the office, never the UMKM."""
    for transition in definition.transitions:
        if transition.agency is not None:
            assert transition.roles == PLUT, transition.trigger


@every_definition
def test_every_required_evidence_kind_exists(definition: ProcessDefinition) -> None:
    required = {kind for t in definition.transitions for kind in t.requires}
    assert required, "every process requires some documents"
    assert required - set(EVIDENCE_KINDS) == set()


@every_definition
def test_every_opened_process_is_registered(definition: ProcessDefinition) -> None:
    registry = ProcessRegistry()
    for transition in definition.transitions:
        if transition.opens is not None:
            assert registry.get(transition.opens).key == transition.opens


@every_definition
def test_every_state_has_an_indonesian_label(definition: ProcessDefinition) -> None:
    for state in definition.states.values():
        assert state.label.strip() == state.label and state.label, state.name
        assert state.label_en.strip(), state.name
        assert state.label != state.label_en, state.name


@every_definition
def test_every_transition_has_a_label(definition: ProcessDefinition) -> None:
    for transition in definition.transitions:
        assert transition.label.strip(), transition.trigger


@every_definition
def test_every_state_in_the_umkm_court_tells_the_umkm_what_to_do(
    definition: ProcessDefinition,
) -> None:
    missing = [
        name
        for name, state in definition.states.items()
        if state.court.value == "umkm" and not state.final and not state.hint.strip()
    ]
    assert missing == []


@every_definition
def test_every_hint_comes_in_indonesian_and_english_and_every_umkm_state_has_one(
    definition: ProcessDefinition,
) -> None:
    for state in definition.states.values():
        assert bool(state.hint.strip()) == bool(state.hint_en.strip()), state.name
        assert state.hint == state.hint.strip(), state.name
        assert state.hint_en == state.hint_en.strip(), state.name
        if state.hint:
            assert state.hint != state.hint_en, state.name
        if state.court.value == "umkm":
            assert state.hint.strip(), state.name


@every_definition
def test_each_process_module_has_a_docstring(definition: ProcessDefinition) -> None:
    module = importlib.import_module(f"workflow.processes.{definition.key}")
    assert module.__doc__ is not None
    assert "Regulation" in module.__doc__
    assert "States at a glance" in module.__doc__
    assert definition.description == module.__doc__


@every_definition
def test_every_deadline_basis_is_law_practice_agreed_or_unconfirmed(
    definition: ProcessDefinition,
) -> None:
    deadlines = _deadlines(definition)
    assert deadlines
    for where, deadline in deadlines:
        assert deadline.basis in BASES, (where, deadline.basis)
        assert deadline.amount > 0, where
        assert deadline.source.strip(), where


@every_definition
def test_every_field_example_satisfies_its_own_pattern(definition: ProcessDefinition) -> None:
    fields = [f for t in definition.transitions for f in t.fields]
    if definition.certificate_number is not None:
        fields.append(definition.certificate_number)
    for spec in fields:
        assert spec.kind in ("text", "date"), spec.name
        if spec.pattern is not None:
            assert re.fullmatch(spec.pattern, spec.example), (spec.name, spec.example)


@every_definition
def test_certificate_transitions_carry_the_certificate_number(
    definition: ProcessDefinition,
) -> None:
    assert definition.certificate_number is not None
    certifying = [
        t
        for t in definition.transitions
        if definition.states[t.dest].phase is Phase.CERTIFIED
        and any(definition.states[s].phase is Phase.PIPELINE for s in t.sources)
    ]
    assert certifying
    for transition in certifying:
        names = {f.name for f in transition.fields}
        assert {"certificate_number", "issued_on"} <= names, transition.trigger


@every_definition
def test_the_index_finds_every_transition_from_each_of_its_sources(
    definition: ProcessDefinition,
) -> None:
    for transition in definition.transitions:
        for source in transition.sources:
            assert definition.transition(transition.trigger, source) is transition
    assert definition.triggers == list(dict.fromkeys(t.trigger for t in definition.transitions))


def test_a_definition_with_the_same_trigger_and_source_twice_is_rejected() -> None:
    twice = Transition("submit", ("DOC_PREPARATION",), "CANCELLED", PLUT, "Kirim lagi")
    with pytest.raises(ValueError, match=r"\('submit', 'DOC_PREPARATION'\) is defined twice"):
        dataclasses.replace(HALAL_REGULAR, transitions=(*HALAL_REGULAR.transitions, twice))


def test_the_same_trigger_from_different_sources_is_allowed() -> None:
    assert HALAL_REGULAR.transition("ketetapan_halal", "FATWA_SESSION") is not None
    assert HALAL_REGULAR.transition("ketetapan_halal", "KOMITE_FATWA_TAKEOVER") is not None
    assert HALAL_REGULAR.transition("ketetapan_halal", "INTAKE") is None


def test_registering_the_same_version_twice_is_rejected() -> None:
    with pytest.raises(ValueError, match="trademark@1 is registered twice"):
        ProcessRegistry([TRADEMARK, TRADEMARK])


def test_an_unknown_process_key_names_the_known_processes() -> None:
    with pytest.raises(UnknownProcess) as raised:
        ProcessRegistry().get("paten")
    message = str(raised.value)
    assert "unknown process 'paten'" in message
    for key in ("halal_regular", "halal_self_declare", "trademark", "sni"):
        assert key in message


def test_an_unknown_version_names_the_known_versions() -> None:
    v2 = dataclasses.replace(TRADEMARK, version=2)
    registry = ProcessRegistry([TRADEMARK, v2])
    with pytest.raises(
        UnknownProcess, match=r"process 'trademark' has no version 7; versions: 1, 2"
    ):
        registry.get("trademark", 7)


def test_the_registry_gives_the_latest_version_unless_asked() -> None:
    v2 = dataclasses.replace(TRADEMARK, version=2)
    registry = ProcessRegistry([v2, TRADEMARK])
    assert registry.get("trademark") is v2
    assert registry.get("trademark", 1) is TRADEMARK
    assert registry.keys() == ["trademark"]
    assert [d.ident for d in registry.all()] == ["trademark@2", "trademark@1"]


def _clock_holders(definition: ProcessDefinition, name: str) -> set[str]:
    """The states whose own deadline runs while an application sits in ``name``."""
    seen: set[str] = set()
    todo = [name]
    holders: set[str] = set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        kept = definition.keeps_clock_of(current)
        if kept:
            todo.extend(kept)
        else:
            holders.add(current)
    return holders


@every_definition
def test_every_pipeline_state_has_a_deadline_of_its_own_or_keeps_one_that_runs(
    definition: ProcessDefinition,
) -> None:
    silent = [
        name
        for name, state in definition.states.items()
        if state.phase is Phase.PIPELINE
        and any(definition.states[h].deadline is None for h in _clock_holders(definition, name))
    ]
    assert silent == []


@every_definition
def test_a_state_that_keeps_the_clock_has_no_deadline_of_its_own_to_mislead(
    definition: ProcessDefinition,
) -> None:
    misleading = [
        name
        for name, state in definition.states.items()
        if definition.keeps_clock_of(name) and (state.deadline or state.deadline_if)
    ]
    assert misleading == []


FORMERLY_SILENT = {
    "halal_regular": {"SUBMITTED": ("1 hk", "unconfirmed")},
    "halal_self_declare": {"SUBMITTED": ("10 hk", "law")},
    "trademark": {
        "FILED": ("15 days", "unconfirmed"),
        "REBUTTAL_FILED": ("2 months", "practice"),
        "PUBLICATION_ENDED": ("15 days", "unconfirmed"),
        "QUEUED_SUBSTANTIVE": ("2 months", "practice"),
        "RESPONSE_REVIEW": ("30 days", "unconfirmed"),
    },
    "sni": {
        "APPLICATION_SUBMITTED": ("5 hk", "unconfirmed"),
        "AUDIT": ("15 hk", "unconfirmed"),
        "SAMPLING": ("5 hk", "unconfirmed"),
        "EVALUATION": ("7 hk", "unconfirmed"),
        "DECISION": ("3 hk", "unconfirmed"),
    },
}


@every_definition
def test_the_states_that_waited_unseen_have_a_deadline_with_its_basis(
    definition: ProcessDefinition,
) -> None:
    for name, (amount, basis) in FORMERLY_SILENT[definition.key].items():
        deadline = definition.states[name].deadline
        assert deadline is not None, name
        assert (str(deadline), deadline.basis) == (amount, basis), name
        assert deadline.legal is (basis == "law")
        assert deadline.kind == ("law" if basis == "law" else "target")


def test_the_pendamping_pph_counts_its_10_working_days_from_the_submission() -> None:
    submitted = HALAL_SELF_DECLARE.states["SUBMITTED"].deadline
    assert submitted is not None and submitted.legal and "33A(3)" in submitted.source
    assert HALAL_SELF_DECLARE.states["PPH_VERVAL"].deadline is None
    assert HALAL_SELF_DECLARE.keeps_clock_of("PPH_VERVAL") == ("SUBMITTED",)
    rule = HALAL_SELF_DECLARE.transition("pph_verval_started", "SUBMITTED")
    assert rule is not None and rule.clock is ClockRule.KEEP
    assert HALAL_REGULAR.keeps_clock_of("LAB_TESTING") == ("LPH_AUDIT",)
    assert HALAL_REGULAR.keeps_clock_of("LPH_AUDIT") == ()
    assert HALAL_REGULAR.keeps_clock_of("INTAKE") == ()


def test_sni_version_2_opens_a_linked_recertification_before_or_at_expiry() -> None:
    registry = ProcessRegistry()
    v1, v2 = registry.get("sni", 1), registry.get("sni")
    assert v2.version == 2 and v1.version == 1
    assert set(v2.states) - set(v1.states) == {"RECERTIFICATION_OPENED"}
    assert v2.states["RECERTIFICATION_OPENED"].final
    early = v2.transition("recertification_opened", "CERTIFIED")
    assert early is not None and early.opens == "sni"
    assert early.dest == "RECERTIFICATION_OPENED"
    at_expiry = v2.transition("expired", "CERTIFIED")
    assert at_expiry is not None and at_expiry.opens == "sni" and at_expiry.guards
    old = v1.transition("expired", "CERTIFIED")
    assert old is not None and old.opens is None
    assert v1.transition("recertification_opened", "CERTIFIED") is None
