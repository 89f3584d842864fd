"""The PLUT Maluku demo office: its regencies, UMKM, cooperatives and consultants, and a year of
applications moved through the real engine on a simulated clock.

Every step goes through ``Engine.advance`` exactly as a consultant's command would, so the demo's
history, audit chains, deadlines and backlog are what real use produces, refusals included: a
submission without the dossier documents is refused, the documents are added, and it goes again.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from sertiflow.demo_catalogue import LINES
from workers.outbox import mark_historical
from workflow import journal
from workflow.accounts import set_password
from workflow.directory import (
    add_evidence,
    add_user,
    ensure_regencies,
    ensure_system_user,
    has_users,
    record_import,
    replace_profile,
    upsert_umkm,
)
from workflow.engine import Engine, TransitionResult
from workflow.errors import ConflictError, GuardRefused, SertiflowError
from workflow.evidence import EVIDENCE_KINDS, Scope
from workflow.facts import MaterialFacts, ProductFacts
from workflow.ledger import APPLICATIONS, UMKM, USERS
from workflow.model import Court, Phase, Role, Transition
from workflow.office import set_office
from workflow.permissions import acting_user
from workflow.persistence.database import reading
from workflow.regions import MALUKU_REGENCIES
from workflow.umkm_import import UmkmRecord

__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD", "DemoSummary", "build_demo"]

CONSULTANTS = (  # PLUT Maluku's six fields (seed article, 2020)
    ("dina.it", "Dina Wattimena", "it"),
    ("yosef.pemasaran", "Yosef Tanamal", "pemasaran"),
    ("maria.sdm", "Maria Sopacua", "sdm"),
    ("hasan.kelembagaan", "Hasan Ohorella", "kelembagaan"),
    ("rina.produksi", "Rina Latuconsina", "produksi"),
    ("agus.pembiayaan", "Agus Pelupessy", "pembiayaan"),
)
_FIELD_WEIGHT = {
    "produksi": 5,
    "kelembagaan": 3,
    "pemasaran": 3,
    "it": 1,
    "sdm": 1,
    "pembiayaan": 1,
}
_SURNAMES = (
    "Latuconsina",
    "Pattiasina",
    "Tanamal",
    "Wattimena",
    "Sopacua",
    "Rumahlatu",
    "Tuhumury",
    "Matulessy",
    "Souisa",
    "Pelupessy",
    "Lestaluhu",
    "Ohorella",
    "Tuasikal",
    "Kaya",
    "Nahumarury",
    "Ralahalu",
    "Salampessy",
    "Titaley",
)
_GIVEN = (
    "Ana",
    "Yohana",
    "Fatima",
    "Maria",
    "Siti",
    "Nurlela",
    "Oktovina",
    "Hasan",
    "Yosef",
    "Abdullah",
    "Frans",
    "Ruth",
    "Marthen",
    "Halimah",
    "Nona",
    "Ongen",
)
_REGENCY_WEIGHT = {
    "8171": 30,
    "8103": 14,
    "8106": 8,
    "8104": 7,
    "8102": 7,
    "8172": 6,
    "8107": 6,
    "8101": 6,
    "8105": 5,
    "8108": 4,
    "8109": 4,
}
_POSTCODE = {  # kode pos of the regency seat, by BPS code (Kota Ambon 971xx, Tanimbar and
    # Maluku Barat Daya 974xx, the Seram and Buru regencies 975xx, the Kei and Aru islands 976xx):
    # plausible codes of the seat's area; the demo gives every business its seat's
    "8171": "97128",  # Kota Ambon
    "8103": "97511",  # Maluku Tengah: Masohi
    "8104": "97571",  # Buru: Namlea
    "8106": "97561",  # Seram Bagian Barat: Piru
    "8107": "97554",  # Seram Bagian Timur: Bula
    "8109": "97573",  # Buru Selatan: Namrole
    "8101": "97464",  # Kepulauan Tanimbar: Saumlaki
    "8108": "97442",  # Maluku Barat Daya: Tiakur
    "8105": "97662",  # Kepulauan Aru: Dobo
    "8102": "97613",  # Maluku Tenggara: Langgur
    "8172": "97611",  # Kota Tual
}
_PROCESS_MIX = (("halal_self_declare", 45), ("trademark", 30), ("halal_regular", 15), ("sni", 10))
_TRIGGER_WEIGHT = {
    "return_incomplete": 0.15,
    "return_to_pu": 0.12,
    "payment_rejected": 0.05,
    "lab_test_required": 0.2,
    "extension_requested": 0.12,
    "mui_deadline_missed": 0.15,
    "ketetapan_tidak_halal": 0.03,
    "formality_deficient": 0.2,
    "opposition_filed": 0.08,
    "provisional_refusal": 0.12,
    "response_rejected": 0.3,
    "appeal_window_lapsed": 0.5,
    "nonconformity": 0.3,
    "test_failed": 0.12,
    "retest_failed": 0.3,
    "clarification_needed": 0.1,
    "refuse": 0.05,
    "cancel": 0.02,
    "withdraw": 0.01,
    "deadline_missed": 0.3,
    "no_response_deadline": 0.2,
    "correction_deadline_missed": 0.2,
    "redirect_to_regular": 0.0,
}
_DELIVERED_HISTORY = timedelta(days=1)
_MEAN_DAYS = {Court.AGENCY: 5.0, Court.UMKM: 6.0, Court.CONSULTANT: 2.0}


DEMO_PASSWORD = "sagu-lempeng-2026"
"""The web password of every demo login: a demo office is for trying sertiflow, never for real
data (``sertiflow user passwd`` changes it)."""
DEMO_OWNER = "pemilik.demo"
"""The demo's one UMKM login: the owner of the business with the most applications."""
DEMO_LOGINS = ("admin", *(username for username, _, _ in CONSULTANTS), DEMO_OWNER)
"""Who can log in to the demo office's web app, with ``DEMO_PASSWORD``."""


@dataclass(frozen=True)
class DemoSummary:
    """What the demo created."""

    umkm: int
    cooperatives: int
    consultants: int
    applications: int
    transitions: int
    refused: int
    historical_effects: int  # outbox rows of the simulated past, recorded but never sent


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _records(rng: random.Random, umkm: int, cooperatives: int) -> list[UmkmRecord]:
    codes = list(_REGENCY_WEIGHT)
    weights = list(_REGENCY_WEIGHT.values())
    weights_all = [line.weight for line in LINES]
    producers = [line for line in LINES if not line.food_service]  # cooperatives produce
    producer_weights = [line.weight for line in producers]
    records = []
    for index in range(umkm + cooperatives):
        cooperative = index >= umkm
        scale = (
            "kecil" if cooperative else rng.choices(("mikro", "kecil", "menengah"), (80, 15, 5))[0]
        )
        turnover = {
            "mikro": rng.randrange(20, 450),
            "kecil": rng.randrange(300, 9_000),
            "menengah": rng.randrange(15_000, 45_000),
        }[scale] * 1_000_000
        line = rng.choices(
            producers if cooperative else LINES, producer_weights if cooperative else weights_all
        )[0]
        product = line.product
        owner = f"{rng.choice(_GIVEN)} {rng.choice(_SURNAMES)}"
        if cooperative:
            name = f"Koperasi {product} {rng.choice(_SURNAMES)}"
        elif line.kbli is not None:  # a restaurant, eating house or caterer: named as one
            name = f"{_FOOD_SERVICE_PREFIX[line.kbli]} {owner.split()[0]}"
        else:
            name = f"{product} {owner.split()[0]}"
        regency = rng.choices(codes, weights)[0]
        records.append(
            UmkmRecord(
                nib=f"91{index:011d}",
                name=name,
                owner_name=owner,
                kind="koperasi" if cooperative else "umkm",
                scale=scale,
                regency_code=regency,
                email=f"umkm{index:04d}@contoh.id",
                phone=f"+62812{index:08d}",
                address=f"Jl. Contoh No. {index % 90 + 1}",
                annual_turnover=turnover,
                production_sites=1 if rng.random() < 0.9 else 2,
                simple_process=rng.random() < 0.85,
                products=product,
                language="en" if index % 25 == 0 else "id",  # a few owners read English
                business_type=line.business_type,
                kbli=line.kbli,
                postcode=_POSTCODE[regency],
                row=index + 2,
            )
        )
    return records


DEMO_OFFICE = {
    "parent_agency": "PEMERINTAH PROVINSI MALUKU - DINAS KOPERASI DAN UKM",
    "postcode": "97127",
    "phone": "(0911) 312 345",
    "email": "plut@plut-maluku.contoh.id",
    "signatory_name": "Dra. Selfina Lekatompessy, M.M.",
    "signatory_rank": "Pembina Tingkat I, IV/b",
    "signatory_nip": "19720314 199803 2 004",
}
"""The demo office's profile (``sertiflow office show``): a made-up signatory and contacts, so
that demo letters show a named signer, an NIP and a full letterhead."""


def build_demo(
    engine: Engine,
    umkm: int,
    cooperatives: int,
    applications: int,
    seed: int,
    tick: Callable[[], None] = lambda: None,
    system_user: str = "sertiflow",
    *,
    logins: bool = True,
) -> DemoSummary:
    """Fill an empty database with the demo office; refuses a database that has users. With
    ``logins``, ``DEMO_LOGINS`` get ``DEMO_PASSWORD`` for the web app (argon2 hashes: the
    benchmarks leave them out)."""
    ensure_system_user(engine.db, system_user)  # it adds the first admin
    if has_users(engine.db, besides=system_user):
        raise ConflictError(
            "the database already has users; the demo needs an empty one "
            "(use another --db, or delete the file)"
        )
    rng = random.Random(seed)
    real_clock = engine.clock
    end = real_clock()
    clock = _Clock(end - timedelta(days=365))
    engine.clock = clock
    try:
        records = _records(rng, umkm, cooperatives)
        add_user(  # the office's first admin, added by the system account
            engine.db,
            "admin",
            "Admin PLUT Maluku",
            Role.ADMIN,
            acting=system_user,
            email="admin@plut-maluku.contoh.id",
        )
        set_office(engine.db, DEMO_OFFICE, acting="admin", now=clock())  # letterhead, signer
        for username, name, field_name in CONSULTANTS:
            add_user(
                engine.db,
                username,
                name,
                Role.CONSULTANT,
                acting="admin",
                field=field_name,
                email=f"{username}@plut-maluku.contoh.id",
            )
        with journal.writing(engine.db) as conn:
            admin = acting_user(conn, "admin")
            ensure_regencies(conn, MALUKU_REGENCIES)
            counts = upsert_umkm(conn, records, clock())
            record_import(conn, admin, "demo", counts, clock())
            ids = dict(conn.execute(select(UMKM.c.nib, UMKM.c.id)).all())
            for record in records:
                replace_profile(conn, admin, ids[record.nib], *_profile(rng, record))
        marks = {record.nib: _marks(rng, record) for record in records}
        candidates = {  # halal only for what is eaten, drunk or worn on the skin; SNI only
            "halal_self_declare": [r for r in records if _LINES[r.products].halal],  # where a
            "halal_regular": [r for r in records if _LINES[r.products].halal],  # standard is
            "sni": [r for r in records if _LINES[r.products].sni is not None],  # there
            "trademark": records,
        }
        mover = _Mover(engine, clock, rng, end)
        starts = sorted(
            clock.now + timedelta(days=rng.uniform(0, 360)) for _ in range(applications)
        )
        consultants = [c for c in CONSULTANTS for _ in range(_FIELD_WEIGHT[c[2]])]
        mix_keys = [k for k, _ in _PROCESS_MIX]
        mix_weights = [w for _, w in _PROCESS_MIX]
        for start in starts:
            clock.now = start
            process = rng.choices(mix_keys, mix_weights)[0]
            if not candidates[process]:
                tick()
                continue
            record = rng.choice(candidates[process])
            owned = marks[record.nib]
            assignee = rng.choice(consultants)[0]
            for mark in owned if process == "trademark" else owned[:1]:  # one filing a mark
                try:
                    app_id = engine.open_application(
                        record.nib,
                        process,
                        "admin",
                        assignee=assignee,
                        title=record.products,
                        details=_details(rng, process, record, mark),
                    )
                except ConflictError:  # the same one is open already
                    continue
                mover.opened += 1
                mover.move(app_id, record.nib)
                clock.now = start
            tick()
        # The simulated year happened before sertiflow "went live": its effects are recorded
        # as history, never sent. The last day's are left for the worker to deliver.
        historical = mark_historical(engine.db, before=end - _DELIVERED_HISTORY)
        if logins:
            _give_logins(engine, clock())
        return DemoSummary(
            umkm,
            cooperatives,
            len(CONSULTANTS),
            mover.opened,
            mover.transitions,
            mover.refused,
            historical,
        )
    finally:
        engine.clock = real_clock


def _give_logins(engine: Engine, now: datetime) -> None:
    """A UMKM login for the business with the most applications, and ``DEMO_PASSWORD`` for
    every demo login."""
    with reading(engine.db).connect() as conn:
        nib, owner = conn.execute(
            select(UMKM.c.nib, UMKM.c.owner_name)
            .join(APPLICATIONS, APPLICATIONS.c.umkm_id == UMKM.c.id)
            .group_by(UMKM.c.id, UMKM.c.nib, UMKM.c.owner_name)
            .order_by(func.count().desc(), UMKM.c.id)
            .limit(1)
        ).one()
    add_user(
        engine.db,
        DEMO_OWNER,
        owner,
        Role.UMKM,
        acting="admin",
        umkm_nib=nib,
        email=f"{DEMO_OWNER}@contoh.id",
    )
    for username in DEMO_LOGINS:
        set_password(engine.db, username, DEMO_PASSWORD, acting="admin", now=now)


class _Mover:
    """Moves one application forward along weighted random triggers until 'now'."""

    def __init__(self, engine: Engine, clock: _Clock, rng: random.Random, end: datetime):
        self.engine, self.clock, self.rng, self.end = engine, clock, rng, end
        self.transitions = self.refused = self.opened = 0
        with reading(engine.db).connect() as conn:  # the office's few users, read once
            self.usernames = dict(conn.execute(select(USERS.c.id, USERS.c.username)).all())

    def move(self, app_id: int, nib: str) -> None:
        engine = self.engine
        while True:
            with reading(engine.db).connect() as conn:
                app = engine.application(conn, app_id)
            definition = engine.definition_of(app)
            state = definition.states[app.state]
            if state.phase is not Phase.PIPELINE or self.rng.random() < 0.015:
                return
            self.clock.now += timedelta(days=self.rng.expovariate(1 / _MEAN_DAYS[state.court]))
            if self.clock.now >= self.end:
                self.clock.now = self.end
                return
            rules = definition.transitions_from(app.state)
            weights = [_TRIGGER_WEIGHT.get(r.trigger, 1.0) for r in rules]
            if not any(weights):
                return
            rule = self.rng.choices(rules, weights)[0]
            self._fire(app_id, nib, rule, app.assignee_id)

    def _fire(self, app_id: int, nib: str, rule: Transition, assignee_id: int | None) -> None:
        engine = self.engine
        consultant = self.usernames.get(assignee_id) if assignee_id is not None else None
        actor = consultant if Role.CONSULTANT in rule.roles and consultant else "admin"
        fields = self._fields(rule)
        if any(spec.name == "application_number" for spec in rule.fields):
            # DJKI's number on the filing receipt; not drawn from rng, so the demo stays the same
            fields["application_number"] = f"JID{self.engine.today().year}{app_id:06d}"
        try:
            result = engine.advance(app_id, rule.trigger, actor, fields=fields)
        except GuardRefused as refusal:
            self.refused += 1
            self._answer(app_id, nib, rule, refusal, actor)
            return
        except SertiflowError:
            self.refused += 1
            return
        self._followed(result, nib)

    def _followed(self, result: TransitionResult, nib: str) -> None:
        """Count a transition that happened, and move the application it opened, if any."""
        self.transitions += 1
        if result.opened_application_id is not None:
            self.opened += 1
            self.move(result.opened_application_id, nib)

    def _answer(
        self, app_id: int, nib: str, rule: Transition, refusal: GuardRefused, actor: str
    ) -> None:
        """What the consultant does after a refusal: collect the documents, or redirect."""
        if any("self-declare" in reason for reason in refusal.reasons):
            try:
                result = self.engine.advance(
                    app_id, "redirect_to_regular", actor, note="tidak memenuhi syarat self-declare"
                )
            except ConflictError:  # a regular application is already open for this UMKM
                self.refused += 1
                self.engine.advance(app_id, "cancel", actor, note="sudah ada permohonan reguler")
                self.transitions += 1
                return
            self._followed(result, nib)
            return
        today = self.engine.today()
        for kind in rule.requires:
            expires = EVIDENCE_KINDS[kind].expires
            add_evidence(
                self.engine.db,
                nib,
                kind,
                f"{kind}-{nib}.pdf",
                valid_until=date(today.year + 1, 12, 31) if expires else None,
                acting=actor,
                now=self.clock.now,
                application_id=_scoped(kind, app_id),
                signed_on=today if EVIDENCE_KINDS[kind].signed_in_year_of else None,
                today=today,
            )
        if "trademark" in " ".join(refusal.reasons):
            add_evidence(
                self.engine.db,
                nib,
                "trademark_licence",
                f"lisensi-{nib}.pdf",
                valid_until=date(today.year + 2, 12, 31),
                acting=actor,
                now=self.clock.now,
                application_id=_scoped("trademark_licence", app_id),
            )

    def _fields(self, rule: Transition) -> dict[str, str]:
        today = self.engine.today().isoformat()
        fields = {}
        for spec in rule.fields:
            if spec.name == "certificate_number":
                number = self.rng.randrange(10**9)
                if spec.example.startswith("IDM"):  # DJKI registration number
                    fields[spec.name] = f"IDM{number:09d}"
                elif spec.example.startswith("ID"):  # halal certificate number
                    fields[spec.name] = f"ID{number:014d}"
                else:  # an LSPro's SPPT SNI number
                    fields[spec.name] = f"LSPRO-{number % 10000:04d}/SPPT/{today[:4]}"
            elif spec.name == "expires_on":
                fields[spec.name] = f"{int(today[:4]) + 10}{today[4:]}"
            elif spec.kind == "date":
                fields[spec.name] = today
        return fields


_LINES = {line.product: line for line in LINES}


def _scoped(kind: str, app_id: int) -> int | None:
    """The application a document of ``kind`` is added for: none for the business's own
    documents, else ``app_id`` (its own, or the mark or brand it is about)."""
    return None if EVIDENCE_KINDS[kind].scope is Scope.UMKM else app_id


_FOOD_SERVICE_PREFIX = {"56101": "Restoran", "56102": "Rumah Makan", "56210": "Katering"}


def _profile(
    rng: random.Random, record: UmkmRecord
) -> tuple[list[ProductFacts], list[MaterialFacts], list[str]]:
    """The products, materials and process steps of ``record``'s line of business."""
    line = _LINES[record.products]
    brand = f"{record.products.upper()} {record.owner_name.split()[0].upper()}"  # its first mark
    category, kbli = _PRODUCT_CLASS.get(record.products, ("Pangan olahan", ""))
    products = [
        ProductFacts(
            f"{record.products} {variant}".strip(),
            f"{record.products}, {size}",
            brand,
            category,
            line.kbli or kbli,
        )
        for variant, size in rng.sample(line.variants, rng.randint(1, len(line.variants)))
    ]
    materials = [_material(*m) for m in line.materials]
    return products, materials, list(line.steps)


_PRODUCT_CLASS = {  # KBLI 2020 (BPS): the kelompok of each product; doubtful ones say so
    "Sagu lempeng": ("Roti dan kue", "10710"),  # industri produk roti dan kue (doubtful: a
    # baked sago bread; 10629, other starch products, would also do)
    "Tepung sagu": ("Tepung dan pati", "10622"),  # industri berbagai macam pati palma
    "Ikan asap": ("Produk perikanan olahan", "10212"),  # pengasapan/pemanggangan ikan
    "Kopi rempah": ("Kopi, teh dan minuman herbal", "10761"),  # industri pengolahan kopi
    "Minyak kayu putih": ("Minyak atsiri", "20294"),  # industri minyak atsiri
    "Abon ikan tuna": ("Produk perikanan olahan", "10219"),  # pengolahan dan pengawetan
    # lainnya untuk ikan (doubtful: the residual class; abon has none of its own)
    "Keripik pisang": ("Makanan ringan", "10794"),  # kerupuk, keripik, peyek dan sejenisnya
    "Bagea": ("Roti dan kue", "10710"),  # industri produk roti dan kue (a dry sago cake)
    "Sambal roa": ("Bumbu dan saus", "10772"),  # bumbu masak dan penyedap masakan (doubtful:
    # 10779, other cooking products, may be the one OSS gives)
    "Manisan pala": ("Manisan buah", "10733"),  # manisan buah-buahan dan sayuran kering
    "Sari buah pala": ("Minuman sari buah", "10330"),  # pengolahan sari buah dan sayuran
    "Kerajinan mutiara": ("Perhiasan", "32115"),  # industri perhiasan mutiara
    "Tenun ikat Tanimbar": ("Kain tenun", "13122"),  # industri kain tenun ikat
}
"""A line's product category and KBLI 2020 code (restaurants, eating houses and caterers take
their line's own, golongan pokok 56)."""


def _material(name: str, category: str, supplier: str, evidence: str) -> MaterialFacts:
    """A catalogue material; "SH <number>" evidence is a halal certificate, given a number and a
    validity date (the demo's certificates run to the end of 2029)."""
    if not evidence.startswith("SH "):
        return MaterialFacts(name, category, supplier, evidence)
    number = evidence.removeprefix("SH ")
    return MaterialFacts(name, category, supplier, "Sertifikat halal", number, date(2029, 12, 31))


def _marks(rng: random.Random, record: UmkmRecord) -> list[str]:
    """The marks a business registers: one, or for about one in six, two or three."""
    owner = record.owner_name.split()
    marks = [f"{record.products.upper()} {owner[0].upper()}"]
    if rng.random() < 1 / 6:
        marks.append(f"{owner[-1].upper()} {record.products.split()[0].upper()}")
        if rng.random() < 0.5:
            marks.append(f"{owner[0].upper()} {rng.choice(_MARK_WORDS)}")
    return marks


_MARK_WORDS = ("RASA MALUKU", "NUSA INA", "SIWALIMA", "PULAU RATU", "LEIHITU")


def _file_part(mark: str) -> str:
    """A short, stable file-name part for ``mark``."""
    return "-".join(mark.lower().split())


def _details(rng: random.Random, process: str, record: UmkmRecord, mark: str) -> dict[str, str]:
    """The details an application of ``process`` for ``record`` is opened with; ``mark`` is the
    trademark filed, or the brand of an SNI-certified product."""
    line = _LINES[record.products]
    if process.startswith("halal"):
        return {
            "penyelia_halal": record.owner_name,
            "lph": "LPH LPPOM MUI Provinsi Maluku",
            "pendamping": f"{rng.choice(_GIVEN)} {rng.choice(_SURNAMES)}",
            "lp3h": "LP3H Universitas Pattimura",
        }
    if process == "trademark":
        file_part = _file_part(mark)
        return {
            "mark_name": mark,
            "mark_type": "kombinasi",
            "nice_classes": line.nice_class,
            "goods": f"{record.products}; produk khas Maluku",
            "mark_description": f"Tulisan {mark} huruf tebal warna biru laut dengan gambar daun "
            "sagu hijau",
            "label_file": f"label-{record.nib}-{file_part}.jpg",
        }
    assert line.sni is not None  # only a product with a standard goes through SNI
    number, title = line.sni
    return {
        "sni_number": number,
        "sni_title": title,
        "lspro": "LSPro Baristand Industri Ambon",
        "factory_address": f"Bangunan produksi, {record.address}",
        "product_type": record.products,
        "brand": mark,
    }
