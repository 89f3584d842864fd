"""Reading the businesses the office assists: lists with filters (the office's outreach list of
businesses without an active halal certificate among them) and one business in detail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, exists, func, select

from workflow.calendar import WorkingCalendar
from workflow.errors import InvalidInput, NotFound
from workflow.ledger import APPLICATIONS, REGENCIES, UMKM
from workflow.model import Phase
from workflow.processes import ProcessRegistry
from workflow.queries import ApplicationFilter, list_applications, regency_code

__all__ = ["HALAL_PROCESSES", "KINDS", "SCALES", "UmkmFilter", "list_umkm", "umkm_detail"]

HALAL_PROCESSES = ("halal_regular", "halal_self_declare")
"""The processes whose certificate is a halal certificate (Sertifikat Halal)."""
SCALES = ("mikro", "kecil", "menengah")
KINDS = ("umkm", "koperasi")


@dataclass(frozen=True)
class UmkmFilter:
    """Which businesses to list; every field narrows the list."""

    regency: str | None = None  # a code or a name (``regency_code``)
    scales: tuple[str, ...] = ()  # any of these
    kind: str | None = None
    without_halal: bool = False  # no active halal certificate: the outreach list
    limit: int = 200


def _halal_certificate(umkm_id: Any) -> Any:
    """The number of the business's active halal certificate, if it holds one."""
    a = APPLICATIONS
    return (
        select(func.max(a.c.certificate_number))
        .where(
            a.c.umkm_id == umkm_id,
            a.c.process_key.in_(HALAL_PROCESSES),
            a.c.phase == Phase.CERTIFIED.value,
        )
        .scalar_subquery()
    )


def list_umkm(conn: Connection, criteria: UmkmFilter) -> tuple[int, list[dict[str, Any]]]:
    """How many businesses match ``criteria``, and the first ``criteria.limit`` of them by
    name, with contacts, open applications and their active halal certificate (if any).
    An unknown regency, scale or kind is refused."""
    a = APPLICATIONS
    for scale in criteria.scales:
        if scale not in SCALES:
            raise InvalidInput(f"scale {scale!r}: one of {', '.join(SCALES)}")
    if criteria.kind is not None and criteria.kind not in KINDS:
        raise InvalidInput(f"kind {criteria.kind!r}: one of {', '.join(KINDS)}")
    conditions = []
    if criteria.regency:
        conditions.append(UMKM.c.regency_code == regency_code(conn, criteria.regency))
    if criteria.scales:
        conditions.append(UMKM.c.scale.in_(criteria.scales))
    if criteria.kind:
        conditions.append(UMKM.c.kind == criteria.kind)
    if criteria.without_halal:
        conditions.append(
            ~exists().where(
                a.c.umkm_id == UMKM.c.id,
                a.c.process_key.in_(HALAL_PROCESSES),
                a.c.phase == Phase.CERTIFIED.value,
            )
        )
    total = int(conn.scalar(select(func.count()).select_from(UMKM).where(*conditions)) or 0)
    open_applications = (
        select(func.count())
        .where(a.c.umkm_id == UMKM.c.id, a.c.phase == Phase.PIPELINE.value)
        .scalar_subquery()
    )
    query = (
        select(
            UMKM.c.nib,
            UMKM.c.name,
            UMKM.c.owner_name,
            UMKM.c.kind,
            UMKM.c.scale,
            UMKM.c.regency_code,
            REGENCIES.c.name.label("regency"),
            UMKM.c.phone,
            UMKM.c.email,
            UMKM.c.address,
            UMKM.c.annual_turnover,
            open_applications.label("open_applications"),
            _halal_certificate(UMKM.c.id).label("halal_certificate"),
        )
        .join(REGENCIES, REGENCIES.c.code == UMKM.c.regency_code)
        .where(*conditions)
        .order_by(UMKM.c.name, UMKM.c.nib)
        .limit(criteria.limit)
    )
    return total, [dict(r) for r in conn.execute(query).mappings()]


def umkm_detail(
    conn: Connection,
    registry: ProcessRegistry,
    nib: str,
    today: date,
    calendar: WorkingCalendar,
) -> dict[str, Any]:
    """The business with ``nib``: its whole record, its regency's name, its active halal
    certificate, and all its applications (closed ones too), nearest deadline first."""
    row = (
        conn.execute(
            select(
                UMKM,
                REGENCIES.c.name.label("regency"),
                _halal_certificate(UMKM.c.id).label("halal_certificate"),
            )
            .join(REGENCIES, REGENCIES.c.code == UMKM.c.regency_code)
            .where(UMKM.c.nib == nib)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no UMKM with NIB {nib!r}; see 'sertiflow umkm list'")
    detail = {k: v for k, v in row.items() if k != "id"}
    count = int(conn.scalar(select(func.count()).where(APPLICATIONS.c.umkm_id == row["id"])) or 0)
    detail["applications"] = list_applications(
        conn,
        registry,
        ApplicationFilter(nib=nib, include_closed=True, limit=max(count, 1)),
        today,
        calendar,
    )
    return detail
