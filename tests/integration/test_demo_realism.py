"""The demo office looks like a real one: standards, materials and steps that fit each product, a
few restaurants refused self-declare, several marks for some businesses; the same seed gives the
same office, on SQLite and PostgreSQL.

The demo is built once per database (it takes seconds), and the tests only read what it holds:
the SQLite one is shared by the module's tests (pytest-xdist runs a file's tests on one worker:
--dist loadfile).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select

from sertiflow.demo import build_demo
from sertiflow.demo_catalogue import LINES
from tests.conftest import _truncate_all
from workflow.engine import Engine as Workflow
from workflow.ledger import APPLICATIONS, AUDIT, UMKM
from workflow.persistence.database import connect
from workflow.persistence.migrate import upgrade
from workflow.persistence.schema import Material, ProcessStep, Product, table
from workflow.regions import check_postcode

END = datetime(2026, 12, 2, 2, 0)
_LINE = {line.product: line for line in LINES}


def _demo(db: Engine, seed: int = 7) -> dict[str, Any]:
    upgrade(db)
    build_demo(Workflow(db, clock=lambda: END), 160, 4, 150, seed)
    with db.connect() as conn:
        umkm = [dict(r._mapping) for r in conn.execute(select(UMKM).order_by(UMKM.c.id))]
        apps = [
            dict(r._mapping) for r in conn.execute(select(APPLICATIONS).order_by(APPLICATIONS.c.id))
        ]
        refusals = [
            dict(r._mapping)
            for r in conn.execute(select(AUDIT).where(AUDIT.c.trigger == "redirect_to_regular"))
        ]
        materials = conn.execute(select(table(Material).c.umkm_id, table(Material).c.name)).all()
        submitted = conn.scalars(
            select(AUDIT.c.application_id).where(AUDIT.c.to_state == "SUBMITTED")
        ).all()
        steps = conn.execute(
            select(table(ProcessStep).c.umkm_id, table(ProcessStep).c.description)
        ).all()
        products = conn.execute(select(table(Product).c.umkm_id, table(Product).c.kbli)).all()
    return {
        "products": products,
        "umkm": umkm,
        "apps": apps,
        "redirects": refusals,
        "materials": materials,
        "steps": steps,
        "submitted": submitted,
    }


@pytest.fixture(scope="module")
def sqlite_demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo of seed 7 on a fresh SQLite file, built once for the module."""
    engine = connect(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'sertiflow.db'}")
    try:
        return _demo(engine)
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def demo_office(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The demo of seed 7 on each backend, as the ``db`` fixture gives them: a fresh SQLite
    file (the module's), then the emptied PostgreSQL database."""
    if request.param == "sqlite":
        return dict(request.getfixturevalue("sqlite_demo"))
    engine = connect(request.getfixturevalue("pg_url"))
    try:
        _truncate_all(engine)
        return _demo(engine)
    finally:
        engine.dispose()


def test_the_demo_office_is_realistic(demo_office: dict[str, Any]) -> None:
    office = demo_office
    by_id = {u["id"]: u for u in office["umkm"]}
    types = Counter(u["business_type"] for u in office["umkm"])
    assert len(types) >= 10  # a mix of lines of business
    food_service = [u for u in office["umkm"] if (u["kbli"] or "").startswith("56")]
    assert 2 <= len(food_service) <= len(office["umkm"]) // 10  # a few restaurants
    assert all(u["kind"] == "umkm" for u in food_service)
    for app in office["apps"]:
        owner = by_id[app["umkm_id"]]
        line = _LINE[owner["products"]]
        if app["process_key"] == "sni":  # the product's own standard, never another's
            assert line.sni is not None
            assert (app["details"]["sni_number"], app["details"]["sni_title"]) == line.sni
        if app["process_key"].startswith("halal"):
            assert line.halal  # no halal certificate for pearls or woven cloth
    sni_titles = {a["details"]["sni_title"] for a in office["apps"] if a["process_key"] == "sni"}
    assert len(sni_titles) >= 3
    for umkm_id, name in office["materials"]:  # no tuna in banana chips
        assert name in {m[0] for m in _LINE[by_id[umkm_id]["products"]].materials}
    for umkm_id, description in office["steps"]:
        assert description in _LINE[by_id[umkm_id]["products"]].steps
    restaurants = {u["id"] for u in food_service}
    theirs = {
        a["id"]
        for a in office["apps"]
        if a["process_key"] == "halal_self_declare" and a["umkm_id"] in restaurants
    }
    assert theirs  # restaurants try the free path, as the reported one did ...
    assert not [s for s in office["submitted"] if s in theirs]  # ... and are never let through
    assert theirs & {r["application_id"] for r in office["redirects"]}  # but sent to regular
    marks = Counter(a["umkm_id"] for a in office["apps"] if a["process_key"] == "trademark")
    several = [
        umkm_id
        for umkm_id in marks
        if len(
            {
                a["details"]["mark_name"]
                for a in office["apps"]
                if a["umkm_id"] == umkm_id and a["process_key"] == "trademark"
            }
        )
        > 1
    ]
    assert several  # some businesses register more than one mark


def test_no_demo_business_names_two_of_its_products_alike() -> None:
    """The ikrar and the application letter list products by name alone: two "Sari buah pala
    Botol" (250 ml and 1 liter) read there as one product written twice."""
    for line in LINES:
        names = [f"{line.product} {suffix}".strip() for suffix, _ in line.variants]
        assert len(set(names)) == len(names), names


def test_the_same_seed_builds_the_same_office(sqlite_demo: dict[str, Any], tmp_path: Any) -> None:
    first = sqlite_demo
    again = connect(f"sqlite:///{tmp_path / 'again.db'}")
    second = _demo(again)
    again.dispose()
    strip = ("created_at", "updated_at")
    assert [{k: v for k, v in u.items() if k not in strip} for u in first["umkm"]] == [
        {k: v for k, v in u.items() if k not in strip} for u in second["umkm"]
    ]
    assert [(a["process_key"], a["state"], a["details"]) for a in first["apps"]] == [
        (a["process_key"], a["state"], a["details"]) for a in second["apps"]
    ]


_POSTCODE_AREA = {  # Pos Indonesia's first three digits, by regency
    "8171": "971",  # Kota Ambon
    "8101": "974",  # Kepulauan Tanimbar
    "8108": "974",  # Maluku Barat Daya
    "8103": "975",  # Maluku Tengah
    "8104": "975",  # Buru
    "8106": "975",  # Seram Bagian Barat
    "8107": "975",  # Seram Bagian Timur
    "8109": "975",  # Buru Selatan
    "8102": "976",  # Maluku Tenggara
    "8105": "976",  # Kepulauan Aru
    "8172": "976",  # Kota Tual
}


def test_every_demo_business_has_its_regencys_postcode_and_every_product_a_kbli(
    demo_office: dict[str, Any],
) -> None:
    for umkm in demo_office["umkm"]:
        assert check_postcode(umkm["postcode"]) == umkm["postcode"]
        assert umkm["postcode"].startswith(_POSTCODE_AREA[umkm["regency_code"]])
    assert len({u["regency_code"] for u in demo_office["umkm"]}) == len(_POSTCODE_AREA)
    assert demo_office["products"]
    for _, kbli in demo_office["products"]:
        assert kbli is not None and len(kbli) == 5 and kbli.isdigit() and kbli[0] != "0"
