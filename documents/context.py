"""The frozen context a packet is rendered from: office, UMKM, application, dossier, stage.

Built from ``workflow.facts.ApplicationFacts`` and the office's settings; no ORM object ever
reaches a template. ``inputs_key`` is what decides whether a stored packet can be returned again:
everything the documents show except the issue date, reference number and verification code,
which are fixed the first time the packet is issued (``unissued`` leaves them out).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

from workflow.facts import ApplicationFacts, EvidenceStatus, MaterialFacts, ProductFacts
from workflow.policy import Fees, Policy

__all__ = [
    "AGENCIES",
    "MILESTONES",
    "ApplicationInfo",
    "OfficeInfo",
    "PacketContext",
    "UmkmInfo",
    "build_context",
    "passed_milestones",
]

AGENCIES = {
    "halal": (
        "Kepala Badan Penyelenggara Jaminan Produk Halal (BPJPH)",
        "Head of the Halal Product Assurance Agency (BPJPH)",
    ),
    "trademark": (
        "Direktur Jenderal Kekayaan Intelektual, Kementerian Hukum",
        "Director General of Intellectual Property, Ministry of Law",
    ),
    "sni": (
        "Kepala Lembaga Sertifikasi Produk (LSPro)",
        "Head of the Product Certification Body (LSPro)",
    ),
}
"""Whom a packet's covering letter is addressed to, by family of process."""

MILESTONES = {
    # PP 42/2024 Pasal 160(2): the halal obligation for food and drinks made by micro and small
    # businesses (DOMAIN.md §6).
    "halal_obligation_umk": date(2026, 10, 17),
}
"""Dates the guides state; each reads as still to come or as passed on the day a packet is
issued (``passed_milestones``), so a guide issued after one is not in the future tense."""


def passed_milestones(on: date) -> frozenset[str]:
    """The names of the ``MILESTONES`` on or before ``on``."""
    return frozenset(name for name, day in MILESTONES.items() if day <= on)


@dataclass(frozen=True, slots=True)
class OfficeInfo:
    """The PLUT office that issues the packet (letterhead and signature)."""

    name: str
    address: str
    city: str
    head_title: str
    logo: str  # a data: URI
    fees: Fees = field(default_factory=Fees)  # what the guides and letters print (settings)
    self_declare_max_turnover: int = Policy.self_declare_max_turnover  # the guide's ceiling


@dataclass(frozen=True, slots=True)
class UmkmInfo:
    """The business the packet is about."""

    nib: str
    name: str
    owner_name: str
    kind: str
    scale: str
    regency: str
    address: str
    email: str
    phone: str
    annual_turnover: int | None
    products: str


@dataclass(frozen=True, slots=True)
class ApplicationInfo:
    """The application and where it stands."""

    id: int
    process_key: str
    family: str  # halal | trademark | sni
    process_title: str
    regulation: str
    state: str
    state_label: str
    court: str
    hint: str
    deadline: date | None
    opened_on: date
    filed_on: date | None
    certificate_number: str | None
    certificate_issued_on: date | None
    certificate_expires_on: date | None
    consultant: str
    title: str
    details: tuple[tuple[str, str], ...]

    def detail(self, key: str, default: str = "") -> str:
        """A detail recorded for this application (mark name, Nice classes, LPH ...)."""
        return next((value for name, value in self.details if name == key), default)


@dataclass(frozen=True)
class PacketContext:
    """Everything one packet shows."""

    lang: str
    office: OfficeInfo
    umkm: UmkmInfo
    application: ApplicationInfo
    addressee: str
    products: tuple[ProductFacts, ...]
    materials: tuple[MaterialFacts, ...]
    process_steps: tuple[str, ...]
    checklist: tuple[EvidenceStatus, ...]
    documents: tuple[str, ...]
    template_version: str
    # Fixed when the packet is first issued; not part of the inputs.
    issued_on: date = field(default=date(1970, 1, 1))
    reference: str = ""
    code: str = ""
    verify_url: str = ""
    # The own codes of enclosed documents an earlier packet issued (documents.issued), as
    # (document, code): the covering letter lists them. Derived from the inputs.
    enclosures: tuple[tuple[str, str], ...] = ()

    def unissued(self) -> PacketContext:
        """This context without what its first issue fixes (date, reference, codes). The
        verification address keeps its public part: documents printed with another address
        are other documents."""
        return replace(
            self,
            issued_on=date(1970, 1, 1),
            reference="",
            code="",
            verify_url=self.verify_url.removesuffix(self.code),
            enclosures=(),
        )

    def issued_as(
        self, identity: Mapping[str, Any], verify_url: Callable[[str], str]
    ) -> PacketContext:
        """This context carrying an issue's ``code``, ``reference`` and ``issued_on`` (from a
        record, or a new issue's), with the address its code is verified at."""
        return replace(
            self,
            code=identity["code"],
            reference=identity["reference"],
            issued_on=identity["issued_on"],
            verify_url=verify_url(identity["code"]),
        )

    def inputs_key(self) -> str:
        """SHA-256 of everything that decides the packet's content."""
        data = asdict(self.unissued())
        text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def missing(self) -> tuple[EvidenceStatus, ...]:
        """Checklist entries that are missing or expired."""
        return tuple(item for item in self.checklist if item.status != "present")


def family_of(process_key: str) -> str:
    """``halal`` for both halal paths, else the process key."""
    return "halal" if process_key.startswith("halal") else process_key


def build_context(
    facts: ApplicationFacts,
    office: OfficeInfo,
    lang: str,
    state: str,
    documents: tuple[str, ...],
    template_version: str,
) -> PacketContext:
    """The context of the packet for ``state`` of the application ``facts`` describes."""
    definition = facts.definition
    stage = definition.states[state]
    umkm: dict[str, Any] = dict(facts.umkm)
    family = family_of(definition.key)
    addressee = AGENCIES[family][1 if lang == "en" else 0]
    return PacketContext(
        lang=lang,
        office=office,
        umkm=UmkmInfo(
            nib=umkm["nib"],
            name=umkm["name"],
            owner_name=umkm["owner_name"],
            kind=umkm["kind"],
            scale=umkm["scale"],
            regency=facts.regency,
            address=umkm["address"] or "",
            email=umkm["email"] or "",
            phone=umkm["phone"] or "",
            annual_turnover=umkm["annual_turnover"],
            products=umkm["products"] or "",
        ),
        application=ApplicationInfo(
            id=facts.application_id,
            process_key=definition.key,
            family=family,
            process_title=definition.title_en if lang == "en" else definition.title,
            regulation=definition.regulation,
            state=state,
            state_label=stage.label_en if lang == "en" else stage.label,
            court=stage.court.value,
            hint=stage.hint,
            deadline=facts.deadline,
            opened_on=facts.opened_on,
            filed_on=facts.filed_on,
            certificate_number=facts.certificate_number,
            certificate_issued_on=facts.certificate_issued_on,
            certificate_expires_on=facts.certificate_expires_on,
            consultant=facts.consultant,
            title=facts.title,
            details=tuple(sorted((str(k), str(v)) for k, v in facts.details.items())),
        ),
        addressee=addressee,
        products=facts.products,
        materials=facts.materials,
        process_steps=facts.process_steps,
        checklist=facts.checklist,
        documents=documents,
        template_version=template_version,
    )
