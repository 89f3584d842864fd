"""Per-office policy: the values DOMAIN.md could not confirm, or that offices set themselves.

Every deadline of every process can be overridden (``"halal_regular.LPH_AUDIT": "20hk"``); the
self-declare eligibility ceilings, certificate validities and the trademark receipt age used by the
SNI rule are plain fields. The defaults are the figures DOMAIN.md gives, with its sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from workflow.model import Deadline

__all__ = ["Policy"]


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
    timezone: str = "Asia/Jakarta"  # the office's clock decides what "today" is
    deadline_overrides: Mapping[str, Deadline] = field(default_factory=dict)
    extra_closed_days: frozenset[date] = frozenset()

    def deadline(self, process_key: str, name: str, default: Deadline | None) -> Deadline | None:
        """The office's deadline for ``process_key.name`` (a state or trigger), else ``default``."""
        return self.deadline_overrides.get(f"{process_key}.{name}", default)
