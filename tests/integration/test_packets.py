"""Packets issued for real applications, stored, reused, regenerated and verified (both DBs)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update

from documents import issue_packet, render
from documents.context import PacketContext
from documents.issued import DOCUMENTS, reusable
from documents.packets import PACKETS, PacketService, StoredPacket
from documents.render import Pages, RenderedPdf, Renderer
from documents.signing import RecordTampered
from documents.store import LocalStore
from documents.verify import IssueContents, issue_contents, verify_code, verify_pdf
from tests.support import TRADEMARK_EVIDENCE, Office, trademark_in_preparation
from workflow import journal
from workflow.directory import replace_profile
from workflow.errors import InvalidInput
from workflow.facts import MaterialFacts, ProductFacts
from workflow.permissions import acting_user
from workflow.policy import Policy
from workflow.settings import Settings

RENDERER = Renderer()  # one per test session, as one per worker process in production


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def page_count(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def stored_file(service: PacketService, content_hash: str) -> Path:
    """The file the local store keeps under ``content_hash``, for tests that lose or damage it
    (the same on a bucket: tests/integration/test_storage.py)."""
    assert isinstance(service.store, LocalStore)
    path = service.store.path_of(content_hash)
    assert str(path) == service.store.location(content_hash)
    return path


def file_of(service: PacketService, stored: StoredPacket) -> Path:
    return stored_file(service, stored.content_hash)


@pytest.fixture
def service(office: Office, tmp_path: Path) -> PacketService:
    settings = Settings(storage_dir=str(tmp_path / "packets"), secret_key="s" * 40)
    return PacketService(office.db, settings, renderer=RENDERER, today=office.workflow.today)


@pytest.fixture
def trademark_app(office: Office) -> int:
    with journal.writing(office.db) as conn:
        replace_profile(
            conn,
            acting_user(conn, office.admin),
            1,
            [ProductFacts("Sagu lempeng original", "Sagu lempeng khas Saparua, 250 g")],
            [
                MaterialFacts(
                    "Tepung sagu", "bahan baku", "Petani Saparua", "Daftar positif KMA 1360/2021"
                )
            ],
            ["Pembelian sagu", "Pemanggangan", "Pengemasan"],
        )
    return trademark_in_preparation(office)


def test_a_packet_holds_the_umkms_data_in_indonesian_with_every_document(
    office: Office, service: PacketService, trademark_app: int
) -> None:
    stored = service.issue(trademark_app)
    assert stored.outcome == "issued" and stored.state == "DOC_PREPARATION"
    text = text_of(service.read(stored))
    for expected in (
        "Sagu Ibu Ana",
        "8120000000001",
        "SAGU IBU ANA",
        "2 November 2026",
        "Pengantar berkas",
        "Daftar Periksa",
        "Halaman 1 dari",
        stored.code,
        "Kepala UPTD PLUT-KUMKM",
    ):
        assert expected in text, expected
    definition = office.workflow.registry.get("trademark")
    assert stored.pages == page_count(service.read(stored))
    assert stored.pages >= len(definition.states["DOC_PREPARATION"].documents) + 2


def test_the_english_packet_is_in_english(service: PacketService, trademark_app: int) -> None:
    text = text_of(service.read(service.issue(trademark_app, lang="en")))
    assert "2 November 2026" in text and "Document checklist" in text
    assert "Page 1 of" in text and "Halaman" not in text


def test_asking_again_returns_the_stored_packet_until_the_inputs_change(
    office: Office, service: PacketService, trademark_app: int
) -> None:
    first = service.issue(trademark_app)
    again = service.issue(trademark_app)
    assert (again.outcome, again.location, again.code) == ("reused", first.location, first.code)
    office.give_evidence(office.nib, TRADEMARK_EVIDENCE[:2], app=trademark_app)
    changed = service.issue(trademark_app)
    assert changed.outcome == "issued" and changed.code != first.code
    assert "Label / etiket merek" in text_of(service.read(changed))


def test_a_missing_or_corrupted_file_is_regenerated_with_the_same_code(
    service: PacketService, trademark_app: int
) -> None:
    first = service.issue(trademark_app)
    file_of(service, first).unlink()
    regenerated = service.issue(trademark_app)
    assert (regenerated.outcome, regenerated.code) == ("regenerated", first.code)
    assert file_of(service, regenerated).is_file()
    data = bytearray(file_of(service, regenerated).read_bytes())
    data[len(data) // 2] ^= 0x01
    file_of(service, regenerated).write_bytes(bytes(data))
    again = service.issue(trademark_app)
    assert again.outcome == "regenerated" and again.code == first.code
    assert not file_of(service, regenerated).exists() or regenerated.location == again.location
    assert verify_pdf(service.db, service.secret, file_of(service, again).read_bytes()).ok


def test_a_lost_file_is_made_again_byte_for_byte_so_copies_handed_out_still_verify(
    service: PacketService, trademark_app: int
) -> None:
    first = service.issue(trademark_app)
    handed_out = file_of(service, first).read_bytes()
    file_of(service, first).unlink()
    regenerated = service.issue(trademark_app)
    assert regenerated.outcome == "regenerated"
    assert file_of(service, regenerated).read_bytes() == handed_out
    assert verify_pdf(service.db, service.secret, handed_out).ok


def test_after_an_upgrade_a_lost_packet_is_issued_anew_and_old_copies_still_verify(
    office: Office,
    service: PacketService,
    trademark_app: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = service.issue(trademark_app)
    handed_out = file_of(service, first).read_bytes()
    file_of(service, first).unlink()
    upgraded = dict(render.rendering_libraries(), WeasyPrint="999.0")
    monkeypatch.setattr(render, "rendering_libraries", lambda: upgraded)
    after_upgrade = PacketService(
        office.db, service.settings, renderer=Renderer(), today=office.workflow.today
    )
    assert after_upgrade.renderer.version != service.renderer.version
    again = after_upgrade.issue(trademark_app)
    assert again.outcome == "issued" and again.code != first.code
    earlier = verify_pdf(service.db, service.secret, handed_out)
    assert earlier.ok and earlier.code == first.code


def test_a_new_public_address_issues_the_packet_and_its_documents_anew(
    office: Office, service: PacketService, trademark_app: int
) -> None:
    first = service.issue(trademark_app)
    moved = replace(service.settings, public_url="https://plut.malukuprov.example")
    after_move = PacketService(office.db, moved, renderer=RENDERER, today=office.workflow.today)
    again = after_move.issue(trademark_app)
    assert again.outcome == "issued" and again.code != first.code
    assert "https://plut.malukuprov.example/verifikasi/" in text_of(after_move.read(again))
    stage = office.workflow.registry.get("trademark").states["DOC_PREPARATION"]
    reused = [name for name in stage.documents if reusable(name)]
    with office.db.connect() as conn:
        codes = conn.scalars(select(DOCUMENTS.c.code)).all()
    assert len(set(codes)) == len(codes) == 2 * len(reused) > 0


def test_verification_names_the_packet_and_detects_a_one_byte_change(
    service: PacketService, trademark_app: int
) -> None:
    stored = service.issue(trademark_app)
    data = service.read(stored)
    verdict = verify_pdf(service.db, service.secret, data)
    assert (verdict.status, verdict.application_id, verdict.state, verdict.code) == (
        "authentic",
        trademark_app,
        "DOC_PREPARATION",
        stored.code,
    )
    changed = bytearray(data)
    changed[len(changed) // 3] ^= 0x20
    altered = verify_pdf(service.db, service.secret, bytes(changed))
    assert altered.status == "altered" and altered.code == stored.code
    assert "ALTERED" in altered.message


def test_a_changed_record_or_a_foreign_file_is_not_vouched_for(
    service: PacketService, trademark_app: int
) -> None:
    stored = service.issue(trademark_app)
    foreign = RENDERER.pdf("<html><body><p>Surat biasa</p></body></html>").data
    assert verify_pdf(service.db, service.secret, foreign).status == "unknown"
    with service.db.begin() as conn:
        conn.execute(update(PACKETS).values(state="FILED"))
    tampered = verify_pdf(service.db, service.secret, service.read(stored))
    assert tampered.status == "record_tampered"
    other_key = verify_pdf(service.db, b"another office's key", service.read(stored))
    assert other_key.status == "record_tampered"


def test_a_code_read_off_paper_resolves_to_its_signed_record(
    service: PacketService, trademark_app: int
) -> None:
    stored = service.issue(trademark_app)
    typed = f"  {stored.code.lower()} "
    verdict = verify_code(service.db, service.secret, typed)
    assert verdict.ok and verdict.status == "issued"
    assert (verdict.code, verdict.application_id, verdict.state) == (
        stored.code,
        trademark_app,
        "DOC_PREPARATION",
    )
    assert f"{stored.pages} halaman" in verdict.message
    filing = document_row(service, "trademark/filing_data")
    enclosed = verify_code(service.db, service.secret, filing.code)
    assert enclosed.ok and "(Data Permohonan Pendaftaran Merek)" in enclosed.message

    never = verify_code(service.db, service.secret, "SF-AAAA-BBBB")
    assert (never.status, never.ok) == ("unknown", False) and "never issued" in never.message
    garbled = verify_code(service.db, service.secret, "SF-0000-1111")  # 0 and 1 never occur
    assert garbled.status == "unknown" and "not a verification code" in garbled.message
    with service.db.begin() as conn:
        conn.execute(update(PACKETS).values(issued_on=date(2020, 1, 1)))
    tampered = verify_code(service.db, service.secret, stored.code)
    assert tampered.status == "record_tampered" and not tampered.ok


def test_a_found_code_says_what_its_paper_copy_holds(
    service: PacketService, trademark_app: int
) -> None:
    """What ``doc verify`` prints to compare with the paper in hand: whose it is, its pages,
    and its documents' titles in order, in the language it was issued in; nothing for a code
    with no record."""
    packet = service.issue(trademark_app)
    filing = document_row(service, "trademark/filing_data")
    english = service.issue(trademark_app, lang="en")
    found = {
        code: issue_contents(service.db, verify_code(service.db, service.secret, code))
        for code in (packet.code, english.code, filing.code, "SF-AAAA-BBBB")
    }
    assert found == {
        packet.code: IssueContents(
            "Sagu Ibu Ana",
            "8120000000001",
            packet.pages,
            (
                "Surat Pengantar",
                "Panduan Pendaftaran Merek bagi UMKM",
                "Data Permohonan Pendaftaran Merek",
                "Surat Pernyataan Kepemilikan Merek",
                "Surat Pernyataan Usaha Mikro dan Kecil",
                "Surat Rekomendasi UKM Binaan",
                "Daftar Periksa Kelengkapan Dokumen",
            ),
        ),
        english.code: IssueContents(
            "Sagu Ibu Ana",
            "8120000000001",
            english.pages,
            (
                "Covering letter",
                "Trademark registration guide",
                "Trademark filing data",
                "Trademark ownership statement",
                "UMK statement",
                "UMK recommendation letter",
                "Document checklist",
            ),
        ),
        filing.code: IssueContents(
            "Sagu Ibu Ana", "8120000000001", filing.pages, ("Data Permohonan Pendaftaran Merek",)
        ),
        "SF-AAAA-BBBB": None,
    }


def test_a_stage_without_paperwork_says_which_stages_have_packets(
    office: Office, service: PacketService
) -> None:
    app = office.workflow.open_application(office.nib, "sni", office.consultant)
    with pytest.raises(InvalidInput, match="stages with packets: PREPARATION"):
        service.issue(app)
    with pytest.raises(InvalidInput, match="has no stage NOWHERE"):
        service.issue(app, "NOWHERE")
    with pytest.raises(InvalidInput, match="language 'fr'"):
        service.issue(app, "PREPARATION", lang="fr")
    assert service.issue(app, "PREPARATION").state == "PREPARATION"


def test_the_reference_number_and_date_follow_indonesian_letter_practice(
    service: PacketService, trademark_app: int
) -> None:
    stored = service.issue(trademark_app)
    assert stored.issued_on == date(2026, 11, 2)
    # application number, then its audit position (opened, details recorded, preparation)
    assert f"{trademark_app:05d}.03/PLUT/MRK/XI/2026" in text_of(service.read(stored))


class CountingRenderer(Renderer):
    """A real renderer that remembers which documents it laid out."""

    def __init__(self) -> None:
        super().__init__()
        self.laid_out: list[str] = []

    def document(self, name: str, ctx: PacketContext) -> RenderedPdf:
        if not self.is_static(name):
            self.laid_out.append(name)
        return super().document(name, ctx)

    def documents(self, names: Sequence[str], ctx: PacketContext) -> list[Pages]:
        self.laid_out.extend(name for name in names if not self.is_static(name))
        return super().documents(names, ctx)


def document_row(service: PacketService, name: str) -> Any:
    """The record of the application's one issued document ``name``."""
    with service.db.connect() as conn:
        return conn.execute(select(DOCUMENTS).where(DOCUMENTS.c.document == name)).one()


def document_codes(service: PacketService) -> dict[str, str]:
    with service.db.connect() as conn:
        rows = conn.execute(select(DOCUMENTS.c.document, DOCUMENTS.c.code)).all()
    return {row.document: row.code for row in rows}


@pytest.fixture
def counting(office: Office, tmp_path: Path) -> PacketService:
    settings = Settings(storage_dir=str(tmp_path / "packets"), secret_key="s" * 40)
    return PacketService(
        office.db, settings, renderer=CountingRenderer(), today=office.workflow.today
    )


def test_a_later_packet_reuses_the_documents_an_earlier_one_issued_unchanged(
    office: Office, counting: PacketService, trademark_app: int
) -> None:
    renderer = counting.renderer
    assert isinstance(renderer, CountingRenderer)
    preparation = counting.issue(trademark_app, "DOC_PREPARATION")
    codes = document_codes(counting)
    assert sorted(codes) == [
        "trademark/filing_data",
        "trademark/ownership_statement",
        "trademark/umk_statement",
    ]  # the covering letter, checklist and the office's dated letter belong to the packet
    renderer.laid_out.clear()

    filed = counting.issue(trademark_app, "FILED")

    assert renderer.laid_out == ["common/cover_letter", "common/checklist"]
    assert document_codes(counting) == codes
    text = text_of(counting.read(filed))
    assert codes["trademark/filing_data"] in text and filed.code in text
    assert "SAGU IBU ANA" in text
    cover = PdfReader(io.BytesIO(counting.read(filed))).pages[0].extract_text()
    assert codes["trademark/filing_data"] in cover  # the letter lists each enclosure's code
    filing_pages = document_row(counting, "trademark/filing_data").pages
    # the covering letter, the filing data sheet's pages, the checklist
    assert filed.pages == page_count(counting.read(filed)) == 1 + filing_pages + 1
    first_cover = PdfReader(io.BytesIO(counting.read(preparation))).pages[0].extract_text()
    assert all(code in first_cover for code in codes.values())
    assert verify_pdf(counting.db, counting.secret, counting.read(filed)).ok


def test_a_changed_dossier_issues_the_document_again_under_a_new_code(
    office: Office, counting: PacketService, trademark_app: int
) -> None:
    first = counting.issue(trademark_app, "DOC_PREPARATION")
    before = document_codes(counting)["trademark/filing_data"]
    office.workflow.set_details(
        trademark_app, {"goods": "Sagu lempeng; Sagu tumbu"}, office.consultant
    )

    filed = counting.issue(trademark_app, "FILED")

    with counting.db.connect() as conn:
        codes = set(
            conn.execute(
                select(DOCUMENTS.c.code).where(DOCUMENTS.c.document == "trademark/filing_data")
            ).scalars()
        )
    assert before in codes and len(codes) == 2
    (after,) = codes - {before}
    text = text_of(counting.read(filed))
    assert "Sagu tumbu" in text and after in text and before not in text
    assert verify_pdf(counting.db, counting.secret, counting.read(first)).ok


def test_a_reused_documents_lost_file_is_rendered_again_under_its_code(
    counting: PacketService, trademark_app: int
) -> None:
    counting.issue(trademark_app, "DOC_PREPARATION")
    row = document_row(counting, "trademark/filing_data")
    lost = stored_file(counting, row.content_hash)
    lost.write_bytes(b"%PDF-1.7 damaged")

    filed = counting.issue(trademark_app, "FILED")

    with counting.db.connect() as conn:
        again = conn.execute(select(DOCUMENTS).where(DOCUMENTS.c.id == row.id)).one()
    assert (again.code, again.issued_on, again.reference) == (
        row.code,
        row.issued_on,
        row.reference,
    )
    assert row.code in text_of(counting.read(filed))
    stored = stored_file(counting, again.content_hash)
    verdict = verify_pdf(counting.db, counting.secret, stored.read_bytes())
    assert verdict.ok and verdict.code == row.code


def test_a_document_verifies_on_its_own_and_a_changed_one_is_altered(
    counting: PacketService, trademark_app: int
) -> None:
    counting.issue(trademark_app, "DOC_PREPARATION")
    row = document_row(counting, "trademark/ownership_statement")
    data = stored_file(counting, row.content_hash).read_bytes()
    verdict = verify_pdf(counting.db, counting.secret, data)
    assert (verdict.status, verdict.code, verdict.application_id, verdict.state) == (
        "authentic",
        row.code,
        trademark_app,
        "DOC_PREPARATION",
    )
    assert "Surat Pernyataan Kepemilikan Merek" in verdict.message
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x20
    altered = verify_pdf(counting.db, counting.secret, bytes(changed))
    assert (altered.status, altered.code) == ("altered", row.code)
    with counting.db.begin() as conn:
        conn.execute(update(DOCUMENTS).values(state="FILED"))
    assert verify_pdf(counting.db, counting.secret, data).status == "record_tampered"


def test_two_workers_issuing_the_same_new_document_agree_on_one_record(
    office: Office, counting: PacketService, trademark_app: int, tmp_path: Path
) -> None:
    counting.issue(trademark_app, "DOC_PREPARATION")
    codes = document_codes(counting)
    late = PacketService(
        office.db,
        counting.settings,
        renderer=RENDERER,
        today=office.workflow.today,
    )
    unseen: Iterator[dict[str, dict[str, Any]]] = iter(
        [{}]
    )  # the other worker's records are not committed yet when it looks

    def records(application_id: int, keys: Collection[str]) -> dict[str, dict[str, Any]]:
        found = next(unseen, None)
        return found if found is not None else lookup(application_id, keys)

    lookup = late.documents._records
    late.documents._records = records  # type: ignore[method-assign]

    filed = late.issue(trademark_app, "FILED")

    assert document_codes(late) == codes
    with office.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DOCUMENTS)).scalar() == 3
    assert codes["trademark/filing_data"] in text_of(late.read(filed))


def test_the_workers_entry_point_dates_packets_by_the_offices_clock(
    office: Office, trademark_app: int, tmp_path: Path
) -> None:
    """Not by the host's: a UTC server would otherwise date Maluku's packets a day early every
    morning before 09:00 WIT."""
    settings = Settings(
        storage_dir=str(tmp_path / "packets"),
        secret_key="s" * 40,
        policy=Policy(timezone="Asia/Jayapura"),
    )
    before = datetime.now(ZoneInfo("Asia/Jayapura")).date()
    stored = issue_packet(office.db, settings, trademark_app)
    assert stored.outcome == "issued"
    assert stored.issued_on in (before, datetime.now(ZoneInfo("Asia/Jayapura")).date())


def test_a_changed_record_is_never_reused_or_signed_again(
    counting: PacketService, trademark_app: int
) -> None:
    """Otherwise a database edit (a document pointed at another file, a new reference) would
    come back out in the next packet under a genuine signature."""
    first = counting.issue(trademark_app, "DOC_PREPARATION")
    with counting.db.begin() as conn:
        conn.execute(
            update(DOCUMENTS)
            .where(DOCUMENTS.c.document == "trademark/filing_data")
            .values(reference="00001.99/PLUT/MRK/XI/2026")
        )
    with pytest.raises(RecordTampered, match=r"record of document SF-.* was changed"):
        counting.issue(trademark_app, "FILED")
    with counting.db.begin() as conn:
        conn.execute(update(PACKETS).where(PACKETS.c.code == first.code).values(pages=1))
    with pytest.raises(RecordTampered, match=f"record of packet {first.code} .* was changed"):
        counting.issue(trademark_app, "DOC_PREPARATION")
    with counting.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(PACKETS)).scalar() == 1


def test_two_workers_issuing_the_same_packet_agree_on_one_record(
    office: Office, service: PacketService, trademark_app: int
) -> None:
    first = service.issue(trademark_app)
    late = PacketService(
        office.db, service.settings, renderer=RENDERER, today=office.workflow.today
    )
    unseen = iter([None])  # the other worker's packet is not committed yet when it looks
    lookup = late._find

    def find(app_id: int, state: str, lang: str, inputs: str) -> dict[str, Any] | None:
        return next(unseen, lookup(app_id, state, lang, inputs))

    late._find = find  # type: ignore[method-assign]

    again = late.issue(trademark_app)

    assert (again.outcome, again.code, again.location) == ("reused", first.code, first.location)
    with office.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(PACKETS)).scalar() == 1


def test_a_record_pointed_at_a_forged_file_is_not_vouched_for(
    service: PacketService, trademark_app: int
) -> None:
    """Someone with the database swaps the record's hash for a forged PDF's: the record's
    signature covers the hash, so the forged file is never 'authentic'."""
    stored = service.issue(trademark_app)
    data = bytearray(service.read(stored))
    data[len(data) // 3] ^= 0x20  # a forged copy, code and all
    forged = bytes(data)
    with service.db.begin() as conn:
        conn.execute(
            update(PACKETS)
            .where(PACKETS.c.code == stored.code)
            .values(content_hash=hashlib.sha256(forged).hexdigest())
        )
    assert verify_pdf(service.db, service.secret, forged).status == "record_tampered"
    assert verify_pdf(service.db, service.secret, service.read(stored)).status != "authentic"
