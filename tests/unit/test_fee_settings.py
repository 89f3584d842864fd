"""Fees are settings (``SERTIFLOW_FEE_*``), and the default office keeps Maluku's clock (WIT)."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime

import pytest

from workflow.engine import Engine
from workflow.persistence.database import connect
from workflow.policy import FEE_SOURCES, Fees, Policy
from workflow.settings import Settings, SettingsError


def test_the_default_fees_are_domain_md_s_tariffs() -> None:
    fees = Settings.from_env({}).policy.fees
    assert fees == Fees()
    assert (fees.halal_application_umk, fees.halal_inspection_umk) == (300_000, 350_000)
    assert fees.halal_regular_umk == 650_000
    assert (fees.trademark_umk, fees.trademark_general) == (500_000, 1_800_000)
    assert fees.sni_certification is None  # set by each LSPro: unknown
    assert set(FEE_SOURCES) == {f.name for f in fields(Fees)}


@pytest.mark.parametrize(
    ("written", "amount"),
    [("550000", 550_000), ("550.000", 550_000), ("Rp550.000", 550_000), ("rp. 550_000", 550_000)],
)
def test_a_fee_is_read_in_the_forms_offices_write(written: str, amount: int) -> None:
    fees = Settings.from_env({"SERTIFLOW_FEE_TRADEMARK_UMK": written}).policy.fees
    assert fees.trademark_umk == amount
    assert fees.trademark_general == 1_800_000  # the others keep their defaults


def test_every_fee_has_its_variable() -> None:
    env = {f"SERTIFLOW_FEE_{f.name.upper()}": str(i + 1) for i, f in enumerate(fields(Fees))}
    fees = Settings.from_env(env).policy.fees
    assert [getattr(fees, f.name) for f in fields(Fees)] == list(range(1, len(fields(Fees)) + 1))


@pytest.mark.parametrize("written", ["lima ratus ribu", "500,000.50", "-1", "Rp", "1e6"])
def test_a_fee_that_is_not_an_amount_is_refused_naming_the_variable(written: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"SERTIFLOW_FEE_HALAL_INSPECTION_UMK": written})
    assert str(refused.value) == (
        "SERTIFLOW_FEE_HALAL_INSPECTION_UMK must be a whole Rupiah amount (e.g. 500000, 500.000 "
        f"or Rp500.000), got {written!r}"
    )


def test_the_fees_a_process_shows() -> None:
    fees = Fees(sni_certification=9_000_000)
    assert fees.of_process("halal_regular")["halal_regular_umk"] == 650_000
    assert set(fees.of_process("trademark")) == {
        f.name for f in fields(Fees) if f.name.startswith("trademark_")
    }
    assert fees.of_process("sni") == {"sni_certification": 9_000_000}
    assert fees.of_process("halal_self_declare") == {}


def test_the_default_office_keeps_maluku_time_so_today_does_not_lag() -> None:
    assert Policy().timezone == Settings.from_env({}).policy.timezone == "Asia/Jayapura"
    engine = Engine(connect("sqlite://"))
    # 23:30 in Jakarta is already half past one the next morning in Ambon (WIT, UTC+9).
    assert engine.today(datetime(2026, 12, 2, 16, 30)) == date(2026, 12, 3)
    jakarta = Settings.from_env({"SERTIFLOW_TIMEZONE": "Asia/Jakarta"}).policy
    assert Engine(connect("sqlite://"), policy=jakarta).today(datetime(2026, 12, 2, 16, 30)) == (
        date(2026, 12, 2)
    )
