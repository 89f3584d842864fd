"""The state machine adapter and the guards, on hand-built snapshots (no database)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date

import pytest

from workflow.guards import (
    DeadlinePassed,
    EvidenceItem,
    GracePeriodOver,
    GuardContext,
    RelatedApplication,
    RelatedMilestone,
    RenewalWindowOpen,
    SelfDeclareEligible,
    SelfDeclareNotEligible,
    UmkmProfile,
    missing_evidence,
    self_declare_problems,
)
from workflow.machine import Firing, Moved, ProcessMachine
from workflow.model import Deadline, ProcessDefinition, Unit
from workflow.policy import Policy
from workflow.processes import HALAL_REGULAR, HALAL_SELF_DECLARE, SNI, TRADEMARK

TODAY = date(2026, 11, 2)
HALAL_SUBMIT = (
    "nib",
    "product_list",
    "materials_list",
    "process_flow",
    "sjph_manual",
    "penyelia_halal",
)
SELF_DECLARE_SUBMIT = (
    "nib",
    "product_list",
    "materials_list",
    "process_flow",
    "halal_pledge",
    "penyelia_halal",
)


def umkm(**overrides: object) -> UmkmProfile:
    """An eligible micro business unless overridden."""
    profile = UmkmProfile(1, "8120000000001", "Sagu Ibu Ana", "mikro", 120_000_000, 1, True)
    return dataclasses.replace(profile, **overrides)  # type: ignore[arg-type]


def dossier(kinds: Iterable[str], valid_until: date | None = None) -> dict[str, EvidenceItem]:
    return {kind: EvidenceItem(kind, f"{kind}.pdf", valid_until) for kind in kinds}


def context(
    definition: ProcessDefinition = HALAL_REGULAR,
    state: str = "INTAKE",
    **overrides: object,
) -> GuardContext:
    ctx = GuardContext(
        today=TODAY,
        process_key=definition.key,
        state=state,
        deadline=None,
        policy=Policy(),
    )
    return dataclasses.replace(ctx, **overrides)  # type: ignore[arg-type]


def trademark_app(state: str, filed_on: date | None, app_id: int = 7) -> RelatedApplication:
    return RelatedApplication(app_id, "trademark", state, TRADEMARK.states[state].tags, filed_on)


# --------------------------------------------------------------------------- ProcessMachine


def test_the_machine_fires_a_trigger_and_moves_the_firing() -> None:
    machine = ProcessMachine(HALAL_REGULAR)
    firing = Firing("INTAKE", context())
    assert machine.fire(firing, "start_document_preparation") is True
    assert firing.state == "DOC_PREPARATION"
    assert firing.refusals == []
    assert len(firing.events) == 1
    assert firing.events[0].trigger == "start_document_preparation"
    assert firing.events[0].dest == "DOC_PREPARATION"


def test_the_recorded_event_names_the_state_it_left() -> None:
    machine = ProcessMachine(HALAL_REGULAR)
    firing = Firing("INTAKE", context())
    machine.fire(firing, "start_document_preparation")
    assert firing.events == [Moved("start_document_preparation", "INTAKE", "DOC_PREPARATION")]


def test_the_machine_refuses_with_every_missing_document_as_a_reason() -> None:
    machine = ProcessMachine(HALAL_REGULAR)
    ctx = context(state="DOC_PREPARATION", evidence=dossier(("nib", "product_list")))
    firing = Firing("DOC_PREPARATION", ctx)
    assert machine.fire(firing, "submit") is False
    assert firing.state == "DOC_PREPARATION"
    assert firing.events == []
    assert firing.refusals == [
        "missing materials_list (Daftar produk dan bahan yang digunakan)",
        "missing process_flow (Proses pengolahan produk (diagram alir))",
        "missing sjph_manual (Manual SJPH (Sistem Jaminan Produk Halal))",
        "missing penyelia_halal (Dokumen Penyelia Halal (SK penetapan, KTP, CV))",
    ]


def test_the_machine_fires_once_the_documents_are_in_the_dossier() -> None:
    machine = ProcessMachine(HALAL_REGULAR)
    firing = Firing("DOC_PREPARATION", context(evidence=dossier(HALAL_SUBMIT)))
    assert machine.fire(firing, "submit") is True
    assert firing.state == "SUBMITTED"


def test_the_machine_collects_missing_documents_and_guard_reasons_together() -> None:
    machine = ProcessMachine(HALAL_SELF_DECLARE)
    ctx = context(HALAL_SELF_DECLARE, umkm=umkm(scale="menengah"), evidence={})
    firing = Firing("DOC_PREPARATION", ctx)
    assert machine.fire(firing, "submit") is False
    assert len(firing.refusals) == len(SELF_DECLARE_SUBMIT) + 1
    assert firing.refusals[-1].startswith("not eligible for self-declare: scale is menengah")


def test_would_fire_checks_without_moving() -> None:
    machine = ProcessMachine(HALAL_REGULAR)
    firing = Firing("DOC_PREPARATION", context(evidence={}))
    assert machine.would_fire(firing, "submit") is False
    assert len(firing.refusals) == len(HALAL_SUBMIT)
    assert firing.state == "DOC_PREPARATION"
    ready = Firing("DOC_PREPARATION", context(evidence=dossier(HALAL_SUBMIT)))
    assert machine.would_fire(ready, "submit") is True
    assert ready.refusals == []
    assert ready.state == "DOC_PREPARATION"
    assert ready.events == []


def test_would_fire_is_false_for_a_trigger_not_possible_from_the_state() -> None:
    machine = ProcessMachine(HALAL_REGULAR)
    firing = Firing("INTAKE", context())
    assert machine.would_fire(firing, "sh_issued") is False
    assert firing.state == "INTAKE"


def test_one_machine_serves_many_firings_independently() -> None:
    machine = ProcessMachine(TRADEMARK)
    first = Firing("INTAKE", context(TRADEMARK))
    second = Firing("DOC_PREPARATION", context(TRADEMARK))
    assert machine.fire(first, "start_document_preparation") is True
    assert machine.fire(second, "cancel") is True
    assert (first.state, second.state) == ("DOC_PREPARATION", "CANCELLED")


def test_the_same_trigger_goes_where_its_source_says() -> None:
    machine = ProcessMachine(HALAL_SELF_DECLARE)
    for source in ("PPH_VERVAL", "LP3H_BPJPH_VERIFICATION", "AT_KOMITE_FATWA"):
        firing = Firing(source, context(HALAL_SELF_DECLARE, state=source))
        assert machine.fire(firing, "return_to_pu") is True
        assert firing.state == "RETURNED_TO_PU"


def test_a_machine_is_not_picklable() -> None:
    import pickle

    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(ProcessMachine(SNI))


# --------------------------------------------------------------------------- self-declare


def test_an_eligible_umkm_has_no_self_declare_problems() -> None:
    guard = SelfDeclareEligible("redirect_to_regular")
    assert self_declare_problems(umkm(), Policy()) == []
    assert guard(context(umkm=umkm())) is None
    assert guard(context(umkm=umkm(scale="kecil"))) is None
    assert SelfDeclareNotEligible()(context(umkm=umkm())) == (
        "the UMKM meets every self-declare criterion; there is nothing to redirect"
    )
    assert guard.needs == frozenset({"umkm"})


def test_a_medium_business_is_not_eligible_for_self_declare() -> None:
    reason = SelfDeclareEligible("redirect_to_regular")(context(umkm=umkm(scale="menengah")))
    assert reason is not None
    assert reason.startswith(
        "not eligible for self-declare: scale is menengah; self-declare is for micro and small "
        "businesses. "
    )
    assert reason.endswith("use 'redirect_to_regular' to move to the regular path")
    assert SelfDeclareNotEligible()(context(umkm=umkm(scale="menengah"))) is None


def test_turnover_above_the_policy_ceiling_is_not_eligible() -> None:
    rich = umkm(annual_turnover=500_000_001)
    assert self_declare_problems(rich, Policy()) == [
        "annual turnover Rp500.000.001 is above Rp500.000.000"
    ]
    assert self_declare_problems(umkm(annual_turnover=500_000_000), Policy()) == []


def test_a_raised_turnover_ceiling_makes_the_same_umkm_eligible() -> None:
    rich = umkm(annual_turnover=2_000_000_000)
    guard = SelfDeclareEligible("redirect_to_regular")
    assert guard(context(umkm=rich)) is not None
    raised = Policy(self_declare_max_turnover=15_000_000_000)
    assert guard(context(umkm=rich, policy=raised)) is None


def test_two_production_sites_are_not_eligible() -> None:
    assert self_declare_problems(umkm(production_sites=2), Policy()) == [
        "2 production sites; at most 1 allowed"
    ]
    assert self_declare_problems(umkm(production_sites=2), Policy(self_declare_max_sites=2)) == []


def test_a_process_that_is_not_simple_is_not_eligible() -> None:
    assert self_declare_problems(umkm(simple_process=False), Policy()) == [
        "the production process is not simple (manual or semi-automatic)"
    ]


def test_unknown_values_are_each_reported_as_not_recorded() -> None:
    unknown = umkm(annual_turnover=None, production_sites=None, simple_process=None)
    assert self_declare_problems(unknown, Policy()) == [
        "annual turnover is not recorded",
        "number of production sites is not recorded",
        "whether the production process is simple is not recorded",
    ]


def test_every_failed_criterion_is_named_in_one_reason() -> None:
    worst = umkm(scale="menengah", annual_turnover=9_000_000_000, production_sites=3)
    reason = SelfDeclareEligible("go_regular")(context(umkm=worst, policy=Policy()))
    assert reason is not None
    assert len(self_declare_problems(worst, Policy())) == 3
    assert "scale is menengah" in reason
    assert "Rp9.000.000.000 is above Rp500.000.000" in reason
    assert "3 production sites" in reason
    assert reason.endswith("use 'go_regular' to move to the regular path")


def test_the_refusal_lists_the_failed_criteria_separated_by_semicolons() -> None:
    reason = SelfDeclareEligible("go_regular")(
        context(umkm=umkm(production_sites=2, simple_process=False))
    )
    assert reason == (
        "not eligible for self-declare: 2 production sites; at most 1 allowed; the production "
        "process is not simple (manual or semi-automatic). Correct the UMKM's registry row and "
        "import it again, or use 'go_regular' to move to the regular path"
    )


# --------------------------------------------------------------------------- deadlines


def test_deadline_passed_refuses_until_the_day_after_the_deadline() -> None:
    guard = DeadlinePassed("MUI still has time")
    assert guard(context(deadline=date(2026, 11, 3))) == (
        "MUI still has time: the deadline 2026-11-03 has not passed yet"
    )
    assert guard(context(deadline=TODAY)) == (
        "MUI still has time: the deadline 2026-11-02 has not passed yet"
    )
    assert guard(context(deadline=date(2026, 11, 1))) is None
    assert guard.needs == frozenset()


def test_deadline_passed_refuses_a_state_without_a_deadline() -> None:
    assert DeadlinePassed("window")(context(deadline=None)) == (
        "window: this state has no deadline"
    )


# --------------------------------------------------------------------------- related milestone

SNI_TRADEMARK_RULE = RelatedMilestone("trademark", "filed", "registered", "trademark_licence")


def test_a_registered_mark_satisfies_the_sni_trademark_rule_whatever_its_age() -> None:
    ctx = context(SNI, related=(trademark_app("MARK_ACTIVE", date(2015, 1, 5)),))
    assert SNI_TRADEMARK_RULE(ctx) is None
    assert SNI_TRADEMARK_RULE.needs == frozenset({"related", "evidence"})


def test_a_recent_filing_receipt_satisfies_the_sni_trademark_rule() -> None:
    filed = date(2026, 5, 2)  # exactly six months before TODAY
    ctx = context(SNI, related=(trademark_app("SUBSTANTIVE_EXAM", filed),))
    assert SNI_TRADEMARK_RULE(ctx) is None


def test_a_filing_receipt_older_than_six_months_is_refused() -> None:
    ctx = context(SNI, related=(trademark_app("SUBSTANTIVE_EXAM", date(2026, 5, 1), 12),))
    assert SNI_TRADEMARK_RULE(ctx) == (
        "the trademark filing receipt of application #12 is older than 6 months and the mark "
        "is not registered yet; add a trademark_licence document to the dossier or wait for "
        "the registration"
    )


def test_a_longer_receipt_age_in_the_policy_accepts_an_older_receipt() -> None:
    related = (trademark_app("PUBLICATION", date(2026, 1, 10)),)
    assert SNI_TRADEMARK_RULE(context(SNI, related=related)) is not None
    lenient = Policy(trademark_receipt_max_age_months=12)
    assert SNI_TRADEMARK_RULE(context(SNI, related=related, policy=lenient)) is None


def test_no_trademark_application_is_refused() -> None:
    not_filed = RelatedApplication(3, "trademark", "DOC_PREPARATION", frozenset(), None)
    other_process = RelatedApplication(4, "halal_regular", "HALAL_ACTIVE", frozenset(), None)
    for related in ((), (not_filed, other_process)):
        assert SNI_TRADEMARK_RULE(context(SNI, related=related)) == (
            "no trademark application of this UMKM is filed yet; file the trademark first or "
            "add a trademark_licence document to the dossier"
        )


def test_a_licence_in_the_dossier_substitutes_for_the_mark() -> None:
    ctx = context(SNI, evidence=dossier(("trademark_licence",), valid_until=date(2027, 1, 1)))
    assert SNI_TRADEMARK_RULE(ctx) is None


def test_an_expired_licence_does_not_substitute_for_the_mark() -> None:
    ctx = context(SNI, evidence=dossier(("trademark_licence",), valid_until=date(2026, 11, 1)))
    reason = SNI_TRADEMARK_RULE(ctx)
    assert reason is not None
    assert reason.startswith("no trademark application of this UMKM is filed yet")


# --------------------------------------------------------------------------- renewal and grace


def test_the_renewal_window_opens_six_months_before_expiry() -> None:
    guard = RenewalWindowOpen()
    assert guard(context(certificate_expires_on=date(2027, 5, 3))) == (
        "renewal opens on 2026-11-03, 6 months before expiry"
    )
    assert guard(context(certificate_expires_on=date(2027, 5, 2))) is None
    assert guard(context(certificate_expires_on=date(2026, 12, 1))) is None
    assert guard(context(certificate_expires_on=date(2026, 10, 1))) is None


def test_the_renewal_window_needs_an_expiry_date() -> None:
    assert RenewalWindowOpen()(context()) == "the certificate has no expiry date recorded"
    assert GracePeriodOver()(context()) == "the certificate has no expiry date recorded"


def test_the_renewal_window_is_closed_once_the_grace_period_is_over() -> None:
    lapsed = context(certificate_expires_on=date(2026, 4, 1))  # seven months ago
    assert GracePeriodOver()(lapsed) is None
    reason = RenewalWindowOpen()(lapsed)
    assert reason is not None
    assert "grace period ended on 2026-10-01" in reason
    assert RenewalWindowOpen()(context(certificate_expires_on=date(2026, 5, 2))) is None


def test_a_lapsed_renewal_says_the_mark_can_only_be_filed_again() -> None:
    lapsed = context(certificate_expires_on=date(2026, 4, 1))
    assert RenewalWindowOpen()(lapsed) == (
        "the renewal grace period ended on 2026-10-01, 6 months after expiry; the mark can only "
        "be filed again"
    )


def test_the_grace_period_runs_six_months_after_expiry() -> None:
    guard = GracePeriodOver()
    assert guard(context(certificate_expires_on=date(2026, 5, 2))) == (
        "the certificate is valid, or renewable, until 2026-11-02"
    )
    assert guard(context(certificate_expires_on=date(2026, 5, 1))) is None


def test_without_grace_a_certificate_is_over_the_day_after_expiry() -> None:
    guard = GracePeriodOver(with_grace=False)
    assert guard(context(certificate_expires_on=TODAY)) == (
        "the certificate is valid, or renewable, until 2026-11-02"
    )
    assert guard(context(certificate_expires_on=date(2026, 11, 1))) is None


# --------------------------------------------------------------------------- evidence


def test_missing_evidence_reports_missing_and_expired_documents() -> None:
    evidence = {
        "nib": EvidenceItem("nib", "nib.pdf", None),
        "payment_proof": EvidenceItem("payment_proof", "bayar.pdf", date(2026, 11, 1)),
        "test_report": EvidenceItem("test_report", "lab.pdf", TODAY),
    }
    problems = missing_evidence(
        context(evidence=evidence), ("nib", "payment_proof", "test_report", "npwp")
    )
    assert problems == [
        "expired payment_proof (Bukti pembayaran), valid until 2026-11-01",
        "missing npwp (NPWP)",
    ]


def test_missing_evidence_is_empty_when_nothing_is_required() -> None:
    assert missing_evidence(context(), ()) == []


# --------------------------------------------------------------------------- Deadline.parse


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("5hk", 5, Unit.WORKING_DAYS),
        (" 15 HK ", 15, Unit.WORKING_DAYS),
        ("30days", 30, Unit.CALENDAR_DAYS),
        ("30 days", 30, Unit.CALENDAR_DAYS),
        ("7d", 7, Unit.CALENDAR_DAYS),
        ("2 months", 2, Unit.MONTHS),
        ("3m", 3, Unit.MONTHS),
    ],
)
def test_a_deadline_is_read_from_text(text: str, amount: int, unit: Unit) -> None:
    deadline = Deadline.parse(text, basis="agreed")
    assert deadline == Deadline(amount, unit, "agreed")
    assert str(deadline) == f"{amount} {unit.value}"


def test_a_parsed_deadline_is_marked_as_configured() -> None:
    assert Deadline.parse("20hk").basis == "configured"


@pytest.mark.parametrize("text", ["", "5", "hk", "five hk", "5 weeks", "-3hk", "5hk 2d", "2.5hk"])
def test_an_unreadable_deadline_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match=r"write a number and a unit, e\.g\. 5hk") as raised:
        Deadline.parse(text)
    assert repr(text) in str(raised.value)


# --------------------------------------------------------------------------- guards in words


def test_every_guard_of_every_process_says_what_it_checks() -> None:
    from workflow.processes import ProcessRegistry

    described = 0
    for definition in ProcessRegistry().all():
        for transition in definition.transitions:
            for guard in transition.guards:
                sentence = guard.describe(Policy())
                assert len(sentence) > 30 and not sentence.endswith("."), transition.trigger
                described += 1
    assert described == 17


def test_guard_descriptions_carry_the_office_figures() -> None:
    generous = Policy(
        self_declare_max_turnover=15_000_000_000,
        self_declare_max_sites=2,
        trademark_receipt_max_age_months=9,
        trademark_renewal_window_months=4,
    )
    eligible = SelfDeclareEligible("redirect_to_regular").describe(generous)
    assert "annual turnover at most Rp15.000.000.000" in eligible
    assert "at most 2 production sites" in eligible and "'redirect_to_regular'" in eligible
    assert "food service" in eligible and "Kepkaban 150/2022" in eligible
    assert "at most 1 production site;" in SelfDeclareEligible("r").describe(Policy())
    assert "fails at least one" in SelfDeclareNotEligible().describe(generous)
    milestone = RelatedMilestone("trademark", "filed", "registered", "trademark_licence")
    assert milestone.describe(generous) == (
        "the UMKM has a trademark application that is registered, or filed at most 9 months "
        "ago, or a valid trademark_licence document in its dossier"
    )
    assert "from 4 months before" in RenewalWindowOpen().describe(generous)
    assert "4-month renewal grace period" in GracePeriodOver().describe(generous)
    assert GracePeriodOver(with_grace=False).describe(generous) == (
        "the certificate's expiry date has passed"
    )
    assert DeadlinePassed("the MUI fatwa session still has time").describe(generous) == (
        "the deadline of the state it leaves has passed (today is after it); before that it is "
        "refused because the MUI fatwa session still has time"
    )


@pytest.mark.parametrize("definition", [HALAL_REGULAR, HALAL_SELF_DECLARE, TRADEMARK, SNI])
def test_diagrams_mark_exactly_the_guarded_transitions(definition: ProcessDefinition) -> None:
    from workflow.diagram import GUARDED, graphviz, mermaid

    drawn = mermaid(definition)
    dot = graphviz(definition)
    for transition in definition.transitions:
        for source in transition.sources:
            line = f"    {source} --> {transition.dest} : {transition.trigger}"
            edge = f'    {source} -> {transition.dest} [label="{transition.trigger}'
            if transition.guards:
                assert f"{line} {GUARDED}\n" in drawn
                assert f'{edge} {GUARDED}", style=dashed];' in dot
            else:
                assert f"{line}\n" in drawn
                assert f'{edge}"];' in dot


def test_the_self_declare_and_renewal_guards_read_in_full() -> None:
    criteria = (
        "goods, not food service (restaurants, canteens, catering, food stalls; KBLI 56xxx); "
        "micro or small scale; annual turnover at most Rp500.000.000; at most {sites}; a simple "
        "(manual or semi-automatic) process (Kepkaban 150/2022)"
    )
    assert SelfDeclareEligible("redirect_to_regular").describe(Policy()) == (
        "the UMKM meets the self-declare criteria: "
        + criteria.format(sites="1 production site")
        + "; otherwise refused, pointing to 'redirect_to_regular' (the regular path)"
    )
    assert SelfDeclareNotEligible().describe(Policy(self_declare_max_sites=2)) == (
        "the UMKM fails at least one self-declare criterion ("
        + criteria.format(sites="2 production sites")
        + ")"
    )
    assert RenewalWindowOpen().describe(Policy()) == (
        "today lies in the renewal window: from 6 months before the certificate's expiry to "
        "6 months after it"
    )
    assert GracePeriodOver().describe(Policy()) == (
        "the certificate's expiry date and the 6-month renewal grace period after it have passed"
    )
