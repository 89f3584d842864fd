"""The document commands of the CLI on a fresh SQLite file, run in this process
(``InProcessCli``: the same arguments, environment, output and exit status as a subprocess, without
a new interpreter and WeasyPrint import for each command); a verification that finds a document
altered is also checked through the real entry point, in a process of its own."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from tests.integration.test_cli import GOOD, Cli, write
from tests.support import InProcessCli, embedded_fonts


@pytest.fixture
def office_cli(tmp_path: Path) -> InProcessCli:
    cli = InProcessCli(tmp_path / "office.db")
    cli.env["SERTIFLOW_STORAGE_DIR"] = str(tmp_path / "packets")
    cli("init")
    cli("import", "--as", "sertiflow", str(write(tmp_path / "r.csv", *GOOD)))
    consultant = ("rina", "--name", "Rina", "--role", "consultant", "--field", "produksi")
    cli("user", "add", *consultant, "--as", "sertiflow")  # as test_cli's add_consultant
    return cli


def profile_book(path: Path, bad_category: bool = False) -> Path:
    book = openpyxl.Workbook()
    products = book.active
    assert products is not None
    products.title = "Produk"
    products.append(["Nama Produk", "Deskripsi"])
    products.append(["Sagu lempeng original", "250 g"])
    materials = book.create_sheet("Bahan")
    materials.append(["Nama Bahan", "Kategori", "Pemasok", "Bukti Halal"])
    materials.append(
        [
            "Tepung sagu",
            "rempah" if bad_category else "Bahan Baku",
            "Saparua",
            "Daftar positif KMA 1360/2021",
        ]
    )
    steps = book.create_sheet("Proses")
    steps.append(["Langkah"])
    steps.append(["Pemanggangan di cetakan besi"])
    book.save(path)
    return path


def test_a_consultant_fills_the_profile_and_details_and_gets_the_stage_packet(
    office_cli: InProcessCli, tmp_path: Path
) -> None:
    cli = office_cli
    refused = cli(
        "dossier",
        "profile",
        "8100000000001",
        str(profile_book(tmp_path / "p.xlsx")),
        "--as",
        "rina",
        ok=False,
    )
    assert "rina is not assigned to any open application of this business" in refused.stderr
    app_id = str(
        cli.json("app", "open", "8100000000001", "halal_regular", "--as", "rina")["application_id"]
    )
    bad = cli(
        "dossier",
        "profile",
        "8100000000001",
        str(profile_book(tmp_path / "bad.xlsx", bad_category=True)),
        "--as",
        "rina",
        ok=False,
    )
    assert "Kategori 'rempah' must be bahan baku" in bad.stderr
    done = cli.json(
        "dossier",
        "profile",
        "8100000000001",
        str(profile_book(tmp_path / "p.xlsx")),
        "--as",
        "rina",
    )
    assert (done["products"], done["materials"], done["steps"]) == (1, 1, 1)
    cli("app", "advance", app_id, "start_document_preparation", "--as", "rina")
    details = cli.json(
        "app",
        "details",
        app_id,
        "penyelia_halal=Ana Pattiasina",
        "lph=LPH LPPOM MUI Maluku",
        "--as",
        "rina",
    )
    assert details["lph"] == "LPH LPPOM MUI Maluku"

    out = tmp_path / "paket.pdf"
    issued = cli.json("packet", "--as", "rina", app_id, "-o", str(out))
    assert issued["outcome"] == "issued" and issued["stage"] == "DOC_PREPARATION"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "Sagu lempeng original" in text and "Tepung sagu" in text
    assert "Pemanggangan di cetakan besi" in text and "Ana Pattiasina" in text
    assert cli.json("packet", "--as", "rina", app_id)["outcome"] == "reused"

    verified = cli.json("doc", "verify", str(out))
    assert verified["ok"] is True and verified["application_id"] == int(app_id)
    data = bytearray(out.read_bytes())
    data[-200] ^= 0x01
    out.write_bytes(bytes(data))
    altered = cli("doc", "verify", str(out), ok=False)
    assert "ALTERED" in altered.stderr
    real = Cli(cli.db)  # what a script sees: the real entry point's exit status 1 and one line
    real.env = dict(cli.env)
    assert real("doc", "verify", str(out), ok=False).stderr == altered.stderr
    on_paper = cli.json("doc", "verify", issued["code"].lower())
    assert on_paper["status"] == "issued" and on_paper["application_id"] == int(app_id)
    assert f"{issued['code']}: issued: packet" in cli("doc", "verify", issued["code"]).stdout
    typo = cli("doc", "verify", str(tmp_path / "pakett.pdf"), ok=False)
    assert "no such file, nor a verification code" in typo.stderr

    nothing = cli("packet", "--as", "rina", app_id, "--stage", "LPH_AUDIT", ok=False)
    assert "stages with packets: DOC_PREPARATION, SUBMITTED" in nothing.stderr

    # The submission's packet copies the preparation's product list; that document, stored on
    # its own, verifies on its own.
    assert cli.json("packet", "--as", "rina", app_id, "--stage", "SUBMITTED")["outcome"] == "issued"
    verdicts = [
        cli.json("doc", "verify", str(path))["message"]
        for path in sorted((tmp_path / "packets").rglob("*.pdf"))
    ]
    documents = [v for v in verdicts if v.startswith("authentic: document")]
    assert any("(Daftar Nama Produk)" in v for v in documents), verdicts
    # ... all but the SJPH manual: only the preparation's is a draft (issue 11), so the
    # submission issues the manual itself
    manual = [v for v in documents if "(Manual Sistem Jaminan Produk Halal)" in v]
    assert sorted("first issued for stage SUBMITTED" in v for v in manual) == [False, True]
    others = [v for v in documents if v not in manual]
    assert all("first issued for stage DOC_PREPARATION" in v for v in others), documents


def test_the_backlog_report_is_a_pdf(office_cli: InProcessCli, tmp_path: Path) -> None:
    cli = office_cli
    cli("app", "open", "8100000000001", "trademark", "--as", "rina")
    report = tmp_path / "laporan.pdf"
    result = cli.json("backlog", "--format", "pdf", "-o", str(report))
    assert result["pages"] >= 1
    text = PdfReader(io.BytesIO(report.read_bytes())).pages[0].extract_text()
    assert "LAPORAN BACKLOG PERMOHONAN SERTIFIKASI" in text
    # overdue split: past a legal time limit, past a service target; each stage's kind
    words = " ".join(text.split())
    assert "Lewat batas waktu hukum Lewat target layanan" in words
    assert "0 batas waktu yang ditetapkan undang-undang, 0 target layanan" in words
    stages = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(report).pages[1:])
    assert "Penerimaan permohonan di PLUT Konsultan 1 0 target layanan" in stages
    english = tmp_path / "report.pdf"
    cli.json("backlog", "--format", "pdf", "-o", str(english), "--lang", "en")
    words = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(english).pages)
    assert "Past a legal time limit Past a service target" in words
    fonts = embedded_fonts(report.read_bytes())  # charts included
    assert fonts and all(font.startswith("Sertiflow-") for font in fonts), fonts
    assert "needs -o FILE.pdf" in cli("backlog", "--format", "pdf", ok=False).stderr
