"""Everything known about one application that its documents show, as plain frozen values.

``documents`` builds its packet context from these facts; nothing here is an ORM object, so a
template can neither lazy-load nor change anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from workflow.errors import NotFound
from workflow.evidence import EVIDENCE_KINDS, EvidenceItem, application_mark, expired, in_scope
from workflow.ledger import APPLICATIONS, REGENCIES, SELECT_EVIDENCE, UMKM, USERS
from workflow.model import ProcessDefinition
from workflow.persistence.schema import Material, ProcessStep, Product, table
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


@dataclass(frozen=True, slots=True)
class MaterialFacts:
    """A material and the evidence of its halal status."""

    name: str
    category: str
    supplier: str
    halal_evidence: str


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


def _required_kinds(definition: ProcessDefinition) -> list[str]:
    """Every dossier document any step of the process asks for, in first-asked order."""
    return list(dict.fromkeys(kind for t in definition.transitions for kind in t.requires))


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
    checklist = []
    for kind in _required_kinds(definition):
        item = on_file.get(kind)
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
                EVIDENCE_KINDS[kind].name,
                EVIDENCE_KINDS[kind].name_en,
                item.reference if item else "",
                item.valid_until if item else None,
                status,
            )
        )
    products = tuple(
        ProductFacts(r.name, r.description)
        for r in conn.execute(
            select(_PRODUCTS)
            .where(_PRODUCTS.c.umkm_id == app.umkm_id)
            .order_by(_PRODUCTS.c.position)
        )
    )
    materials = tuple(
        MaterialFacts(r.name, r.category, r.supplier, r.halal_evidence)
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
    )
