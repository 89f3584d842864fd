"""Application details the documents need: who may set them, and that it is audited."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support import Office, app_row, audit_rows, snapshot
from workflow.audit import DETAILS, IMAGE, verify_chain
from workflow.directory import add_evidence, dossier
from workflow.errors import InvalidInput, NotPermitted


def test_the_assigned_consultant_records_details_and_the_change_is_audited(
    office: Office,
) -> None:
    app = office.workflow.open_application(
        office.nib, "trademark", office.consultant, details={"mark_name": "SAGU IBU ANA"}
    )
    merged = office.workflow.set_details(
        app, {"nice_classes": "30", "mark_name": ""}, office.consultant, note="kelas dari DJKI"
    )
    assert merged == {"nice_classes": "30"}
    row = app_row(office, app)
    assert row["details"] == {"nice_classes": "30"} and row["state"] == "INTAKE"
    entries = audit_rows(office, app)
    assert [e["trigger"] for e in entries] == ["@open", DETAILS, DETAILS]
    assert entries[-1]["data"] == {
        "nice_classes": "30",
        "mark_name": "",
        IMAGE: {"details": {"nice_classes": "30"}, "version": 3},  # what it set, for replay
    }
    definition = office.workflow.registry.get("trademark")
    assert verify_chain(row, entries, lambda key, version: definition) == []


def test_others_may_not_change_details_and_bad_names_are_refused(office: Office) -> None:
    app = office.workflow.open_application(office.nib, "trademark", office.consultant)
    before = snapshot(office)
    with pytest.raises(NotPermitted, match="only the assigned consultant or an admin"):
        office.workflow.set_details(app, {"mark_name": "X"}, office.other_consultant)
    with pytest.raises(NotPermitted):
        office.workflow.set_details(app, {"mark_name": "X"}, office.owner)
    with pytest.raises(InvalidInput, match="detail names are words"):
        office.workflow.set_details(app, {"mark name<>": "X"}, office.admin)
    assert snapshot(office) == before
    assert office.workflow.set_details(app, {"mark_name": "X"}, office.admin) == {"mark_name": "X"}


def test_a_newer_dossier_document_of_a_kind_replaces_the_older_one(office: Office) -> None:
    office.give_evidence(office.nib, ("nib",), valid_until=date(2026, 12, 31))
    add_evidence(
        office.db,
        office.nib,
        "nib",
        "NIB perubahan 2026.pdf",
        valid_until=None,
        acting=office.admin,
        now=office.clock(),
    )
    rows = [r for r in dossier(office.db, office.nib) if r["kind"] == "nib"]
    assert len(rows) == 1
    assert (rows[0]["reference"], rows[0]["valid_until"]) == ("NIB perubahan 2026.pdf", None)
    with pytest.raises(InvalidInput, match="unknown evidence kind 'akta'; known kinds: "):
        add_evidence(
            office.db,
            office.nib,
            "akta",
            "x.pdf",
            valid_until=None,
            acting=office.admin,
            now=office.clock(),
        )
