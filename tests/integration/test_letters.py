"""Who writes each letter: the UMKM's own letters, and the office's letters with a named
signatory from the office profile, read back from real PDFs (both databases)."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from documents.context import PacketContext, build_context
from documents.packets import PacketService
from documents.render import Renderer
from tests.support import TRADEMARK_EVIDENCE, Office, trademark_in_preparation
from workflow.facts import load_facts
from workflow.office import set_office, stored_profile
from workflow.persistence.database import reading
from workflow.settings import Settings

RENDERER = Renderer()
CODE = "SF-AAAA-BBBB"
REFERENCE = "00001.01/PLUT/APL/XI/2026"
PROFILE = {
    "parent_agency": "PEMERINTAH PROVINSI MALUKU - DINAS KOPERASI DAN UKM",
    "name": "UPTD PLUT-KUMKM Provinsi Maluku",
    "address": "Jl. Jenderal Sudirman No. 5, Batu Merah, Ambon",
    "postcode": "97128",
    "phone": "(0911) 352 417",
    "email": "plut@maluku.go.id",
    "signatory_name": "Dr. Maria Latuconsina, M.Si.",
    "signatory_position": "Kepala UPTD PLUT-KUMKM Provinsi Maluku",
    "signatory_rank": "Pembina, IV/a",
    "signatory_nip": "197001011995032001",
}
NIP = "NIP 19700101 199503 2 001"
UMKM_LETTERS = (
    ("halal_self_declare", "SUBMITTED", "halal/application_letter"),
    ("halal_regular", "SUBMITTED", "halal/application_letter"),
    ("halal_self_declare", "DOC_PREPARATION", "halal/ikrar"),
    ("trademark", "DOC_PREPARATION", "trademark/ownership_statement"),
    ("trademark", "DOC_PREPARATION", "trademark/umk_statement"),
    ("trademark", "PROVISIONAL_REFUSAL", "trademark/refusal_response"),
    ("sni", "PREPARATION", "sni/application_form"),
    ("sni", "PREPARATION", "sni/conformity_declaration"),
)
OFFICE_LETTERS = (
    ("trademark", "FILED", "common/cover_letter"),
    ("trademark", "DOC_PREPARATION", "trademark/umk_recommendation"),
    ("halal_self_declare", "LP3H_BPJPH_VERIFICATION", "halal/completion_letter"),
)


@pytest.fixture
def service(office: Office, tmp_path: Path) -> PacketService:
    settings = Settings(storage_dir=str(tmp_path / "packets"), secret_key="s" * 40)
    return PacketService(office.db, settings, renderer=RENDERER, today=office.workflow.today)


def profiled(office: Office) -> None:
    set_office(office.db, PROFILE, acting=office.admin, now=office.clock())


def context(
    office: Office, service: PacketService, app: int, state: str, name: str, lang: str = "id"
) -> PacketContext:
    """The context ``service`` would issue ``name`` of ``state`` from, carrying a code."""
    today = office.workflow.today()
    with reading(office.db).connect() as conn:
        facts = load_facts(conn, service.registry, app, today)
        shown = service.office.with_profile(stored_profile(conn))
    ctx = build_context(facts, shown, lang, state, (name,), RENDERER.version)
    identity = {"code": CODE, "reference": REFERENCE, "issued_on": today}
    return ctx.issued_as(identity, service.verify_url)


def flat(text: str) -> str:
    """``text`` with its line breaks and justified spaces as single spaces, and a word broken
    at a hyphen joined again."""
    return re.sub(r"\s+", " ", text).replace("- ", "-")


def text_of(office: Office, service: PacketService, app: int, state: str, name: str) -> str:
    rendered = RENDERER.document(name, context(office, service, app, state, name))
    reader = PdfReader(io.BytesIO(rendered.data))
    return "\n".join(page.extract_text() for page in reader.pages)


def opened(office: Office, process: str) -> int:
    details = {"mark_name": "SAGU IBU ANA"} if process == "trademark" else {}
    return office.workflow.open_application(office.nib, process, office.consultant, details=details)


@pytest.mark.parametrize(("process", "state", "name"), UMKM_LETTERS)
def test_a_letter_the_umkm_signs_is_its_own(
    office: Office, service: PacketService, process: str, state: str, name: str
) -> None:
    profiled(office)
    text = text_of(office, service, opened(office, process), state, name)
    head = text[: text.index("Sagu Ibu Ana") + 200]
    assert "Jl. Pattimura 1, Ambon, Kota Ambon" in head  # the business is the sender
    for office_line in (PROFILE["address"], PROFILE["parent_agency"], PROFILE["phone"]):
        assert office_line not in text, office_line  # no PLUT letterhead
    assert REFERENCE not in text and "Nomor : " not in text  # nor the PLUT's number
    assert "Tanggal :" not in text
    dated = re.findall(r"(\w[\w ]*), 2 November 2026", text)
    assert dated == ["Kota Ambon"], dated  # its own place and date, once
    assert text.count(CODE) >= 2  # the footer of every page, and the QR code's box
    assert PROFILE["signatory_name"] not in text


@pytest.mark.parametrize(("process", "state", "name"), OFFICE_LETTERS)
def test_the_offices_letters_carry_the_named_signatory_and_the_letterhead(
    office: Office, service: PacketService, process: str, state: str, name: str
) -> None:
    profiled(office)
    text = text_of(office, service, opened(office, process), state, name)
    letterhead = text[: text.index(PROFILE["address"]) + 200]
    for line in (PROFILE["parent_agency"], "97128", "Telp. (0911) 352 417", "plut@maluku.go.id"):
        assert line in letterhead, line
    signature = text[text.index("Hormat kami,") :]
    assert "Kepala UPTD PLUT-KUMKM Provinsi Maluku," in signature
    assert "tanda tangan dan cap" in signature  # the stamp space
    assert "Dr. Maria Latuconsina, M.Si.\nPembina, IV/a\n" + NIP in signature
    assert text.count("Ambon, 2 November 2026") == 1  # one place and date


def test_office_letters_list_nomor_sifat_lampiran_and_perihal_in_order(
    office: Office, service: PacketService
) -> None:
    profiled(office)
    app = opened(office, "trademark")
    recommendation = REFERENCE.replace("/PLUT/", "/PLUT/REK/")  # its own, not the cover's
    for state, name, number, enclosures in (
        ("FILED", "common/cover_letter", REFERENCE, "Lampiran : 2 berkas"),  # form, checklist
        (
            "DOC_PREPARATION",
            "trademark/umk_recommendation",
            recommendation,
            "Lampiran : 1 (satu) lembar label",
        ),
    ):
        text = text_of(office, service, app, state, name)
        places = [
            text.index(part)
            for part in ("Ambon, 2 November", f"Nomor : {number}", "Sifat : Biasa", enclosures)
        ]
        assert places == sorted(places) and places[-1] < text.index("Perihal : ")
        assert "Tanggal :" not in text  # the date is the line above the number


def test_every_letter_to_djki_names_it_the_same_way(office: Office, service: PacketService) -> None:
    app = opened(office, "trademark")
    addressee = "Yth. Direktur Jenderal Kekayaan Intelektual, Kementerian Hukum\n"
    for state, name in (
        ("FILED", "common/cover_letter"),
        ("DOC_PREPARATION", "trademark/umk_recommendation"),
        ("PROVISIONAL_REFUSAL", "trademark/refusal_response"),
    ):
        text = text_of(office, service, app, state, name)
        assert addressee in text, name
        assert "di Jakarta" in text.split(addressee)[1][:120], name
    set_office(
        office.db,
        {"addressee_trademark": "Direktur Jenderal Kekayaan Intelektual u.p. Direktur Merek"},
        acting=office.admin,
        now=office.clock(),
    )
    for state, later in (("FILED", "common/cover_letter"), ("PROVISIONAL_REFUSAL", name)):
        text = text_of(office, service, app, state, later)
        assert "Yth. Direktur Jenderal Kekayaan Intelektual u.p. Direktur Merek" in text


def test_letters_to_an_lspro_name_the_one_the_application_chose(
    office: Office, service: PacketService
) -> None:
    app = opened(office, "sni")
    office.workflow.set_details(app, {"lspro": "LSPro Balai Standardisasi Ambon"}, office.admin)
    for state, name in (
        ("APPLICATION_SUBMITTED", "common/cover_letter"),
        ("PREPARATION", "sni/application_form"),
    ):
        text = text_of(office, service, app, state, name)
        assert "Yth. Kepala LSPro Balai Standardisasi Ambon\ndi tempat" in text, name


def test_the_umk_recommendation_names_its_signer(office: Office, service: PacketService) -> None:
    app = opened(office, "trademark")
    unset = text_of(office, service, app, "DOC_PREPARATION", "trademark/umk_recommendation")
    blank = "." * 52  # lines to write on by hand, not a name made up
    signer = "Yang bertanda tangan di bawah ini:\n{}\n{}\nKepala UPTD PLUT-KUMKM Provinsi Maluku\n"
    assert signer.format(blank, blank) in unset  # name and NIP (the values of the list)
    profiled(office)
    text = text_of(office, service, app, "DOC_PREPARATION", "trademark/umk_recommendation")
    assert signer.format(PROFILE["signatory_name"], "19700101 199503 2 001") in text


def test_the_covering_letter_quotes_the_agencys_own_number(
    office: Office, service: PacketService
) -> None:
    trademark = opened(office, "trademark")
    office.give_evidence(office.nib, TRADEMARK_EVIDENCE, app=trademark)
    office.workflow.advance(trademark, "start_document_preparation", office.consultant)
    office.workflow.advance(
        trademark,
        "billing_paid_and_submitted",
        office.consultant,
        fields={"filed_on": "2026-10-30", "application_number": "JID2026123456"},
    )
    text = text_of(office, service, trademark, "FILED", "common/cover_letter")
    assert "nomor permohonan DJKI JID2026123456" in flat(text)
    halal = opened(office, "halal_self_declare")
    office.workflow.set_details(halal, {"sihalal_number": "SH2026-1-000123"}, office.admin)
    text = text_of(office, service, halal, "SUBMITTED", "common/cover_letter")
    assert "nomor registrasi SIHALAL SH2026-1-000123" in flat(text)
    sni = opened(office, "sni")
    office.workflow.set_details(sni, {"lspro_number": "LSPRO-AMB-2026-77"}, office.admin)
    text = text_of(office, service, sni, "APPLICATION_SUBMITTED", "common/cover_letter")
    assert "nomor permohonan LSPro LSPRO-AMB-2026-77" in flat(text)


def test_the_english_letters_keep_the_parts_in_english(
    office: Office, service: PacketService
) -> None:
    profiled(office)
    app = opened(office, "trademark")
    ctx = context(office, service, app, "DOC_PREPARATION", "trademark/umk_recommendation", "en")
    rendered = RENDERER.document("trademark/umk_recommendation", replace(ctx, lang="en"))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(rendered.data)).pages)
    assert "Yours faithfully," in text and "To Director General of Intellectual" in text
    assert NIP in text and "Hormat kami" not in text


def test_an_issued_packet_carries_the_profile_and_a_new_signatory_issues_a_new_one(
    office: Office, service: PacketService
) -> None:
    app = trademark_in_preparation(office)
    profiled(office)
    first = service.issue(app)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(service.read(first))).pages)
    assert PROFILE["signatory_name"] in text and NIP in text
    assert service.issue(app).outcome == "reused"
    set_office(
        office.db,
        {"signatory_name": "Yosef Tanamal, S.E."},
        acting=office.admin,
        now=office.clock(),
    )
    second = service.issue(app)
    assert second.outcome == "issued" and second.code != first.code
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(service.read(second))).pages)
    assert "Yosef Tanamal, S.E." in text and PROFILE["signatory_name"] not in text


def test_doc_verify_by_code_names_the_business_and_every_document_title(tmp_path: Path) -> None:
    """So that a paper copy can be compared page by page, in Indonesian ("1 halaman")."""
    from tests.integration.test_cli import GOOD, write
    from tests.support import InProcessCli

    cli = InProcessCli(tmp_path / "office.db")
    cli.env["SERTIFLOW_STORAGE_DIR"] = str(tmp_path / "packets")
    cli("init")
    cli("import", "--as", "sertiflow", str(write(tmp_path / "r.csv", *GOOD)))
    cli(
        "user",
        "add",
        "rina",
        "--name",
        "Rina",
        "--role",
        "consultant",
        "--field",
        "produksi",
        "--as",
        "sertiflow",
    )
    app = str(
        cli.json("app", "open", "8100000000001", "trademark", "--as", "rina")["application_id"]
    )
    cli("app", "advance", app, "start_document_preparation", "--as", "rina")
    issued = cli.json("packet", "--as", "rina", app)
    lines = cli("doc", "verify", issued["code"]).stdout.splitlines()
    assert lines[0].startswith(f"{issued['code']}: issued: packet ")
    assert f"{issued['pages']} halaman;" in lines[0] and "pages" not in lines[0]
    assert lines[1] == "  Pelaku usaha: Sagu Ibu Ana (NIB 8100000000001)"
    assert lines[2] == f"  Isi ({issued['pages']} halaman):"
    assert lines[3:] == [
        "    1. Surat Pengantar",
        "    2. Panduan Pendaftaran Merek bagi UMKM",
        "    3. Data Permohonan Pendaftaran Merek",
        "    4. Surat Pernyataan Kepemilikan Merek",
        "    5. Surat Pernyataan Usaha Mikro dan Kecil",
        "    6. Surat Rekomendasi UKM Binaan",
        "    7. Daftar Periksa Kelengkapan Dokumen",
    ]
    verified = cli.json("doc", "verify", issued["code"])
    assert (verified["umkm"], verified["nib"]) == ("Sagu Ibu Ana", "8100000000001")
    assert verified["pages"] == issued["pages"] and len(verified["documents"]) == 7
    never = cli("doc", "verify", "SF-AAAA-BBBB", ok=False)
    assert "never issued" in never.stderr and never.stdout == ""  # nothing to compare with
