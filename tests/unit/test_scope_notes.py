"""What a guard says when a required document is on file for another application or mark, or
when the application names no mark: the consultant reads these words to know what to fix."""

from __future__ import annotations

from datetime import date

from workflow.guards import EvidenceItem, GuardContext, missing_evidence
from workflow.policy import Policy

TODAY = date(2026, 11, 2)


def _context(process_key: str = "trademark", **overrides: object) -> GuardContext:
    values: dict[str, object] = {
        "today": TODAY,
        "process_key": process_key,
        "state": "DOC_PREPARATION",
        "deadline": None,
        "policy": Policy(),
    }
    values.update(overrides)
    return GuardContext(**values)  # type: ignore[arg-type]


def _payment(reference: str, app_id: int) -> EvidenceItem:
    return EvidenceItem(
        "payment_proof", reference, None, f"application:{app_id}", app_id, "halal_regular"
    )


def test_a_mark_document_for_an_application_naming_no_mark_says_which_detail_to_set() -> None:
    named = missing_evidence(_context(application_id=7), ("label_image",))
    assert named == [
        "missing label_image (Label / etiket merek (JPG)) for this mark: it belongs to a mark "
        "and #7 names none (set its mark_name detail)"
    ]
    unnamed = missing_evidence(_context(), ("label_image",))
    assert unnamed == [
        "missing label_image (Label / etiket merek (JPG)) for this mark: it belongs to a mark "
        "and this application names none (set its mark_name detail)"
    ]
    no_detail = missing_evidence(_context("halal_regular"), ("label_image",))
    assert no_detail == [
        "missing label_image (Label / etiket merek (JPG)) for this mark: it belongs to a mark "
        "and this application names none"
    ]


def test_documents_of_other_applications_are_named_three_at_most_then_counted() -> None:
    three = {"payment_proof": tuple(_payment(f"PAY-{i}", i) for i in (1, 2, 3))}
    assert missing_evidence(_context("sni", elsewhere=three), ("payment_proof",)) == [
        "missing payment_proof (Bukti pembayaran) for this application: "
        "bukti pembayaran PAY-1 is for application #1 (halal_regular); "
        "bukti pembayaran PAY-2 is for application #2 (halal_regular); "
        "bukti pembayaran PAY-3 is for application #3 (halal_regular)"
    ]
    for count, more in ((4, "1 more"), (5, "2 more")):
        others = {"payment_proof": tuple(_payment(f"PAY-{i}", i) for i in range(1, count + 1))}
        (said,) = missing_evidence(_context("sni", elsewhere=others), ("payment_proof",))
        assert said.endswith(f"PAY-3 is for application #3 (halal_regular) and {more}")
        assert "PAY-4" not in said


def test_both_notes_are_given_one_after_the_other() -> None:
    licence = EvidenceItem("trademark_licence", "lisensi.pdf", None, "mark:KOPI RAJA")
    (said,) = missing_evidence(
        _context("sni", elsewhere={"trademark_licence": (licence,)}), ("trademark_licence",)
    )
    assert said.endswith(
        "for this mark: it belongs to a mark and this application names none (set its brand "
        "detail); perjanjian lisensi / maklon merek lisensi.pdf is for the mark KOPI RAJA"
    )
