"""Pieces every process shares: role sets, the PLUT intake wrapper, certificate fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from workflow.model import Court, Deadline, Field, Phase, Role, State, Transition, Unit

__all__ = [
    "ANYONE",
    "CANCELLED",
    "HALAL_DETAILS",
    "ISSUED_ON",
    "PLUT",
    "by_name",
    "cancel",
    "closed",
    "intake_states",
    "intake_transitions",
]

PLUT = frozenset({Role.CONSULTANT, Role.ADMIN})
"""The office: consultants, and admins standing in for them."""
ANYONE = frozenset({Role.UMKM, Role.CONSULTANT, Role.ADMIN})
"""Acts of the UMKM itself, which the office may also record on its behalf."""

ISSUED_ON = Field("issued_on", "Tanggal terbit", kind="date", example="2026-11-30")

_AGREED = "PLUT service target"


def intake_states(
    prep_name: str = "DOC_PREPARATION",
    prep_label: str = "Penyiapan dokumen",
    prep_hint: str = "",
    prep_hint_en: str = "",
) -> list[State]:
    """INTAKE (the consultant takes the case) and the document preparation with the UMKM.

    ``prep_hint`` and ``prep_hint_en`` (the same in English) come together or not at all.
    """
    if bool(prep_hint) != bool(prep_hint_en):
        raise ValueError(f"{prep_name}: give prep_hint and prep_hint_en together")
    return [
        State(
            "INTAKE",
            "Penerimaan permohonan di PLUT",
            "Intake at PLUT",
            Court.CONSULTANT,
            deadline=Deadline(3, Unit.WORKING_DAYS, "agreed", _AGREED),
            hint="Konsultan PLUT akan menghubungi Anda untuk menyiapkan dokumen.",
            hint_en="A PLUT consultant will contact you to prepare the documents.",
        ),
        State(
            prep_name,
            prep_label,
            "Document preparation",
            Court.UMKM,
            deadline=Deadline(10, Unit.WORKING_DAYS, "agreed", _AGREED),
            hint=prep_hint or "Lengkapi dokumen yang diminta konsultan PLUT.",
            hint_en=prep_hint_en or "Complete the documents your PLUT consultant asks for.",
        ),
    ]


def intake_transitions(prep_name: str = "DOC_PREPARATION") -> list[Transition]:
    """Starting document preparation after intake."""
    return [
        Transition(
            "start_document_preparation", ("INTAKE",), prep_name, PLUT, "Mulai penyiapan dokumen"
        ),
    ]


def closed(name: str, label: str, label_en: str, hint: str = "", hint_en: str = "") -> State:
    """A final state: nothing more happens to the application."""
    return State(name, label, label_en, Court.UMKM, phase=Phase.CLOSED, hint=hint, hint_en=hint_en)


CANCELLED = closed(
    "CANCELLED",
    "Dibatalkan",
    "Cancelled",
    hint="Permohonan dibatalkan. Hubungi konsultan PLUT jika ingin mengajukan lagi.",
    hint_en="The application was cancelled. Contact your PLUT consultant if you want to "
    "apply again.",
)
"""Where ``cancel`` leads, in every process."""


def cancel(sources: Iterable[str]) -> Transition:
    """The UMKM (or the office for it) stops the application before the agency decides."""
    return Transition("cancel", tuple(sources), "CANCELLED", ANYONE, "Batalkan permohonan")


def by_name(
    states: Iterable[State], documents: Mapping[str, tuple[str, ...]] | None = None
) -> dict[str, State]:
    """States keyed by name, in order, each given the packet ``documents`` listed for it."""
    named = {state.name: state for state in states}
    for name, templates in (documents or {}).items():
        named[name] = replace(named[name], documents=templates)
    return named


HALAL_DETAILS = (
    "penyelia_halal",
    "lph",
    "pendamping",
    "lp3h",
    "verval_date",
    "verval_findings",
    "product_scope",
    "sihalal_number",
)
"""The details both halal paths' documents print; ``product_scope`` names the products an
application covers when the business keeps another open one of the same path."""
