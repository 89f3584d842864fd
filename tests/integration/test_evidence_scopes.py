"""Evidence belongs to what it proves: the business, one application, or one mark; and a
business may keep several applications of one kind open (one per mark, one per product and
standard), never a true duplicate. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text, update

from tests.integration.test_cli import GOOD, Cli, add_consultant, write
from tests.support import SNI_EVIDENCE, TRADEMARK_EVIDENCE, Office, drive, seed_office
from workflow import journal
from workflow.audit import plain
from workflow.directory import add_evidence, dossier
from workflow.engine import Engine as Workflow
from workflow.errors import ConflictError, GuardRefused, InvalidInput, NotFound, NotPermitted
from workflow.evidence import evidence_subject
from workflow.facts import load_facts
from workflow.ledger import EVIDENCE
from workflow.persistence.database import reading
from workflow.persistence.migrate import downgrade, upgrade
from workflow.verification import verify_audit

HALAL_SUBMIT = ("nib", "product_list", "materials_list", "process_flow", "sjph_manual")


def _add(
    office: Office,
    kind: str,
    reference: str,
    *,
    app: int | None = None,
    mark: str | None = None,
    acting: str | None = None,
    nib: str | None = None,
    valid_until: date | None = None,
) -> None:
    add_evidence(
        office.db,
        nib or office.nib,
        kind,
        reference,
        valid_until=valid_until,
        acting=acting or office.admin,
        now=office.clock(),
        application_id=app,
        mark=mark,
    )


def _open(office: Office, process: str, nib: str | None = None, **details: str) -> int:
    return office.workflow.open_application(
        nib or office.nib, process, office.consultant, details=details or None
    )


def _problems(office: Office) -> list[str]:
    with reading(office.db).connect() as conn:
        report = verify_audit(conn, office.workflow.registry)
    return [f"#{p.application_id}: {p.problem}" for p in report.problems] + [
        f"{p.subject}: {p.problem}" for p in report.journal_problems
    ]


def _sni_at_payment(office: Office, brand: str = "SAGU IBU ANA") -> int:
    """An SNI application of the first business waiting for its payment (a licensed mark)."""
    app = _open(office, "sni", brand=brand, product_type="Sagu lempeng", sni_number="SNI 1")
    office.give_evidence(office.nib, (*SNI_EVIDENCE[:-1], "trademark_licence"), app=app)
    drive(office, app, "start_document_preparation", "apply", "review_started", "accepted")
    return app


# --------------------------------------------------------------------------- scopes in guards


def test_an_sni_payment_is_refused_on_the_halal_invoices_proof_and_says_whose_it_is(
    office: Office,
) -> None:
    halal = _open(office, "halal_regular")
    _add(office, "payment_proof", "PAY-1", app=halal, valid_until=date(2027, 1, 31))
    sni = _sni_at_payment(office)
    with pytest.raises(GuardRefused) as refused:
        office.workflow.advance(sni, "paid", office.consultant)
    assert refused.value.reasons == [
        f"missing payment_proof (Bukti pembayaran) for this application: bukti pembayaran "
        f"PAY-1 is for application #{halal} (halal_regular)"
    ]
    blocked = {o.trigger: o.blocked_by for o in office.workflow.options(sni, office.consultant)}
    assert blocked["paid"] == tuple(refused.value.reasons)
    _add(office, "payment_proof", "PAY-2", app=sni, valid_until=date(2027, 1, 31))
    assert drive(office, sni, "paid").to_state == "AUDIT"
    assert _problems(office) == []


def test_one_umk_letter_is_not_accepted_for_two_marks(office: Office) -> None:
    first = _open(office, "trademark", mark_name="SAGU IBU ANA", nice_classes="30")
    office.give_evidence(office.nib, TRADEMARK_EVIDENCE, app=first)
    drive(office, first, "start_document_preparation", "billing_paid_and_submitted")
    second = _open(office, "trademark", mark_name="KOPI RAJA", nice_classes="30")
    office.give_evidence(
        office.nib, tuple(k for k in TRADEMARK_EVIDENCE if k != "umk_recommendation"), app=second
    )
    drive(office, second, "start_document_preparation")
    with pytest.raises(GuardRefused) as refused:
        office.workflow.advance(second, "billing_paid_and_submitted", office.consultant)
    assert refused.value.reasons == [
        "missing umk_recommendation (Surat Rekomendasi / Keterangan UKM Binaan) for this "
        "application: surat rekomendasi / keterangan ukm binaan umk_recommendation.pdf is for "
        f"application #{first} (trademark)"
    ]


def test_a_marks_documents_serve_every_application_about_that_mark_and_no_other(
    office: Office,
) -> None:
    _add(office, "label_image", "label-sagu.jpg", mark="Sagu  ibu Ana")  # the same mark
    _add(office, "trademark_ownership", "milik-sagu.pdf", mark="SAGU IBU ANA")
    same = _open(office, "trademark", mark_name="SAGU IBU ANA", nice_classes="29")
    other = _open(office, "trademark", mark_name="KOPI RAJA", nice_classes="30")
    for app in (same, other):
        office.give_evidence(
            office.nib, ("umk_statement", "umk_recommendation", "ktp_owner"), app=app
        )
        drive(office, app, "start_document_preparation")
    assert drive(office, same, "billing_paid_and_submitted").to_state == "FILED"
    with pytest.raises(GuardRefused) as refused:
        office.workflow.advance(other, "billing_paid_and_submitted", office.consultant)
    assert refused.value.reasons == [
        "missing label_image (Label / etiket merek (JPG)) for this mark: label / etiket merek "
        "(jpg) label-sagu.jpg is for the mark SAGU IBU ANA",
        "missing trademark_ownership (Surat Pernyataan Kepemilikan Merek) for this mark: surat "
        "pernyataan kepemilikan merek milik-sagu.pdf is for the mark SAGU IBU ANA",
    ]


def test_a_mark_document_cannot_count_for_an_application_that_names_no_mark(
    office: Office,
) -> None:
    app = _open(office, "trademark")
    drive(office, app, "start_document_preparation")
    with pytest.raises(GuardRefused) as refused:
        office.workflow.advance(app, "billing_paid_and_submitted", office.consultant)
    assert (
        "missing label_image (Label / etiket merek (JPG)) for this mark: it belongs to a mark "
        f"and #{app} names none (set its mark_name detail)"
    ) in refused.value.reasons
    with pytest.raises(InvalidInput, match=f"application #{app} names none yet: set its mark_name"):
        _add(office, "label_image", "label.jpg", app=app)


def test_an_sni_licence_is_for_the_brand_the_product_is_sold_under(office: Office) -> None:
    app = _open(office, "sni", brand="KOPI RAJA")
    office.give_evidence(office.nib, SNI_EVIDENCE, app=app)
    _add(office, "trademark_licence", "lisensi-sagu.pdf", mark="SAGU IBU ANA")
    drive(office, app, "start_document_preparation")
    with pytest.raises(GuardRefused, match="no trademark application of this UMKM is filed yet"):
        office.workflow.advance(app, "apply", office.consultant)
    _add(office, "trademark_licence", "lisensi-kopi.pdf", app=app)  # the brand's, by --app
    assert drive(office, app, "apply").to_state == "APPLICATION_SUBMITTED"
    rows = {(r["kind"], r["scope"]): r for r in dossier(office.db, office.nib)}
    assert rows[("trademark_licence", "mark:KOPI RAJA")]["reference"] == "lisensi-kopi.pdf"
    assert rows[("trademark_licence", "mark:KOPI RAJA")]["application_id"] is None


def test_the_business_documents_are_shared_and_an_application_keeps_its_own(
    office: Office,
) -> None:
    regular = _open(office, "halal_regular")
    self_declare = _open(office, "halal_self_declare", office.other_nib)
    office.give_evidence(office.nib, (*HALAL_SUBMIT, "penyelia_halal"))  # the business's
    drive(office, regular, "start_document_preparation")
    assert drive(office, regular, "submit").to_state == "SUBMITTED"
    _add(office, "halal_pledge", "ikrar.pdf", app=self_declare, nib=office.other_nib)
    _add(office, "payment_proof", "bayar-1.pdf", app=regular)
    _add(office, "payment_proof", "bayar-2.pdf", app=regular)  # replaces its own
    rows = [r for r in dossier(office.db, office.nib) if r["kind"] == "payment_proof"]
    assert [(r["reference"], r["application_id"], r["process_key"]) for r in rows] == [
        ("bayar-2.pdf", regular, "halal_regular")
    ]


# --------------------------------------------------------------------------- packets


def test_a_packets_checklist_counts_only_the_documents_in_the_applications_scope(
    office: Office,
) -> None:
    halal = _open(office, "halal_regular")
    _add(office, "payment_proof", "PAY-1", app=halal)
    _add(office, "nib", "nib.pdf")
    sni = _open(office, "sni", brand="SAGU", product_type="Sagu", sni_number="SNI 1")
    with reading(office.db).connect() as conn:
        halal_list = {
            c.kind: c
            for c in load_facts(conn, office.workflow.registry, halal, date(2026, 11, 2)).checklist
        }
        sni_list = {
            c.kind: c
            for c in load_facts(conn, office.workflow.registry, sni, date(2026, 11, 2)).checklist
        }
    assert (halal_list["payment_proof"].status, halal_list["payment_proof"].reference) == (
        "present",
        "PAY-1",
    )
    assert (sni_list["payment_proof"].status, sni_list["payment_proof"].reference) == (
        "missing",
        "",
    )
    assert sni_list["nib"].status == halal_list["nib"].status == "present"


# --------------------------------------------------------------------------- adding, refused


def test_a_scoped_kind_needs_its_application_or_mark_and_a_business_kind_takes_none(
    office: Office,
) -> None:
    halal = _open(office, "halal_regular")
    mark = _open(office, "trademark", office.other_nib, mark_name="KOPI")
    cases: list[tuple[dict[str, object], type[Exception], str]] = [
        ({"kind": "payment_proof"}, InvalidInput, "is for one application: name it with --app ID"),
        (
            {"kind": "payment_proof", "mark": "X"},
            InvalidInput,
            "is for one application, not a mark: name it with --app ID",
        ),
        ({"kind": "nib", "app": halal}, InvalidInput, "belongs to the business, shared by all"),
        ({"kind": "nib", "mark": "X"}, InvalidInput, "leave out --app and --mark"),
        ({"kind": "label_image"}, InvalidInput, "is for one mark: name it with --mark NAME"),
        ({"kind": "label_image", "mark": "  "}, InvalidInput, "is for one mark"),
        (
            {"kind": "label_image", "app": halal, "mark": "X"},
            InvalidInput,
            "give either --app or --mark for label_image, not both",
        ),
        (
            {"kind": "label_image", "app": halal},
            InvalidInput,
            "label_image is for a mark, and a halal_regular application is about none",
        ),
        (
            {"kind": "umk_statement", "app": halal},
            InvalidInput,
            "a halal_regular application never asks for umk_statement",
        ),
        (
            {"kind": "payment_proof", "app": mark},
            InvalidInput,
            f"application #{mark} is not of the business with NIB {office.nib}",
        ),
        ({"kind": "payment_proof", "app": 999}, NotFound, "no application #999"),
        ({"kind": "label_image", "mark": "M" * 201}, InvalidInput, "the mark's name is 201"),
    ]
    for arguments, error, message in cases:
        kind = str(arguments.pop("kind"))
        with pytest.raises(error, match=message):
            _add(office, kind, "x.pdf", **arguments)  # type: ignore[arg-type]
    assert dossier(office.db, office.nib) == []


def test_an_applications_document_is_added_by_who_may_act_for_that_application(
    office: Office,
) -> None:
    rinas = _open(office, "halal_regular")
    yosefs = office.workflow.open_application(
        office.nib, "sni", office.admin, assignee=office.other_consultant
    )
    with pytest.raises(NotPermitted, match=f"rina may not add documents to application #{yosefs}"):
        _add(office, "payment_proof", "p.pdf", app=yosefs, acting=office.consultant)
    with pytest.raises(NotPermitted, match=f"yosef may not add documents to application #{rinas}"):
        _add(office, "payment_proof", "p.pdf", app=rinas, acting=office.other_consultant)
    _add(office, "payment_proof", "p.pdf", app=yosefs, acting=office.other_consultant)
    _add(office, "payment_proof", "p.pdf", app=rinas, acting=office.owner)  # its own business
    other = _open(office, "halal_regular", office.other_nib)
    with pytest.raises(NotPermitted, match=f"ana may not add documents to application #{other}"):
        _add(office, "payment_proof", "p.pdf", app=other, acting=office.owner, nib=office.other_nib)
    assert len(dossier(office.db, office.nib)) == 2
    assert _problems(office) == []


# --------------------------------------------------------------------------- journal


def test_a_scoped_document_edited_or_moved_behind_sertiflows_back_is_caught(
    office: Office,
) -> None:
    halal = _open(office, "halal_regular")
    sni = _open(office, "sni")
    _add(office, "payment_proof", "PAY-1", app=halal)
    assert _problems(office) == []
    subject = evidence_subject(1, "payment_proof", f"application:{halal}")
    with office.db.begin() as conn:
        conn.execute(update(EVIDENCE).values(application_id=sni))
    assert _problems(office) == [
        f"{subject}: application_id differs from what the journal recorded: edited outside "
        "sertiflow"
    ]
    with office.db.begin() as conn:
        conn.execute(update(EVIDENCE).values(application_id=sni, scope=f"application:{sni}"))
    moved = evidence_subject(1, "payment_proof", f"application:{sni}")
    assert _problems(office) == [
        f"{moved}: not in the office journal: inserted outside sertiflow",
        f"{subject}: in the office journal but gone: deleted outside sertiflow",
    ]


# --------------------------------------------------------------------------- several applications


def test_a_business_files_several_marks_but_never_the_same_mark_and_classes_twice(
    office: Office,
) -> None:
    first = _open(office, "trademark", mark_name="Sagu Ibu Ana", nice_classes="29, 30")
    assert _open(office, "trademark", mark_name="KOPI RAJA", nice_classes="30")
    assert _open(office, "trademark", mark_name="SAGU IBU ANA", nice_classes="35")
    for details in (
        {"mark_name": "SAGU  IBU ANA", "nice_classes": "30,29"},
        {"mark_name": "sagu ibu ana", "nice_classes": "kelas 29 dan 30"},
    ):
        with pytest.raises(ConflictError) as refused:
            _open(office, "trademark", **details)
        assert str(refused.value) == (
            f"this UMKM already has open trademark application #{first} for the mark SAGU IBU "
            "ANA in class(es) 29,30; advance or cancel it instead of opening another; to open "
            "another, give it a different mark_name or nice_classes ('--detail')"
        )
    unnamed = _open(office, "trademark")
    with pytest.raises(ConflictError, match=f"#{unnamed} \\(it records no mark_name or nice_"):
        _open(office, "trademark")
    drive(office, first, "cancel")  # a closed one is no duplicate
    assert _open(office, "trademark", mark_name="SAGU IBU ANA", nice_classes="29,30")
    assert _problems(office) == []


def test_a_business_certifies_several_products_but_not_one_product_to_one_standard_twice(
    office: Office,
) -> None:
    chips = _open(office, "sni", product_type="Keripik pisang", sni_number="SNI 01-4315-1996")
    assert _open(office, "sni", product_type="Keripik pisang", sni_number="SNI 2973:2011")
    assert _open(office, "sni", product_type="Air minum", sni_number="SNI 01-4315-1996")
    with pytest.raises(ConflictError) as refused:
        _open(office, "sni", product_type="keripik  PISANG", sni_number="sni 01-4315-1996")
    assert str(refused.value).startswith(
        f"this UMKM already has open sni application #{chips} for the product KERIPIK PISANG "
        "under SNI 01-4315-1996; advance or cancel it"
    )


def test_halal_stays_one_open_application_per_path_unless_the_product_scope_differs(
    office: Office,
) -> None:
    first = _open(office, "halal_regular")
    with pytest.raises(ConflictError, match=f"open halal_regular application #{first} \\(it "):
        _open(office, "halal_regular")
    assert _open(office, "halal_self_declare")  # the other path
    drinks = _open(office, "halal_regular", product_scope="Minuman sari pala")
    with pytest.raises(ConflictError, match=f"#{drinks} for the product scope MINUMAN SARI PALA"):
        _open(office, "halal_regular", product_scope="minuman sari pala")


def test_details_changed_into_a_duplicate_are_refused(office: Office) -> None:
    first = _open(office, "trademark", mark_name="SAGU IBU ANA", nice_classes="30")
    second = _open(office, "trademark", mark_name="KOPI RAJA", nice_classes="30")
    with pytest.raises(ConflictError, match=f"open trademark application #{first} for the mark"):
        office.workflow.set_details(second, {"mark_name": "Sagu Ibu Ana"}, office.consultant)
    assert office.workflow.set_details(second, {"goods": "Kopi"}, office.consultant)[
        "mark_name"
    ] == ("KOPI RAJA")
    assert office.workflow.set_details(first, {"nice_classes": "30"}, office.consultant)


# --------------------------------------------------------------------------- migration 0007


def _as_schema_0006_wrote_it(office: Office, kinds: tuple[str, ...]) -> None:
    """Documents put into the first business's dossier the way schema 0006 did: one per kind,
    journalled whole (four columns) under ``evidence:UMKM:KIND``."""
    now = office.clock()
    with journal.writing(office.db) as conn:
        for kind in kinds:
            image = {
                "reference": f"{kind}-lama.pdf",
                "valid_until": None,
                "added_at": now,
                "added_by": 1,
            }
            conn.execute(  # the table as 0006 had it: no scope, no application
                text(
                    "INSERT INTO evidence (umkm_id, kind, reference, valid_until, added_at, "
                    "added_by) VALUES (1, :kind, :reference, :valid_until, :added_at, :added_by)"
                ),
                {"kind": kind, **image},
            )
            journal.note(
                conn,
                at=now,
                actor_id=1,
                action="evidence.set",
                subject=f"evidence:1:{kind}",
                data={"image": {k: plain(v) for k, v in image.items()}},
            )


def test_the_upgrade_attaches_each_document_to_what_it_proves_and_verify_stays_clean(
    db: Engine,
) -> None:
    office = seed_office(db)
    halal = _open(office, "halal_regular")
    office.clock.advance(days=1)
    sni = _open(office, "sni", brand="SAGU", product_type="Sagu", sni_number="SNI 1")
    closed_mark = _open(office, "trademark", mark_name="LAMA", nice_classes="30")
    drive(office, closed_mark, "cancel")
    office.clock.advance(days=1)
    mark = _open(office, "trademark", mark_name="Sagu Ibu Ana", nice_classes="30")
    office.clock.advance(days=1)
    closed_again = _open(office, "trademark", mark_name="LAGI", nice_classes="30")
    drive(office, closed_again, "cancel")  # the most recent, but closed: the open one wins
    downgrade(db, "0006")
    assert "scope" not in {c["name"] for c in inspect(db).get_columns("evidence")}
    _as_schema_0006_wrote_it(
        office, ("nib", "payment_proof", "umk_recommendation", "label_image", "halal_pledge")
    )
    upgrade(db)
    rows = {r["kind"]: (r["scope"], r["application_id"]) for r in dossier(office.db, office.nib)}
    assert rows == {
        "nib": ("", None),
        "payment_proof": (f"application:{sni}", sni),  # two open ask for it: the most recent
        "umk_recommendation": (f"application:{mark}", mark),
        "label_image": ("mark:SAGU IBU ANA", None),
        "halal_pledge": ("", None),  # no self-declare application: kept, attached to nothing
    }
    assert halal < sni
    assert _problems(office) == []
    _add(office, "payment_proof", "PAY-H", app=halal)
    with office.db.begin() as conn:  # tampering with a column the upgrade added
        conn.execute(
            update(EVIDENCE)
            .where(EVIDENCE.c.kind == "umk_recommendation")
            .values(application_id=closed_mark)
        )
    assert _problems(office) == [
        f"{evidence_subject(1, 'umk_recommendation', f'application:{mark}')}: application_id "
        "differs from what the journal recorded: edited outside sertiflow"
    ]
    with office.db.begin() as conn:
        conn.execute(
            update(EVIDENCE)
            .where(EVIDENCE.c.kind == "umk_recommendation")
            .values(application_id=mark)
        )
    downgrade(db, "0006")  # keeps the newest payment proof of the two, halal's
    with office.db.connect() as conn:
        kept = (
            conn.execute(text("SELECT reference FROM evidence WHERE kind = 'payment_proof'"))
            .scalars()
            .all()
        )
    assert kept == ["PAY-H"]
    upgrade(db)
    assert _problems(office) == []
    scoped = [r for r in dossier(office.db, office.nib) if r["kind"] == "payment_proof"]
    assert [(r["reference"], r["application_id"]) for r in scoped] == [("PAY-H", sni)]


# --------------------------------------------------------------------------- CLI


def test_the_cli_names_the_application_or_mark_a_document_is_for(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "office.db")
    cli("init")
    cli("import", "--as", "sertiflow", str(write(tmp_path / "r.csv", *GOOD)))
    add_consultant(cli)
    nib = "8100000000001"
    opened = cli.json(
        "app", "open", nib, "trademark", "--as", "rina",
        "--detail", "mark_name=SAGU IBU ANA", "--detail", "nice_classes=30",
    )  # fmt: skip
    app = str(opened["application_id"])
    again = cli(
        "app", "open", nib, "trademark", "--as", "rina",
        "--detail", "mark_name=sagu ibu ana", "--detail", "nice_classes=30", ok=False,
    )  # fmt: skip
    assert f"already has open trademark application #{app} for the mark SAGU" in again.stderr
    other = cli.json(
        "app", "open", nib, "trademark", "--as", "rina", "--detail", "mark_name=KOPI RAJA"
    )
    assert other["application_id"] != opened["application_id"]
    bad = cli("app", "open", nib, "sni", "--as", "rina", "--detail", "brand", ok=False)
    assert "--detail 'brand': write name=value" in bad.stderr

    missing = cli("dossier", "add", nib, "umk_recommendation", "r.pdf", "--as", "rina", ok=False)
    assert "is for one application: name it with --app ID" in missing.stderr
    undated = cli(
        "dossier", "add", nib, "umk_recommendation", "r.pdf", "--app", app, "--as", "rina", ok=False
    )
    assert "give the date it was signed (--signed-on YYYY-MM-DD)" in undated.stderr
    misdated = cli(
        "dossier",
        "add",
        nib,
        "umk_recommendation",
        "r.pdf",
        "--app",
        app,
        "--signed-on",
        "5/1",
        "--as",
        "rina",
        ok=False,
    )
    assert "--signed-on '5/1': write YYYY-MM-DD" in misdated.stderr
    misplaced = cli("dossier", "add", nib, "nib", "n.pdf", "--app", app, "--as", "rina", ok=False)
    assert "belongs to the business" in misplaced.stderr
    added = cli.json(
        "dossier",
        "add",
        nib,
        "umk_recommendation",
        "r.pdf",
        "--app",
        app,
        "--signed-on",
        "2026-01-05",
        "--as",
        "rina",
    )
    assert (added["application_id"], added["mark"]) == (int(app), None)
    said = cli(
        "dossier", "add", nib, "label_image", "l.jpg", "--mark", "Sagu Ibu Ana", "--as", "rina"
    )
    assert (
        said.stdout.strip()
        == f"label_image added to the dossier of {nib} for the mark SAGU IBU ANA"
    )
    shown = cli("dossier", "show", nib).stdout
    assert f"application #{app} (trademark)" in shown and "the mark SAGU IBU ANA" in shown
    kinds = {k["kind"]: k["scope"] for k in cli.json("dossier", "kinds")}
    assert (kinds["nib"], kinds["payment_proof"], kinds["label_image"]) == (
        "umkm",
        "application",
        "mark",
    )


def test_two_people_opening_the_same_mark_at_once_get_one_application(office: Office) -> None:
    """The first opener stops between its duplicate check and its commit; the second, opening
    the same mark meanwhile, must wait for it and then be refused (not slip past the check)."""
    checked, second_done = threading.Event(), threading.Event()
    calls = [0]

    def first_clock() -> datetime:
        calls[0] += 1
        if calls[0] == 1:  # _open's clock: right after the duplicate check, before the insert
            checked.set()
            second_done.wait(timeout=3)
        return office.clock()

    first = Workflow(office.db, clock=first_clock)
    opened: list[int] = []
    opener = threading.Thread(
        target=lambda: opened.append(
            first.open_application(
                office.nib, "trademark", office.consultant, details={"mark_name": "SAGU"}
            )
        )
    )
    opener.start()
    assert checked.wait(timeout=10)
    try:
        with pytest.raises(ConflictError, match="already has open trademark application #1"):
            _open(office, "trademark", mark_name="sagu")
    finally:
        second_done.set()
        opener.join(timeout=30)
    assert opened == [1]
