"""Per-office policy: the values DOMAIN.md could not confirm, or that offices set themselves.

Every deadline of every process can be overridden (``"halal_regular.LPH_AUDIT": "20hk"``); the
self-declare eligibility ceilings, certificate validities, the trademark receipt age used by the
SNI rule and the fees the documents print are plain fields. The defaults are the figures DOMAIN.md
gives, with its sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from workflow.model import Deadline

__all__ = ["FEE_SOURCES", "Fees", "Policy"]


@dataclass(frozen=True)
class Fees:
    """What an UMK pays, in Rupiah, as the guides and letters print it: the tariffs DOMAIN.md
    gives (2021-2022; a later revision is unconfirmed), so each is a setting
    (``SERTIFLOW_FEE_<NAME>``). Trademark fees are per Nice class; ``sni_certification`` is
    set by each LSPro (unknown: None) and printed only when the office sets it."""

    halal_application_umk: int = 300_000
    halal_inspection_umk: int = 350_000  # the LPH's inspection, at most
    halal_renewal_umk: int = 200_000
    trademark_umk: int = 500_000
    trademark_general: int = 1_800_000
    trademark_renewal_umk: int = 1_000_000  # from 6 months before expiry until expiry
    trademark_renewal_general: int = 2_250_000
    trademark_late_renewal_umk: int = 2_000_000  # up to 6 months after expiry
    trademark_late_renewal_general: int = 4_500_000
    trademark_opposition: int = 1_000_000  # the same for every applicant
    trademark_appeal: int = 3_000_000  # the same for every applicant
    sni_certification: int | None = None  # the office's LSPro's quote, when it has one

    @property
    def halal_regular_umk(self) -> int:
        """The regular path's total for an UMK: application and LPH inspection."""
        return self.halal_application_umk + self.halal_inspection_umk

    def of_process(self, process_key: str) -> dict[str, int | None]:
        """The fees that concern ``process_key``, by name (``process show`` prints them). The
        self-declare path costs the UMK nothing (a government-funded quota): none."""
        prefix = {"halal_regular": "halal_", "trademark": "trademark_", "sni": "sni_"}.get(
            process_key
        )
        if prefix is None:
            return {}
        found = {k: v for k, v in vars(self).items() if k.startswith(prefix)}
        if process_key == "halal_regular":
            found["halal_regular_umk"] = self.halal_regular_umk
        return found


FEE_SOURCES = {
    "halal_application_umk": "BLU BPJPH tariff, PMK 57/PMK.05/2021",
    "halal_inspection_umk": "LPH tariff for UMK, Kepkaban 141/2021",
    "halal_renewal_umk": "BLU BPJPH tariff, PMK 57/PMK.05/2021",
    "trademark_umk": "PNBP, PP 28/2019, per class",
    "trademark_general": "PNBP, PP 28/2019, per class",
    "trademark_renewal_umk": "PNBP, PP 28/2019, per class",
    "trademark_renewal_general": "PNBP, PP 28/2019, per class",
    "trademark_late_renewal_umk": "PNBP, PP 28/2019, per class",
    "trademark_late_renewal_general": "PNBP, PP 28/2019, per class",
    "trademark_opposition": "PNBP, PP 28/2019",
    "trademark_appeal": "PNBP, PP 28/2019",
    "sni_certification": "set by each LSPro",
}
"""Where each default fee comes from (DOMAIN.md §2.4, §4.4, §5)."""


@dataclass(frozen=True)
class Policy:
    """Configurable rules of one office."""

    # Kepkaban 150/2022: omzet <= Rp500 million. Kepkaban 146/2025 reportedly raised it to
    # Rp15 billion (single source, unconfirmed), so it is a setting.
    self_declare_max_turnover: int = 500_000_000
    self_declare_max_sites: int = 1
    sni_validity_years: int = 4  # Permenperin examples; really fixed per product regulation
    trademark_validity_years: int = 10  # UU 20/2016 Pasal 35(1), from the filing date
    trademark_renewal_window_months: int = 6  # Pasal 35(2)-(4): 6 months before and after
    trademark_receipt_max_age_months: int = 6  # LSPro packs: filing receipt <= 6 months old
    # A halal certificate does not expire while materials and process are unchanged (UU 6/2023
    # Pasal 42); PP 42/2024 reportedly has BPJPH check its consistency every 4 years (unconfirmed).
    halal_consistency_check_years: int = 4
    # The office's clock decides what "today" is; the default office is in Maluku (WIT).
    timezone: str = "Asia/Jayapura"
    fees: Fees = field(default_factory=Fees)
    deadline_overrides: Mapping[str, Deadline] = field(default_factory=dict)
    extra_closed_days: frozenset[date] = frozenset()

    def deadline(self, process_key: str, name: str, default: Deadline | None) -> Deadline | None:
        """The office's deadline for ``process_key.name`` (a state or trigger), else ``default``."""
        return self.deadline_overrides.get(f"{process_key}.{name}", default)
