"""The frozen context a packet is rendered from: office, UMKM, application, dossier, stage.

Built from ``workflow.facts.ApplicationFacts`` and the office's settings; no ORM object ever
reaches a template. ``inputs_key`` is what decides whether a stored packet can be returned again:
everything the documents show except the issue date, reference number and verification code,
which are fixed the first time the packet is issued (``unissued`` leaves them out).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

from workflow.facts import ApplicationFacts, EvidenceStatus, MaterialFacts, ProductFacts
from workflow.guards import RelatedMilestone
from workflow.model import ProcessDefinition
from workflow.policy import Fees, Policy

__all__ = [
    "AGENCIES",
    "AGENCY_NUMBERS",
    "AGENCY_PLACES",
    "MILESTONES",
    "NOT_DUE",
    "ApplicationInfo",
    "OfficeInfo",
    "PacketContext",
    "UmkmInfo",
    "build_context",
    "due_kinds",
    "formal_stage_label",
    "passed_milestones",
    "postcode_of",
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

AGENCY_PLACES = {
    "halal": ("di Jakarta", "Jakarta"),
    "trademark": ("di Jakarta", "Jakarta"),
    "sni": ("di tempat", ""),  # an LSPro may sit anywhere: its own address, not a city guess
}
"""The line under the addressee, by family: every letter to one agency writes it the same."""

MILESTONES = {
    # PP 42/2024 Pasal 160(2): the halal obligation for food and drinks made by micro and small
    # businesses (DOMAIN.md §6).
    "halal_obligation_umk": date(2026, 10, 17),
}
"""Dates the guides state; each reads as still to come or as passed on the day a packet is
issued (``passed_milestones``), so a guide issued after one is not in the future tense."""


NOT_DUE = "not_due"
"""The checklist status of a document a later stage asks for ("belum diperlukan")."""


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
    # The office profile an admin sets (``workflow.office``): the letterhead's other lines and
    # the signatory named under the office's letters; empty when not set.
    parent_agency: str = ""
    postcode: str = ""
    phone: str = ""
    email: str = ""
    signatory_name: str = ""
    signatory_rank: str = ""
    signatory_nip: str = ""  # 18 digits
    addressees: tuple[tuple[str, str], ...] = ()  # (family, full title) the office prefers
    timezone: str = Policy.timezone  # the office's clock, for the times a report prints

    def with_profile(self, profile: Mapping[str, str]) -> OfficeInfo:
        """This office with what its profile sets (``workflow.office.stored_profile``): a key
        set there wins over the settings the office was built from."""
        renamed = {"signatory_position": "head_title"}
        own = {f for f in self.__dataclass_fields__ if f != "addressees"}
        values = {renamed.get(k, k): v for k, v in profile.items() if v}
        changes: dict[str, Any] = {k: v for k, v in values.items() if k in own}
        addressees = tuple(
            (k.removeprefix("addressee_"), v)
            for k, v in sorted(values.items())
            if k.startswith("addressee_")
        )
        if addressees:
            changes["addressees"] = addressees
        return replace(self, **changes) if changes else self

    @property
    def nip(self) -> str:
        """The signatory's NIP as printed: ``19700101 199503 2 001``."""
        nip = self.signatory_nip
        if len(nip) != 18 or not nip.isdigit():
            return nip
        return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"


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
    province: str = ""  # from the regency's BPS code
    postcode: str = ""  # its kode pos (``postcode_of``); "" when not recorded

    @property
    def full_address(self) -> str:
        """The address with regency, province and postcode, as DJKI's form asks."""
        parts = [self.address.strip().rstrip(","), self.regency]
        if self.province:
            parts.append(f"Provinsi {self.province}")
        text = ", ".join(p for p in parts if p)
        if self.postcode and self.postcode not in self.address:
            text += f" {self.postcode}"
        return text


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
    preparation: bool = False  # a preparation stage: its documents are drafts to review
    agency_number: str = ""  # the agency's own number (SIHALAL, DJKI, LSPro), when recorded
    agency_number_label: str = ""  # what that number is called ("nomor permohonan DJKI")

    def detail(self, key: str, default: str = "") -> str:
        """A detail recorded for this application (mark name, Nice classes, LPH ...)."""
        return next((value for name, value in self.details if name == key), default)

    def goods_by_class(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The ``goods`` detail grouped by Nice class: a line "30: kue sagu; sagu lempeng"
        (or "Kelas 30: ...") is class 30's; a line without a class belongs to the one class
        in ``nice_classes``, or to "" (class not yet chosen) when there are several or none."""
        classes = [c for c in re.split(r"[,;\s]+", self.detail("nice_classes")) if c]
        groups: dict[str, list[str]] = {c: [] for c in classes}
        for line in self.detail("goods").splitlines():
            found = _CLASSED.match(line.strip())
            if found:
                number, text = str(int(found[1] or found[2])), found[3]
            else:
                number, text = (classes[0] if len(classes) == 1 else ""), line
            items = [g.strip() for g in text.split(";") if g.strip()]
            if items:
                groups.setdefault(number, []).extend(items)
        return tuple((number, tuple(items)) for number, items in groups.items() if items)


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
    # "di Jakarta" or "di tempat" under the addressee: the same in every letter to one agency.
    addressee_place: str = ""

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

    def letter_number(self, letter: str | None = None) -> str:
        """The Nomor of one of the packet's office letters. The covering letter's is the
        packet's reference; another letter of the office in the same packet (the UMK
        recommendation ``REK``, the self-declare completion letter ``KET``) carries its own
        code after the office's ("00012.05/PLUT/REK/HKI/XII/2026"): two outgoing letters never
        share a number."""
        if not letter or not self.reference:
            return self.reference
        return self.reference.replace("/PLUT/", f"/PLUT/{letter}/", 1)

    def inputs_key(self) -> str:
        """SHA-256 of everything that decides the packet's content."""
        data = asdict(self.unissued())
        text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def missing(self) -> tuple[EvidenceStatus, ...]:
        """Checklist entries that are missing or expired (not those not yet due)."""
        return tuple(item for item in self.checklist if item.status not in _NOT_LACKING)

    @property
    def unproven_materials(self) -> tuple[MaterialFacts, ...]:
        """A halal packet's materials without halal evidence: the file is not complete and
        the ikrar cannot yet pledge every material halal."""
        if self.application.family != "halal":
            return ()
        return tuple(
            m for m in self.materials if not (m.halal_evidence.strip() or m.certificate_number)
        )


_NOT_LACKING = frozenset({"present", NOT_DUE})
# "30: kue sagu" or "Kelas 30 - kue sagu"; not "2-in-1 kopi" (a class is named, or ends in ':')
_CLASSED = re.compile(
    r"^(?:(?:kelas|class)\s*(\d{1,2})\s*[:.)-]?|(\d{1,2})\s*:)\s*(.*)$", re.IGNORECASE
)
_POSTCODE = re.compile(r"\b([1-9][0-9]{4})\s*$")


def postcode_of(umkm: Mapping[str, Any]) -> str:
    """A business's postcode: its ``postcode`` field (schema 0011), or for a record without
    one, five digits ending its address. Offices wrote it there until the field existed (the
    filing data sheet told them to), and the upgrade leaves the field empty: reading the
    address keeps those records' packets printing it until the field is set. "" when neither."""
    if umkm.get("postcode"):
        return str(umkm["postcode"])
    found = _POSTCODE.search(umkm.get("address") or "")
    return found[1] if found else ""


PROVINCES = {"81": "Maluku", "82": "Maluku Utara"}
"""Province names by the first two digits of a BPS regency code (the office's region)."""

AGENCY_NUMBERS = {
    "halal": (("sihalal_number",), "nomor registrasi SIHALAL", "SIHALAL registration number"),
    "trademark": (
        ("djki_number", "application_number"),
        "nomor permohonan DJKI",
        "DJKI application number",
    ),
    "sni": (("lspro_number", "application_number"), "nomor permohonan LSPro", "LSPro number"),
}
"""The details holding the agency's own number of an application, by family, and its name."""

FORMAL_STAGE_LABELS = {
    "Submitted PU": "Permohonan telah diajukan melalui SIHALAL",
    "(TM) Dalam Proses": "Permohonan telah diterima DJKI dan dalam proses",
    # English in brackets inside the letter's own brackets: "(tahap: Persiapan (gap analysis, ...))"
    "Persiapan (gap analysis, penerapan SNI dan sistem mutu)": (
        "Persiapan: analisis kesenjangan, penerapan SNI dan sistem mutu"
    ),
}
"""Status texts of the agencies' systems that read as jargon in a letter, and stage names that
read badly inside one, in plain Indonesian."""


def formal_stage_label(label: str) -> str:
    """A stage's name as a letter writes it: no system status code ("(TM) ...")."""
    return FORMAL_STAGE_LABELS.get(label, label.removeprefix("(TM) "))


def due_kinds(definition: ProcessDefinition, state: str) -> frozenset[str]:
    """The dossier documents due by ``state``: those asked for by a step from it or from a
    stage before it (payment proof is not due before the fee is invoiced)."""
    order = list(definition.states)
    here = order.index(state)
    return frozenset(
        kind
        for t in definition.transitions
        if any(order.index(source) <= here for source in t.sources)
        for kind in (
            *t.requires,
            *(g.substitute_evidence for g in t.guards if isinstance(g, RelatedMilestone)),
        )
    )


def _agency_number(family: str, details: Mapping[str, str], lang: str) -> tuple[str, str]:
    keys, label, label_en = AGENCY_NUMBERS[family]
    number = next((details[k] for k in keys if details.get(k)), "")
    return number, (label_en if lang == "en" else label) if number else ""


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
    # What a step recorded (the DJKI number given at filing, the day the P3H passed the
    # verification) fills a detail nobody typed in.
    details = {k: v for k, v in facts.recorded.items() if k in definition.details}
    if "verval_date" in definition.details and "verval_passed" in facts.stepped_on:
        details["verval_date"] = facts.stepped_on["verval_passed"].isoformat()
    details.update((str(k), str(v)) for k, v in facts.details.items() if v)
    due = due_kinds(definition, state)
    checklist = tuple(
        replace(item, status=NOT_DUE) if item.status == "missing" and item.kind not in due else item
        for item in facts.checklist
    )
    number, number_label = _agency_number(family, details, lang)
    addressee = AGENCIES[family][1 if lang == "en" else 0]
    if lang != "en":  # the office's own wording of the agency head's full title
        addressee = dict(office.addressees).get(family, addressee)
    if family == "sni" and details.get("lspro"):  # the LSPro the application names
        addressee = ("Head of " if lang == "en" else "Kepala ") + details["lspro"]
    place = AGENCY_PLACES[family][1 if lang == "en" else 0]
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
            province=PROVINCES.get(str(umkm["regency_code"])[:2], ""),
            postcode=postcode_of(umkm),
        ),
        application=ApplicationInfo(
            id=facts.application_id,
            process_key=definition.key,
            family=family,
            process_title=definition.title_en if lang == "en" else definition.title,
            regulation=definition.regulation,
            state=state,
            state_label=stage.label_en if lang == "en" else formal_stage_label(stage.label),
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
            details=tuple(sorted(details.items())),
            preparation=any(
                t.trigger == "start_document_preparation" and t.dest == state
                for t in definition.transitions
            ),
            agency_number=number,
            agency_number_label=number_label,
        ),
        addressee=addressee,
        addressee_place=place,
        products=facts.products,
        materials=facts.materials,
        process_steps=facts.process_steps,
        checklist=checklist,
        documents=documents,
        template_version=template_version,
    )
