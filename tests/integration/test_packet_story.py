"""One packet tells one story: what one document of a packet says, the others do not contradict
(issue 11, section 2). Real packets issued for real applications on both databases, their text
read back from the PDF."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import update

from documents.catalog import packet_documents
from documents.packets import PacketService
from documents.render import Renderer
from tests.support import (
    HALAL_EVIDENCE,
    SNI_EVIDENCE,
    TRADEMARK_EVIDENCE,
    Office,
    app_row,
    drive,
    trademark_in_preparation,
    umkm_record,
)
from workflow import journal
from workflow.directory import add_evidence, replace_profile, update_umkm, upsert_umkm
from workflow.errors import InvalidInput
from workflow.facts import MaterialFacts, ProductFacts
from workflow.ledger import APPLICATIONS
from workflow.permissions import acting_user
from workflow.persistence.schema import Material, table
from workflow.profile_import import read_profile
from workflow.settings import Settings
from workflow.verification import verify_audit

RENDERER = Renderer()

PRODUCTS = [ProductFacts("Sagu lempeng original", "Sagu lempeng khas Saparua, 250 g")]
SUGAR = MaterialFacts("Gula aren", "bahan tambahan", "CV Aren Seram", "ID31110000123450321")
FLOUR = MaterialFacts("Tepung sagu", "bahan baku", "Petani Saparua", "Daftar positif KMA 1360/2021")
OIL = MaterialFacts("Minyak goreng curah", "bahan penolong", "Pasar Mardika", "")


@pytest.fixture
def service(office: Office, tmp_path: Path) -> PacketService:
    settings = Settings(storage_dir=str(tmp_path / "packets"), secret_key="s" * 40)
    return PacketService(office.db, settings, renderer=RENDERER, today=office.workflow.today)


def profile(office: Office, materials: list[MaterialFacts]) -> None:
    """The first UMKM's products, ``materials`` and process steps."""
    with journal.writing(office.db) as conn:
        replace_profile(
            conn,
            acting_user(conn, office.admin),
            1,
            PRODUCTS,
            materials,
            ["Pembelian sagu", "Pemanggangan", "Pengemasan"],
        )


def packet(
    service: PacketService, app: int, stage: str | None = None, lang: str = "id"
) -> dict[str, str]:
    """The text of each document of the packet of ``stage``, by document name (each document
    starts on a page numbered "Halaman 1 dari", "Page 1 of")."""
    stored = service.issue(app, stage, lang)
    reader = PdfReader(io.BytesIO(service.read(stored)))
    parts: list[str] = []
    for page in reader.pages:
        text = page.extract_text()
        if re.search(r"(Halaman 1 dari|Page 1 of) \d+", text) or not parts:
            parts.append(text)
        else:
            parts[-1] += "\n" + text
    definition = service.registry.get(app_row_key(service, app))
    names = packet_documents(definition.states[stored.state].documents)
    assert len(parts) == len(names), (len(parts), names)
    return {name: " ".join(text.split()) for name, text in zip(names, parts, strict=True)}


def app_row_key(service: PacketService, app: int) -> str:
    """The process of application ``app``."""
    with service.db.connect() as conn:
        key = conn.scalar(
            APPLICATIONS.select()
            .with_only_columns(APPLICATIONS.c.process_key)
            .where(APPLICATIONS.c.id == app)
        )
    assert isinstance(key, str)
    return key


def halal(office: Office, process: str, details: dict[str, str] | None = None) -> int:
    """A halal application of the first UMKM in document preparation, its dossier complete."""
    app = office.workflow.open_application(office.nib, process, office.consultant, details=details)
    office.give_evidence(office.nib, HALAL_EVIDENCE, app=app)
    drive(office, app, "start_document_preparation")
    return app


# --------------------------------------------------------------------------- redirect


def test_a_redirect_to_the_regular_path_carries_over_what_the_umkm_gave(
    office: Office, service: PacketService
) -> None:
    with office.db.begin() as conn:
        upsert_umkm(
            conn, [umkm_record(office.nib, "Sagu Ibu Ana", scale="menengah")], office.clock()
        )
    profile(office, [FLOUR])
    app = halal(
        office,
        "halal_self_declare",
        {"penyelia_halal": "Ana Pattiasina", "product_scope": "Sagu lempeng original"},
    )
    regular = drive(office, app, "redirect_to_regular").opened_application_id
    assert regular is not None
    assert app_row(office, regular)["details"] == {
        "penyelia_halal": "Ana Pattiasina",
        "product_scope": "Sagu lempeng original",
    }
    letter = packet(service, regular, "SUBMITTED")["halal/application_letter"]
    assert "Penyelia Halal : Ana Pattiasina" in letter
    assert "Penyelia Halal : belum ditetapkan" not in letter


# --------------------------------------------------------------------------- materials


def test_a_material_without_halal_evidence_is_flagged_and_the_ikrar_is_not_ready_to_sign(
    office: Office, service: PacketService
) -> None:
    profile(office, [FLOUR, SUGAR, OIL])
    app = halal(office, "halal_self_declare")
    docs = packet(service, app, "SUBMITTED")
    assert "Berkas belum lengkap: 1 bahan belum ada bukti kehalalan" in docs["common/checklist"]
    assert "Minyak goreng curah" in docs["common/checklist"]
    cover = docs["common/cover_letter"]
    assert "bahan berikut belum memiliki bukti kehalalan: Minyak goreng curah" in cover
    ikrar = docs["halal/ikrar"]
    assert "BELUM DAPAT DITANDATANGANI" in ikrar and "Minyak goreng curah" in ikrar
    assert "Pelaku usaha," not in ikrar  # no signature line to sign on


def test_with_every_material_evidenced_the_packet_is_complete_and_the_ikrar_ready(
    office: Office, service: PacketService
) -> None:
    profile(office, [FLOUR, SUGAR])
    app = halal(office, "halal_self_declare")
    docs = packet(service, app, "SUBMITTED")
    assert "belum lengkap" not in docs["common/checklist"]
    assert "bukti kehalalan" not in docs["common/cover_letter"]
    assert "BELUM DAPAT DITANDATANGANI" not in docs["halal/ikrar"]
    assert "Pelaku usaha," in docs["halal/ikrar"]
    # in preparation, the covering letter does not ask for what the checklist shows is there
    cover = packet(service, app, "DOC_PREPARATION")["common/cover_letter"]
    assert "sudah lengkap dalam berkas" in cover and "siapkan NIB" not in cover


# --------------------------------------------------------------------------- SNI trademark


def sni_app(office: Office) -> int:
    app = office.workflow.open_application(
        office.nib,
        "sni",
        office.consultant,
        details={"brand": "SAGU IBU ANA", "sni_number": "SNI 3729:2008"},
    )
    office.give_evidence(office.nib, SNI_EVIDENCE, app=app)
    return app


def test_sni_trademark_evidence_sees_the_licence_and_the_checklist_asks_for_it(
    office: Office, service: PacketService
) -> None:
    app = sni_app(office)
    before = packet(service, app, "APPLICATION_SUBMITTED")
    assert "Bukti merek (sertifikat, tanda terima" in before["common/checklist"]
    assert "Belum ada" in before["sni/trademark_evidence"]
    add_evidence(
        office.db,
        office.nib,
        "trademark_licence",
        "Lisensi merek SAGU IBU ANA.pdf",
        valid_until=date(2028, 12, 31),
        acting=office.admin,
        now=office.clock(),
        application_id=app,
    )
    docs = packet(service, app, "APPLICATION_SUBMITTED")
    evidence = docs["sni/trademark_evidence"]
    assert "Belum ada bukti merek" not in evidence
    assert "Lisensi merek SAGU IBU ANA.pdf" in evidence and "Ada" in evidence
    assert "Lisensi merek SAGU IBU ANA.pdf" in docs["common/checklist"]


def test_sni_trademark_evidence_counts_the_businesss_own_filed_mark(
    office: Office, service: PacketService
) -> None:
    mark = trademark_in_preparation(office)
    office.give_evidence(office.nib, TRADEMARK_EVIDENCE, app=mark)
    drive(
        office,
        mark,
        "billing_paid_and_submitted",
        fields={"application_number": "JID2026123456"},
    )
    app = sni_app(office)
    docs = packet(service, app, "APPLICATION_SUBMITTED")
    assert "Tanda terima permohonan merek 2026-11-02 2 Mei 2027 Ada" in docs["common/checklist"]
    assert "Tanda terima permohonan merek" in docs["sni/trademark_evidence"]
    office.clock.advance(days=220)  # the LSPro takes a receipt at most 6 months old
    checklist = packet(service, app, "APPLICATION_SUBMITTED")["common/checklist"]
    assert "Tanda terima permohonan merek 2026-11-02 2 Mei 2027 Kedaluwarsa" in checklist


# --------------------------------------------------------------------------- trademark


def test_the_trademark_data_sheet_and_the_checklist_agree_on_the_label(
    office: Office, service: PacketService
) -> None:
    app = trademark_in_preparation(office)
    office.workflow.set_details(app, {"label_file": "label-sagu.jpg"}, office.consultant)
    docs = packet(service, app, "DOC_PREPARATION")
    assert "Label / etiket merek (JPG) - Belum ada" in docs["common/checklist"]
    filing = docs["trademark/filing_data"]  # its labels and values are read apart
    assert "belum ada dalam berkas (rencana nama berkas: label-sagu.jpg)" in filing
    office.give_evidence(office.nib, ("label_image",), app=app)
    docs = packet(service, app, "DOC_PREPARATION")
    assert "Label / etiket merek (JPG) label_image.pdf - Ada" in docs["common/checklist"]
    filing = docs["trademark/filing_data"]
    assert "label_image.pdf" in filing and "belum ada dalam berkas" not in filing


def test_a_filed_mark_shows_its_djki_application_number_in_official_words(
    office: Office, service: PacketService
) -> None:
    app = trademark_in_preparation(office)
    office.give_evidence(office.nib, TRADEMARK_EVIDENCE, app=app)
    drive(office, app, "billing_paid_and_submitted", fields={"application_number": "JID2026123456"})
    docs = packet(service, app, "FILED")
    filing = docs["trademark/filing_data"]
    assert "JID2026123456" in filing
    assert "belum ada (terbit" not in filing and "belum dicatat" not in filing
    cover = docs["common/cover_letter"]
    assert "nomor permohonan DJKI JID2026123456" in cover
    assert "(TM)" not in cover and f"#{app}" not in cover
    assert "Permohonan telah diterima DJKI dan dalam proses" in cover
    # a number DJKI gave, recorded as the agency's, wins over the one typed at filing
    office.workflow.set_details(app, {"djki_number": "JID2026999999"}, office.consultant)
    assert "JID2026999999" in packet(service, app, "FILED")["trademark/filing_data"]


# --------------------------------------------------------------------------- completion letter


def test_the_completion_letter_prints_the_recorded_verification_date(
    office: Office, service: PacketService
) -> None:
    profile(office, [FLOUR])
    app = halal(office, "halal_self_declare", {"pendamping": "Yusuf Tuasikal"})
    drive(office, app, "submit", "pph_verval_started")
    office.clock.advance(days=1)
    drive(office, app, "verval_passed")
    letter = packet(service, app, "LP3H_BPJPH_VERIFICATION")["halal/completion_letter"]
    assert "Tanggal verifikasi dan validasi : 3 November 2026" in letter


def _numbers(text: str) -> list[str]:
    return re.findall(r"Nomor ?: (\S+)", text)


def test_two_office_letters_of_one_packet_never_share_a_number(
    office: Office, service: PacketService
) -> None:
    """The covering letter carries the packet's reference; the UMK recommendation and the
    completion letter beside it each their own."""
    mark = office.workflow.open_application(
        office.nib, "trademark", office.consultant, details={"mark_name": "SAGU IBU ANA"}
    )
    docs = packet(service, mark, "DOC_PREPARATION")
    (cover,) = _numbers(docs["common/cover_letter"])
    (recommendation,) = _numbers(docs["trademark/umk_recommendation"])
    assert recommendation == cover.replace("/PLUT/", "/PLUT/REK/") != cover
    profile(office, [FLOUR])
    app = halal(office, "halal_self_declare", {"pendamping": "Yusuf Tuasikal"})
    drive(office, app, "submit", "pph_verval_started", "verval_passed")
    docs = packet(service, app, "LP3H_BPJPH_VERIFICATION")
    (cover,) = _numbers(docs["common/cover_letter"])
    (letter,) = _numbers(docs["halal/completion_letter"])
    assert letter == cover.replace("/PLUT/", "/PLUT/KET/") != cover


# --------------------------------------------------------------------------- not yet due


def test_payment_proof_is_not_yet_due_before_the_fee_is_invoiced(
    office: Office, service: PacketService
) -> None:
    profile(office, [FLOUR])
    app = office.workflow.open_application(office.nib, "halal_regular", office.consultant)
    office.give_evidence(
        office.nib, tuple(k for k in HALAL_EVIDENCE if k != "payment_proof"), app=app
    )
    drive(office, app, "start_document_preparation")
    for stage in ("DOC_PREPARATION", "SUBMITTED", "RETURNED_TO_PU"):
        docs = packet(service, app, stage)
        checklist = docs["common/checklist"]
        assert "Bukti pembayaran" in checklist or "bayar" in checklist.lower(), stage
        assert "Belum diperlukan" in checklist, stage
        assert "Belum ada" not in checklist, stage
        assert "masih harus dilengkapi" not in docs["common/cover_letter"], stage


def test_sni_payment_proof_is_not_due_at_submission(office: Office, service: PacketService) -> None:
    app = office.workflow.open_application(
        office.nib, "sni", office.consultant, details={"brand": "SAGU IBU ANA"}
    )
    office.give_evidence(
        office.nib, tuple(k for k in SNI_EVIDENCE if k != "payment_proof"), app=app
    )
    office.give_evidence(office.nib, ("trademark_licence",), app=app, valid_until=date(2028, 1, 1))
    docs = packet(service, app, "APPLICATION_SUBMITTED")
    assert "Belum diperlukan" in docs["common/checklist"]
    assert "masih harus dilengkapi" not in docs["common/cover_letter"]


# --------------------------------------------------------------------------- drafts


def test_only_the_preparation_packets_manual_is_a_draft(
    office: Office, service: PacketService
) -> None:
    profile(office, [FLOUR])
    app = halal(office, "halal_regular")
    preparation = packet(service, app, "DOC_PREPARATION")["halal/sjph_manual"]
    assert "DRAF UNTUK DITINJAU" in preparation
    submitted = packet(service, app, "SUBMITTED")
    assert "DRAF" not in submitted["halal/sjph_manual"]
    assert "Draf" not in submitted["common/cover_letter"]


# --------------------------------------------------------------------------- formal names


def test_the_halal_covering_letter_uses_official_names_and_the_sihalal_number(
    office: Office, service: PacketService
) -> None:
    profile(office, [FLOUR])
    app = halal(office, "halal_regular")
    docs = packet(service, app, "SUBMITTED")
    for name in ("common/cover_letter", "common/checklist"):
        assert "Submitted PU" not in docs[name], name
        assert "Permohonan telah diajukan melalui SIHALAL" in docs[name], name
    assert f"#{app}" not in docs["common/cover_letter"]
    office.workflow.set_details(app, {"sihalal_number": "SH2026-1-000123"}, office.consultant)
    cover = packet(service, app, "SUBMITTED")["common/cover_letter"]
    assert "nomor registrasi SIHALAL SH2026-1-000123" in cover


# --------------------------------------------------------------------------- deadlines


def test_a_past_deadline_prints_as_past(office: Office, service: PacketService) -> None:
    app = trademark_in_preparation(office)
    deadline = app_row(office, app)["deadline"]
    checklist = packet(service, app, lang="en")["common/checklist"]
    assert "Deadline of this stage" in checklist and "past its deadline" not in checklist
    office.clock.advance(days=30)  # a packet issued on a later day (in Indonesian: a new one)
    checklist = packet(service, app)["common/checklist"]
    assert "lewat batas waktu sejak" in checklist
    assert "Batas waktu tahap ini" not in checklist
    assert f"{deadline.day} " in checklist


# --------------------------------------------------------------------------- reviewer fields


def test_halal_products_and_materials_carry_what_reviewers_ask_for(
    office: Office, service: PacketService
) -> None:
    with journal.writing(office.db) as conn:
        replace_profile(
            conn,
            acting_user(conn, office.admin),
            1,
            [ProductFacts("Sagu lempeng", "250 g", "SAGU IBU ANA", "Roti dan kue", "10792")],
            [
                FLOUR,
                MaterialFacts(
                    "Gula aren",
                    "bahan tambahan",
                    "CV Aren Seram",
                    "",
                    "ID31110000123450321",
                    date(2029, 5, 31),
                ),
                MaterialFacts("Plastik food grade", "kemasan", "CV Plastindo", "Surat pemasok"),
            ],
            ["Pemanggangan"],
        )
    app = halal(office, "halal_regular")
    docs = packet(service, app, "SUBMITTED")
    products = docs["halal/product_list"]
    assert "Sagu lempeng SAGU IBU ANA Roti dan kue 10792 250 g" in products
    materials = docs["halal/materials_list"]
    assert "ID31110000123450321 (s.d. 31 Mei 2029)" in materials
    assert "CV Aren Seram" in materials
    assert "D. Kemasan (1) 1 Plastik food grade" in materials
    assert "belum lengkap" not in docs["common/checklist"]  # a certificate is evidence


def test_a_product_with_a_malformed_kbli_is_refused(office: Office) -> None:
    with journal.writing(office.db) as conn, pytest.raises(InvalidInput, match="five digits"):
        replace_profile(
            conn,
            acting_user(conn, office.admin),
            1,
            [ProductFacts("Sagu lempeng", "250 g", kbli="107")],
            [],
            [],
        )
    with journal.writing(office.db) as conn, pytest.raises(InvalidInput, match="at most 60 fit"):
        replace_profile(
            conn,
            acting_user(conn, office.admin),
            1,
            [],
            [MaterialFacts("Gula", "bahan tambahan", "", "", "9" * 61)],
            [],
        )


def test_reviewer_fields_keep_the_audit_clean(office: Office) -> None:
    profile(office, [FLOUR])  # without the new fields: digests as before
    with journal.writing(office.db) as conn:
        replace_profile(
            conn,
            acting_user(conn, office.admin),
            1,
            [ProductFacts("Sagu lempeng", "250 g", "SAGU IBU ANA", "Roti dan kue", "10792")],
            [MaterialFacts("Gula", "bahan tambahan", "", "", "ID3111", date(2029, 5, 31))],
            [],
        )
    with office.db.connect() as conn:
        report = verify_audit(conn, office.workflow.registry)
    assert report.journal_problems == []
    with office.db.begin() as conn:  # an edit outside sertiflow shows
        conn.execute(update(table(Material)).values(halal_certificate_number="ID9999"))
    with office.db.connect() as conn:
        report = verify_audit(conn, office.workflow.registry)
    assert [p.subject for p in report.journal_problems] == ["profile:1"]


def test_trademark_goods_are_grouped_by_nice_class_with_the_full_address(
    office: Office, service: PacketService
) -> None:
    with office.db.begin() as conn:
        upsert_umkm(
            conn,
            [umkm_record(office.nib, "Sagu Ibu Ana", address="Jl. Pattimura 1, Ambon 97124")],
            office.clock(),
        )
    app = office.workflow.open_application(
        office.nib,
        "trademark",
        office.consultant,
        details={
            "mark_name": "SAGU IBU ANA",
            "nice_classes": "30, 43",
            "goods": "30: sagu lempeng; kue sagu\nKelas 43: jasa kafe\nkopi rempah",
        },
    )
    filing = packet(service, app, "DOC_PREPARATION")["trademark/filing_data"]
    assert "Kelas 30 sagu lempeng; kue sagu" in filing
    assert "Kelas 43 jasa kafe" in filing
    assert "Kelas belum ditentukan kopi rempah" in filing
    assert "Jl. Pattimura 1, Ambon 97124, Kota Ambon, Provinsi Maluku" in filing


def test_the_sni_form_names_the_standard_the_factory_and_the_lspro(
    office: Office, service: PacketService
) -> None:
    app = office.workflow.open_application(
        office.nib,
        "sni",
        office.consultant,
        details={
            "brand": "SAGU IBU ANA",
            "sni_number": "SNI 3729:2008",
            "sni_title": "Tepung sagu",
            "lspro": "LSPro Baristand Industri Ambon",
            "factory_address": "Dusun Sagu, Desa Hila, Maluku Tengah",
        },
    )
    docs = packet(service, app, "APPLICATION_SUBMITTED")
    form = docs["sni/application_form"]
    assert "Dusun Sagu, Desa Hila, Maluku Tengah" in form
    assert "LSPro Baristand Industri Ambon" in form and "SNI 3729:2008" in form
    evidence = docs["sni/trademark_evidence"]
    assert "SNI 3729:2008 Tepung sagu" in evidence
    assert "LSPro Baristand Industri Ambon" in evidence


def _workbook(path: Path, products: list[list[object]], materials: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for name, rows in (("Produk", products), ("Bahan", materials), ("Proses", [["Langkah"]])):
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_the_profile_workbook_reads_brand_kbli_certificates_and_packaging(
    tmp_path: Path,
) -> None:
    path = _workbook(
        tmp_path / "p.xlsx",
        [["Nama Produk", "Merek", "Kategori Produk", "KBLI"], ["Sagu", "SAGU ANA", "Kue", 10792]],
        [
            ["Bahan", "Kategori", "Nomor Sertifikat Halal", "Berlaku Sampai"],
            ["Gula", "tambahan", "ID311", datetime(2029, 5, 31)],
            ["Plastik", "packaging", "", "2028-01-31"],
        ],
    )
    profile = read_profile(path)
    assert profile.products == (ProductFacts("Sagu", "", "SAGU ANA", "Kue", "10792"),)
    assert profile.materials == (
        MaterialFacts("Gula", "bahan tambahan", "", "", "ID311", date(2029, 5, 31)),
        MaterialFacts("Plastik", "kemasan", "", "", "", date(2028, 1, 31)),
    )


def test_a_bad_kbli_or_validity_date_in_the_workbook_is_named(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "p.xlsx",
        [["Nama Produk", "KBLI"], ["Sagu", "1079"]],
        [["Bahan", "Kategori", "Berlaku Sampai"], ["Gula", "tambahan", "31/05/2029"]],
    )
    with pytest.raises(InvalidInput) as error:
        read_profile(path)
    message = str(error.value)
    assert "sheet Produk row 2: KBLI '1079' is not a KBLI 2020 code" in message
    assert "sheet Bahan row 2: Berlaku Sampai '31/05/2029' is not a date" in message
    assert message.endswith("nothing was imported")


def test_a_refusal_response_and_a_corrective_action_past_their_deadline_say_so(
    office: Office, service: PacketService
) -> None:
    mark = trademark_in_preparation(office)
    sni = office.workflow.open_application(
        office.nib, "sni", office.consultant, details={"brand": "SAGU IBU ANA"}
    )
    office.clock.advance(days=30)
    response = packet(service, mark, "PROVISIONAL_REFUSAL")["trademark/refusal_response"]
    assert "tanggapan ini lewat batas waktu sejak" in response
    corrective = packet(service, sni, "CORRECTIVE_ACTION")["sni/corrective_action"]
    assert "lewat batas waktu sejak" in corrective


def test_the_umk_statement_is_signed_over_a_meterai_as_it_says(
    office: Office, service: PacketService
) -> None:
    """The statement closes "di atas meterai Rp10.000" and DJKI asks for it bermeterai: the note
    under the owner's name may not say "bila diwajibkan" (where required)."""
    app = trademark_in_preparation(office)
    statement = packet(service, app, "DOC_PREPARATION")["trademark/umk_statement"]
    assert "(di atas meterai Rp10.000)" in statement
    assert "bila diwajibkan" not in statement


def test_letters_name_the_stage_in_indonesian_and_an_owner_writes_as_one_person(
    office: Office, service: PacketService
) -> None:
    sni = office.workflow.open_application(
        office.nib, "sni", office.consultant, details={"brand": "SAGU IBU ANA"}
    )
    docs = packet(service, sni, "PREPARATION")
    for name in ("common/cover_letter", "common/checklist"):
        assert "gap analysis" not in docs[name], name
        assert "Persiapan: analisis kesenjangan, penerapan SNI dan sistem mutu" in docs[name]
    mark = trademark_in_preparation(office)
    response = packet(service, mark, "PROVISIONAL_REFUSAL")["trademark/refusal_response"]
    assert "bersama ini saya lampirkan" in response and "saya ucapkan terima kasih" in response
    assert " kami " not in response  # "Yang bertanda tangan di bawah ini, <owner>" is one person
    office.workflow.set_details(mark, {"mark_type": "kombinasi"}, office.consultant)
    letter = packet(service, mark, "DOC_PREPARATION")["trademark/umk_recommendation"]
    assert "SAGU IBU ANA, merek kombinasi (kata dan lukisan)" in letter
    assert "(Merek kombinasi (kata dan lukisan))" not in letter


def test_the_recorded_postcode_is_printed_with_the_full_address_djki_and_lspro_ask_for(
    office: Office, service: PacketService
) -> None:
    update_umkm(
        office.db,
        office.nib,
        {"address": "Jl. Pattimura 1", "postcode": "97128"},
        acting=office.admin,
        now=office.clock(),
    )
    app = trademark_in_preparation(office)
    for lang, province in (("id", "Provinsi / kode pos"), ("en", "Province / postcode")):
        filing = packet(service, app, "DOC_PREPARATION", lang)["trademark/filing_data"]
        assert "Jl. Pattimura 1, Kota Ambon, Provinsi Maluku 97128" in filing
        assert province in filing and "Maluku / 97128" in filing  # labels and values apart
        assert "sertiflow umkm update" not in filing
    sni = office.workflow.open_application(
        office.nib, "sni", office.consultant, details={"sni_number": "SNI 3729:2008"}
    )
    form = packet(service, sni, "APPLICATION_SUBMITTED")["sni/application_form"]
    assert "Jl. Pattimura 1, Kota Ambon, Provinsi Maluku 97128" in form


def test_without_a_postcode_the_filing_data_sheet_says_how_to_record_it(
    office: Office, service: PacketService
) -> None:
    app = trademark_in_preparation(office)  # "Jl. Pattimura 1, Ambon": no five digits ending it
    filing = packet(service, app, "DOC_PREPARATION")["trademark/filing_data"]
    assert "Jl. Pattimura 1, Ambon, Kota Ambon, Provinsi Maluku Maluku / (belum diisi;" in filing
    assert (
        f"(belum diisi; catat kode posnya: sertiflow umkm update {office.nib} postcode=97128)"
    ) in filing
    english = packet(service, app, "DOC_PREPARATION", "en")["trademark/filing_data"]
    assert (
        f"Maluku / (not yet provided; record the postcode: sertiflow umkm update {office.nib} "
        "postcode=97128)"
    ) in english
