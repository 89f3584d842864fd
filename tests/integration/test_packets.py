"""Packets issued for real applications, stored, reused, regenerated and verified (both DBs)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from documents.packets import PACKETS, PacketService
from documents.render import Renderer
from documents.verify import verify_pdf
from tests.support import TRADEMARK_EVIDENCE, Office
from workflow.directory import replace_profile
from workflow.errors import InvalidInput
from workflow.facts import MaterialFacts, ProductFacts
from workflow.settings import Settings

RENDERER = Renderer()  # one per test session, as one per worker process in production


def text_of(path: Path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return "\n".join(page.extract_text() for page in reader.pages)


def page_count(path: Path) -> int:
    return len(PdfReader(io.BytesIO(path.read_bytes())).pages)


@pytest.fixture
def service(office: Office, tmp_path: Path) -> PacketService:
    settings = Settings(storage_dir=str(tmp_path / "packets"), secret_key="s" * 40)
    return PacketService(office.db, settings, renderer=RENDERER, today=office.workflow.today)


@pytest.fixture
def trademark_app(office: Office) -> int:
    with office.db.begin() as conn:
        replace_profile(
            conn,
            1,
            [ProductFacts("Sagu lempeng original", "Sagu lempeng khas Saparua, 250 g")],
            [
                MaterialFacts(
                    "Tepung sagu", "bahan baku", "Petani Saparua", "Daftar positif KMA 1360/2021"
                )
            ],
            ["Pembelian sagu", "Pemanggangan", "Pengemasan"],
        )
    app = office.workflow.open_application(
        office.nib,
        "trademark",
        office.consultant,
        details={"mark_name": "SAGU IBU ANA", "nice_classes": "30", "goods": "Sagu lempeng"},
    )
    office.workflow.advance(app, "start_document_preparation", office.consultant)
    return app


def test_a_packet_holds_the_umkms_data_in_indonesian_with_every_document(
    office: Office, service: PacketService, trademark_app: int
) -> None:
    stored = service.issue(trademark_app)
    assert stored.outcome == "issued" and stored.state == "DOC_PREPARATION"
    text = text_of(stored.path)
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
    assert stored.pages == page_count(stored.path)
    assert stored.pages >= len(definition.states["DOC_PREPARATION"].documents) + 2


def test_the_english_packet_is_in_english(service: PacketService, trademark_app: int) -> None:
    text = text_of(service.issue(trademark_app, lang="en").path)
    assert "2 November 2026" in text and "Document checklist" in text
    assert "Page 1 of" in text and "Halaman" not in text


def test_asking_again_returns_the_stored_packet_until_the_inputs_change(
    office: Office, service: PacketService, trademark_app: int
) -> None:
    first = service.issue(trademark_app)
    again = service.issue(trademark_app)
    assert (again.outcome, again.path, again.code) == ("reused", first.path, first.code)
    office.give_evidence(office.nib, TRADEMARK_EVIDENCE[:2])
    changed = service.issue(trademark_app)
    assert changed.outcome == "issued" and changed.code != first.code
    assert "Label / etiket merek" in text_of(changed.path)


def test_a_missing_or_corrupted_file_is_regenerated_with_the_same_code(
    service: PacketService, trademark_app: int
) -> None:
    first = service.issue(trademark_app)
    first.path.unlink()
    regenerated = service.issue(trademark_app)
    assert (regenerated.outcome, regenerated.code) == ("regenerated", first.code)
    assert regenerated.path.is_file()
    data = bytearray(regenerated.path.read_bytes())
    data[len(data) // 2] ^= 0x01
    regenerated.path.write_bytes(bytes(data))
    again = service.issue(trademark_app)
    assert again.outcome == "regenerated" and again.code == first.code
    assert not regenerated.path.exists() or regenerated.path == again.path
    assert verify_pdf(service.db, service.secret, again.path.read_bytes()).ok


def test_verification_names_the_packet_and_detects_a_one_byte_change(
    service: PacketService, trademark_app: int
) -> None:
    stored = service.issue(trademark_app)
    data = stored.path.read_bytes()
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
    tampered = verify_pdf(service.db, service.secret, stored.path.read_bytes())
    assert tampered.status == "record_tampered"
    other_key = verify_pdf(service.db, b"another office's key", stored.path.read_bytes())
    assert other_key.status == "record_tampered"


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
    assert f"{trademark_app:05d}.03/PLUT/MRK/XI/2026" in text_of(stored.path)
