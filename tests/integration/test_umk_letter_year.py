"""DJKI wants the UMK recommendation letter signed in the year of the filing it is for: the
dossier keeps the date each letter was signed, the filing refuses a letter of another year (or of
no known date), and the date is journalled like the rest of the document. On SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from tests.support import TRADEMARK_EVIDENCE, Office, drive
from workflow import journal
from workflow.directory import add_evidence, dossier
from workflow.errors import GuardRefused, InvalidInput
from workflow.ledger import EVIDENCE
from workflow.persistence.database import reading
from workflow.verification import verify_audit

LETTER = "umk_recommendation (Surat Rekomendasi / Keterangan UKM Binaan) rek-umk.pdf"


def _ready_to_file(office: Office) -> int:
    """A trademark with every filing document but the UMK letter, ready to be filed."""
    app = office.workflow.open_application(
        office.nib, "trademark", office.consultant, details={"mark_name": "SAGU IBU ANA"}
    )
    office.give_evidence(
        office.nib, tuple(k for k in TRADEMARK_EVIDENCE if k != "umk_recommendation"), app=app
    )
    drive(office, app, "start_document_preparation")
    return app


def _letter(office: Office, app: int, signed_on: date | None) -> None:
    add_evidence(
        office.db,
        office.nib,
        "umk_recommendation",
        "rek-umk.pdf",
        valid_until=date(2027, 12, 31),
        acting=office.consultant,
        now=office.clock(),
        application_id=app,
        signed_on=signed_on,
    )


def _file(office: Office, app: int, filed_on: str | None = None) -> str:
    fields = {"filed_on": filed_on} if filed_on else None
    return drive(office, app, "billing_paid_and_submitted", fields=fields).to_state


def test_a_letter_signed_last_year_is_refused_for_this_years_filing(office: Office) -> None:
    app = _ready_to_file(office)
    _letter(office, app, date(2025, 12, 20))  # the office's today is 2026-11-02
    with pytest.raises(GuardRefused) as refused:
        _file(office, app)
    assert refused.value.reasons == [
        f"{LETTER} was signed on 2025-12-20, not in 2026, the year of this step's filed_on: "
        "the agency wants one signed in 2026; get a new letter signed then"
    ]
    blocked = {o.trigger: o.blocked_by for o in office.workflow.options(app, office.consultant)}
    assert blocked["billing_paid_and_submitted"] == tuple(refused.value.reasons)
    _letter(office, app, date(2026, 1, 2))
    assert _file(office, app) == "FILED"


def test_the_filing_date_given_with_the_step_sets_the_year(office: Office) -> None:
    """A filing recorded after new year, dated in the old one, wants the old year's letter."""
    app = _ready_to_file(office)
    _letter(office, app, date(2026, 1, 5))
    with pytest.raises(GuardRefused) as refused:
        _file(office, app, filed_on="2025-12-30")
    assert "not in 2025, the year of this step's filed_on" in refused.value.reasons[0]
    _letter(office, app, date(2025, 12, 29))
    assert _file(office, app, filed_on="2025-12-30") == "FILED"


def test_a_letter_with_no_signing_date_on_file_is_refused(office: Office) -> None:
    """A letter added before schema 0009 has no signing date: the filing asks for it again."""
    app = _ready_to_file(office)
    _letter(office, app, date(2026, 3, 1))
    with journal.writing(office.db) as conn:
        conn.execute(update(EVIDENCE).values(signed_on=None))
    with pytest.raises(GuardRefused) as refused:
        _file(office, app)
    assert refused.value.reasons == [
        f"{LETTER} has no signing date on file, and it must be signed in 2026: add it again "
        "with its date (--signed-on YYYY-MM-DD)"
    ]


@pytest.mark.parametrize(
    ("signed_on", "message"),
    [
        (
            None,
            "umk_recommendation (Surat Rekomendasi / Keterangan UKM Binaan) must be signed in "
            "the year of the filed_on it is for: give the date it was signed "
            "(--signed-on YYYY-MM-DD)",
        ),
        (
            date(2026, 11, 3),
            "signed on 2026-11-03 is after today (2026-11-02); give the date written on the "
            "signed document",
        ),
        (date(1899, 12, 31), "signed on 1899-12-31 is not a plausible date"),
    ],
)
def test_a_letter_without_a_believable_signing_date_is_refused_and_nothing_is_stored(
    office: Office, signed_on: date | None, message: str
) -> None:
    app = _ready_to_file(office)
    with pytest.raises(InvalidInput) as refused:
        _letter(office, app, signed_on)
    assert message in str(refused.value)
    assert not [d for d in dossier(office.db, office.nib) if d["kind"] == "umk_recommendation"]


def test_the_signing_date_is_shown_and_an_edit_outside_sertiflow_is_caught(
    office: Office,
) -> None:
    app = _ready_to_file(office)
    _letter(office, app, date(2026, 2, 14))
    (letter,) = [d for d in dossier(office.db, office.nib) if d["kind"] == "umk_recommendation"]
    assert letter["signed_on"] == date(2026, 2, 14)
    with office.db.begin() as conn:
        conn.execute(update(EVIDENCE).values(signed_on=date(2026, 2, 14) + timedelta(days=300)))
    with reading(office.db).connect() as conn:
        problems = verify_audit(conn, office.workflow.registry).journal_problems
    assert [p.problem for p in problems if "umk_recommendation" in p.subject] == [
        "signed_on differs from what the journal recorded: edited outside sertiflow"
    ]
