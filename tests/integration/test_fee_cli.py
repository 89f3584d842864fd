"""``process show`` prints the fees an UMK pays on the process, as the office configured them."""

from __future__ import annotations

from pathlib import Path

from tests.integration.test_cli import Cli


def test_process_show_prints_the_configured_fees(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "office.db")
    cli("init")
    assert cli.json("process", "show", "halal_regular")["fees"] == {
        "halal_application_umk": 300_000,
        "halal_inspection_umk": 350_000,
        "halal_renewal_umk": 200_000,
        "halal_regular_umk": 650_000,
    }
    cli.env["SERTIFLOW_FEE_TRADEMARK_UMK"] = "Rp550.000"
    shown = cli("process", "show", "trademark").stdout
    assert "Fees for an UMK: trademark_umk Rp550.000, trademark_general Rp1.800.000" in shown
    assert cli.json("process", "show", "sni")["fees"] == {"sni_certification": None}
    assert (
        "Fees for an UMK: sni_certification set by the LSPro"
        in cli("process", "show", "sni").stdout
    )
    assert "none (a government-funded quota)" in cli("process", "show", "halal_self_declare").stdout
    cli.env["SERTIFLOW_FEE_TRADEMARK_UMK"] = "lima ratus ribu"
    refused = cli("process", "show", "trademark", ok=False)
    assert "SERTIFLOW_FEE_TRADEMARK_UMK must be a whole Rupiah amount" in refused.stderr
