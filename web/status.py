"""What a business's status page shows: each application's stage in plain words, what the
business must do next and by when, and the packets it may download. Read from the engine's own
queries and process definitions; nothing here decides a rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from documents.packets import PACKETS
from workflow.calendar import WorkingCalendar
from workflow.errors import NotFound
from workflow.ledger import UMKM
from workflow.model import Court, Phase
from workflow.policy import Fees
from workflow.processes import ProcessRegistry
from workflow.queries import ApplicationFilter, list_applications

__all__ = ["ApplicationView", "BusinessStatus", "PacketView", "business_status", "packet_of"]


@dataclass(frozen=True, slots=True)
class PacketView:
    """A packet the business may download."""

    code: str
    stage: str
    lang: str
    issued_on: date
    pages: int
    size: int


@dataclass(frozen=True, slots=True)
class ApplicationView:
    """One application as its business reads it, in one language."""

    id: int
    process: str
    title: str
    stage: str
    phase: str
    court: str
    mine: bool  # the ball is in the business's court
    next_step: str
    deadline: date | None
    working_days_left: int | None
    overdue: bool
    certificate_number: str | None
    certificate_expires_on: date | None
    fee: int | None
    fee_free: bool
    packets: tuple[PacketView, ...]


@dataclass(frozen=True, slots=True)
class BusinessStatus:
    """A business and its applications, open ones first."""

    umkm_id: int
    nib: str
    name: str
    today: date
    applications: tuple[ApplicationView, ...]


def _fee(fees: Fees, process_key: str) -> tuple[int | None, bool]:
    """The fee an UMK pays on ``process_key`` (the guide's figure), and whether it is free."""
    if process_key == "halal_self_declare":
        return None, True
    if process_key == "halal_regular":
        return fees.halal_regular_umk, False
    if process_key == "trademark":
        return fees.trademark_umk, False
    if process_key == "sni":
        return fees.sni_certification, False
    return None, False


def business_status(
    conn: Connection,
    registry: ProcessRegistry,
    calendar: WorkingCalendar,
    fees: Fees,
    umkm_id: int,
    today: date,
    lang: str,
) -> BusinessStatus:
    """The status page of business ``umkm_id`` on ``today``, in ``lang``."""
    business = conn.execute(select(UMKM.c.nib, UMKM.c.name).where(UMKM.c.id == umkm_id)).first()
    if business is None:
        raise NotFound(f"no business #{umkm_id}")
    rows = list_applications(
        conn,
        registry,
        ApplicationFilter(nib=business.nib, include_closed=True, limit=100),
        today,
        calendar,
    )
    ids = [row["id"] for row in rows]
    packets: dict[int, list[PacketView]] = {}
    if ids:
        query = (
            select(PACKETS)
            .where(PACKETS.c.application_id.in_(ids))
            .order_by(PACKETS.c.issued_on.desc(), PACKETS.c.id.desc())
        )
        for p in conn.execute(query).mappings():
            own = packets.setdefault(p["application_id"], [])
            if not any(v.stage == p["state"] and v.lang == p["lang"] for v in own):
                own.append(
                    PacketView(
                        p["code"], p["state"], p["lang"], p["issued_on"], p["pages"], p["size"]
                    )
                )
    views = []
    for row in rows:
        definition = registry.get(row["process_key"], row["process_version"])
        state = definition.states[row["state"]]
        english = lang == "en"
        fee, free = _fee(fees, definition.key)
        views.append(
            ApplicationView(
                id=row["id"],
                process=definition.key,
                title=definition.title_en if english else definition.title,
                stage=state.label_en if english else state.label,
                phase=state.phase.value,
                court=state.court.value,
                mine=state.court is Court.UMKM and state.phase is Phase.PIPELINE,
                next_step=(state.hint_en if english else state.hint),
                deadline=row["deadline"] if state.phase is Phase.PIPELINE else None,
                working_days_left=row["working_days_left"]
                if state.phase is Phase.PIPELINE
                else None,
                overdue=bool(row["overdue"]),
                certificate_number=row["certificate_number"],
                certificate_expires_on=row["certificate_expires_on"],
                fee=fee,
                fee_free=free,
                packets=tuple(
                    _label(registry, definition.key, row["process_version"], v, english)
                    for v in packets.get(row["id"], [])
                ),
            )
        )
    order = {Phase.PIPELINE.value: 0, Phase.CERTIFIED.value: 1, Phase.CLOSED.value: 2}
    views.sort(key=lambda v: (order.get(v.phase, 3), v.deadline or date.max, v.id))
    return BusinessStatus(umkm_id, business.nib, business.name, today, tuple(views))


def _label(
    registry: ProcessRegistry, key: str, version: int, packet: PacketView, english: bool
) -> PacketView:
    """``packet`` with its stage's name in place of the state's code."""
    states = registry.get(key, version).states
    state = states.get(packet.stage)
    if state is None:
        return packet
    name = state.label_en if english else state.label
    return PacketView(packet.code, name, packet.lang, packet.issued_on, packet.pages, packet.size)


def packet_of(conn: Connection, code: str) -> dict[str, Any] | None:
    """The packet issued under ``code`` with its business (``umkm_id``), or None."""
    from workflow.ledger import APPLICATIONS

    query = (
        select(PACKETS, APPLICATIONS.c.umkm_id)
        .join(APPLICATIONS, APPLICATIONS.c.id == PACKETS.c.application_id)
        .where(PACKETS.c.code == code)
    )
    row = conn.execute(query).mappings().first()
    return None if row is None else dict(row)
