"""Everything known about one application that its documents show, as plain frozen values.

``documents`` builds its packet context from these facts; nothing here is an ORM object, so a
template can neither lazy-load nor change anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import Connection, select

from workflow.errors import NotFound
from workflow.evidence import EVIDENCE_KINDS, EvidenceItem, application_mark, expired, in_scope
from workflow.guards import RelatedMilestone
from workflow.ledger import APPLICATIONS, AUDIT, REGENCIES, SELECT_EVIDENCE, UMKM, USERS
from workflow.model import ProcessDefinition
from workflow.persistence.schema import Material, ProcessStep, Product, table
from workflow.policy import Policy
from workflow.processes import ProcessRegistry

__all__ = ["ApplicationFacts", "EvidenceStatus", "MaterialFacts", "ProductFacts", "load_facts"]

_PRODUCTS = table(Product)
_MATERIALS = table(Material)
_STEPS = table(ProcessStep)


@dataclass(frozen=True, slots=True)
class ProductFacts:
    """A product as the UMKM names it."""

    name: str
    description: str
    brand: str = ""
    category: str = ""  # the product category reviewers file it under, e.g. "Roti dan kue"
    kbli: str = ""  # KBLI 2020, five digits


@dataclass(frozen=True, slots=True)
class MaterialFacts:
    """A material and the evidence of its halal status."""

    name: str
    category: str  # bahan baku | bahan tambahan | bahan penolong | kemasan
    supplier: str
    halal_evidence: str
    certificate_number: str = ""  # its halal certificate, when it is certified
    certificate_valid_until: date | None = None


@dataclass(frozen=True, slots=True)
class EvidenceStatus:
    """One required dossier document and whether it is present, missing or expired."""

    kind: str
    name: str
    name_en: str
    reference: str
    valid_until: date | None
    status: str  # present | missing | expired


@dataclass(frozen=True)
class ApplicationFacts:
    """One application, its UMKM, consultant, dossier and process, as of ``today``."""

    application_id: int
    definition: ProcessDefinition
    state: str
    audit_seq: int
    opened_on: date
    deadline: date | None
    filed_on: date | None
    certificate_number: str | None
    certificate_issued_on: date | None
    certificate_expires_on: date | None
    title: str
    details: Mapping[str, Any]
    umkm: Mapping[str, Any]
    regency: str
    consultant: str
    products: tuple[ProductFacts, ...]
    materials: tuple[MaterialFacts, ...]
    process_steps: tuple[str, ...]
    checklist: tuple[EvidenceStatus, ...]
    recorded: Mapping[str, str] = field(default_factory=dict)
    """The last value each trigger field was given (``application_number`` at filing ...)."""
    stepped_on: Mapping[str, date] = field(default_factory=dict)
    """The day each trigger was last fired (``verval_passed`` ...)."""


TRADEMARK_EVIDENCE_NAME = (
    "Bukti merek (sertifikat, tanda terima permohonan paling lama 6 bulan, atau lisensi)",
    "Trademark evidence (certificate, filing receipt at most 6 months old, or licence)",
)
"""The checklist's name of what a guard like SNI's trademark rule accepts in several forms."""


def _required_kinds(definition: ProcessDefinition) -> list[str]:
    """Every dossier document any step of the process asks for, in first-asked order, with
    the substitute document a guard accepts (SNI's trademark licence)."""
    kinds = [kind for t in definition.transitions for kind in t.requires]
    kinds += [
        guard.substitute_evidence
        for t in definition.transitions
        for guard in t.guards
        if isinstance(guard, RelatedMilestone)
    ]
    return list(dict.fromkeys(kinds))


def _substitute_status(
    conn: Connection, umkm_id: int, process_key: str, kind: str, today: date
) -> EvidenceStatus | None:
    """The trademark evidence an SNI application has through the business's own trademark
    application when no licence is on file: its certificate, or its filing receipt, which
    counts for ``Policy.trademark_receipt_max_age_months`` (expired after); None without one."""
    mark = conn.execute(
        select(APPLICATIONS.c.certificate_number, APPLICATIONS.c.filed_on)
        .where(
            APPLICATIONS.c.umkm_id == umkm_id,
            APPLICATIONS.c.process_key == process_key,
            APPLICATIONS.c.filed_on.is_not(None),
        )
        .order_by(APPLICATIONS.c.certificate_number.is_(None), APPLICATIONS.c.filed_on.desc())
    ).first()
    if mark is None:
        return None
    if mark.certificate_number:
        reference = f"Sertifikat merek {mark.certificate_number}"
        return EvidenceStatus(kind, *TRADEMARK_EVIDENCE_NAME, reference, None, "present")
    months = Policy.trademark_receipt_max_age_months
    until = mark.filed_on + relativedelta(months=months)
    reference = f"Tanda terima permohonan merek {mark.filed_on.isoformat()}"
    status = "expired" if until < today else "present"
    return EvidenceStatus(kind, *TRADEMARK_EVIDENCE_NAME, reference, until, status)


def _recorded(conn: Connection, app_id: int) -> tuple[dict[str, str], dict[str, date]]:
    """The values trigger fields were last given, and the day each trigger was last fired."""
    values: dict[str, str] = {}
    days: dict[str, date] = {}
    for row in conn.execute(
        select(AUDIT.c.trigger, AUDIT.c.at, AUDIT.c.data)
        .where(AUDIT.c.application_id == app_id)
        .order_by(AUDIT.c.seq)
    ):
        if row.trigger.startswith("@"):
            continue
        days[row.trigger] = row.at.date()
        if isinstance(row.data, dict):
            values.update(
                (k, v) for k, v in row.data.items() if not k.startswith("@") and isinstance(v, str)
            )
    return values, days


def load_facts(
    conn: Connection, registry: ProcessRegistry, app_id: int, today: date
) -> ApplicationFacts:
    """The facts of application ``app_id``."""
    app = conn.execute(
        select(APPLICATIONS, USERS.c.full_name.label("consultant"))
        .outerjoin(USERS, USERS.c.id == APPLICATIONS.c.assignee_id)
        .where(APPLICATIONS.c.id == app_id)
    ).first()
    if app is None:
        raise NotFound(f"no application #{app_id}; see 'sertiflow app list'")
    umkm = conn.execute(select(UMKM).where(UMKM.c.id == app.umkm_id)).one()._asdict()
    regency = conn.scalar(select(REGENCIES.c.name).where(REGENCIES.c.code == umkm["regency_code"]))
    definition = registry.get(app.process_key, app.process_version)
    on_file, _ = in_scope(  # the business's documents, this application's, its mark's
        (
            EvidenceItem(
                r.kind,
                r.reference,
                r.valid_until,
                r.scope,
                r.application_id,
                r.process_key or "",
                r.signed_on,
            )
            for r in conn.execute(SELECT_EVIDENCE, {"umkm_id": app.umkm_id})
        ),
        app.id,
        application_mark(app.process_key, app.details),
    )
    substitutes = {  # a document a guard takes in place of another process's milestone
        guard.substitute_evidence: guard.process_key
        for t in definition.transitions
        for guard in t.guards
        if isinstance(guard, RelatedMilestone)
    }
    checklist = []
    for kind in _required_kinds(definition):
        item = on_file.get(kind)
        names = (EVIDENCE_KINDS[kind].name, EVIDENCE_KINDS[kind].name_en)
        if kind in substitutes and item is None:
            instead = _substitute_status(conn, app.umkm_id, substitutes[kind], kind, today)
            if instead is not None:
                checklist.append(instead)
                continue
            names = TRADEMARK_EVIDENCE_NAME
        status = (
            "missing"
            if item is None
            else "expired"
            if expired(item.valid_until, today)
            else "present"
        )
        checklist.append(
            EvidenceStatus(
                kind,
                *names,
                item.reference if item else "",
                item.valid_until if item else None,
                status,
            )
        )
    products = tuple(
        ProductFacts(r.name, r.description, r.brand or "", r.category or "", r.kbli or "")
        for r in conn.execute(
            select(_PRODUCTS)
            .where(_PRODUCTS.c.umkm_id == app.umkm_id)
            .order_by(_PRODUCTS.c.position)
        )
    )
    materials = tuple(
        MaterialFacts(
            r.name,
            r.category,
            r.supplier,
            r.halal_evidence,
            r.halal_certificate_number or "",
            r.halal_valid_until,
        )
        for r in conn.execute(
            select(_MATERIALS)
            .where(_MATERIALS.c.umkm_id == app.umkm_id)
            .order_by(_MATERIALS.c.position)
        )
    )
    steps = tuple(
        conn.scalars(
            select(_STEPS.c.description)
            .where(_STEPS.c.umkm_id == app.umkm_id)
            .order_by(_STEPS.c.position)
        )
    )
    recorded, stepped_on = _recorded(conn, app.id)
    return ApplicationFacts(
        application_id=app.id,
        definition=definition,
        state=app.state,
        audit_seq=app.audit_seq,
        opened_on=app.opened_at.date(),
        deadline=app.deadline,
        filed_on=app.filed_on,
        certificate_number=app.certificate_number,
        certificate_issued_on=app.certificate_issued_on,
        certificate_expires_on=app.certificate_expires_on,
        title=app.title,
        details=dict(app.details or {}),
        umkm=umkm,
        regency=regency or umkm["regency_code"],
        consultant=app.consultant or "",
        products=products,
        materials=materials,
        process_steps=steps,
        checklist=tuple(checklist),
        recorded=recorded,
        stepped_on=stepped_on,
    )
