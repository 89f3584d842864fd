"""The permission matrix: every role (an admin, the consultant assigned to the business's
applications, a consultant who is not, the business's UMKM user, another business's UMKM user,
and anonymous) against every page route and every API route the app registers, on SQLite and
PostgreSQL.

``app.routes`` (with the mounted API's own routes) is enumerated, so a route added without an
entry in ``CASES`` fails ``test_every_route_has_an_entry_in_the_matrix``. A role in a case's
``allowed`` must get one of its ``ok`` statuses; any other role must be refused (401, 403, 404,
or sent to the login, its own status page or the home page). 0 leaks: no refused response, and
no response at all to a role with no right to the business (besides a capability link's),
carries the business's name or NIB.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from documents import shared_renderer
from documents.packets import PacketService
from documents.store import store_from_settings
from tests.support import Office
from tests.web_support import (
    OTHER_OWNER,
    PASSWORD,
    WebOffice,
    csrf_of,
    log_in,
    seed_web_office,
    web_client,
)
from web.workspace import evidence_reference
from workflow.accounts import set_password
from workflow.api_tokens import issue_token
from workflow.directory import add_evidence

ADMIN, ASSIGNED, UNASSIGNED, OWNER, OTHER, ANONYMOUS = (
    "admin",
    "rina",
    "yosef",
    "ana",
    OTHER_OWNER,
    "anonymous",
)
ROLES = (ADMIN, ASSIGNED, UNASSIGNED, OWNER, OTHER, ANONYMOUS)
ALL = frozenset(ROLES)
STAFF = frozenset({ADMIN, ASSIGNED, UNASSIGNED})
SIGNED_IN = ALL - {ANONYMOUS}
ENTITLED = frozenset({ADMIN, ASSIGNED, OWNER})
"""Who may see the first business's applications (Sagu Ibu Ana, NIB 8120000000001)."""
MARKERS = ("sagu ibu ana", "8120000000001")
DENIED = (401, 403, 404)
SENT_AWAY = ("/masuk", "/saya", "/")


@dataclass(frozen=True)
class Case:
    """One route as the matrix asks it: the request (placeholders ``{app}``, ``{tm}``,
    ``{code}``, ``{link}``, ``{hash}`` filled per office), who is allowed and what they get."""

    path: str
    allowed: frozenset[str]
    ok: tuple[int, ...] = (200,)
    form: dict[str, str] | None = None  # a page's POST (its CSRF token added)
    body: dict[str, object] | None = None  # an API POST's JSON
    capability: bool = False  # the path itself grants access (a signed status link)
    last: bool = False  # ends the session: asked after every other case
    extra: dict[str, str] = field(default_factory=dict)


NOT_A_FORM = {"nothing": "here"}
CASES: dict[str, Case] = {
    # --- public pages
    "GET /": Case("/", ALL, (200, 303)),
    "GET /healthz": Case("/healthz", ALL),
    "GET /favicon.ico": Case("/favicon.ico", ALL, (301,)),
    "GET /static": Case("/static/site.css", ALL),
    "GET /masuk": Case("/masuk", ALL, (200, 303)),
    "POST /masuk": Case(
        "/masuk", ALL, (200, 303, 400, 401), form={"username": "x", "password": "wrong-one-1"}
    ),
    "POST /keluar": Case("/keluar", ALL, (303,), form={}, last=True),
    "GET /verifikasi": Case("/verifikasi", ALL),
    "GET /verifikasi/{code}": Case("/verifikasi/{code}", ALL),
    "POST /verifikasi": Case("/verifikasi", ALL, (400,), form={}),
    # --- the UMKM's status page: the signed link is the capability
    "GET /status/{token}": Case("/status/{link}", ALL, capability=True),
    "GET /status/{token}/paket/{code}": Case("/status/{link}/paket/{code}", ALL, capability=True),
    "GET /saya": Case("/saya", frozenset({OWNER, OTHER})),
    "GET /paket/{code}": Case("/paket/{code}", ENTITLED),
    # --- the consultant workspace
    "GET /kerja": Case("/kerja", STAFF),
    "GET /antrian": Case("/antrian", STAFF),
    "GET /aplikasi": Case("/aplikasi", STAFF, (303,)),
    "GET /aplikasi/{app_id}": Case("/aplikasi/{app}", ENTITLED, (200, 303)),
    "POST /aplikasi/{app_id}/maju": Case(
        "/aplikasi/{app}/maju", frozenset({ADMIN, ASSIGNED}), (400,), form={"trigger": "cancel"}
    ),
    "POST /aplikasi/{app_id}/bukti": Case(
        "/aplikasi/{app}/bukti", frozenset({ADMIN, ASSIGNED}), (400,), form={}
    ),
    "GET /aplikasi/{app_id}/bukti/{content_hash}": Case(
        "/aplikasi/{app}/bukti/{hash}", frozenset({ADMIN, ASSIGNED})
    ),
    "GET /aplikasi/{app_id}/paket": Case("/aplikasi/{tm}/paket", frozenset({ADMIN, ASSIGNED})),
    "GET /pemberitahuan": Case("/pemberitahuan", STAFF),
    "POST /pemberitahuan/baca": Case("/pemberitahuan/baca", STAFF, (303,), form={}),
    # --- the admin dashboard
    "GET /admin": Case("/admin", frozenset({ADMIN})),
    "GET /admin/backlog.csv": Case("/admin/backlog.csv", frozenset({ADMIN})),
    "GET /admin/backlog.pdf": Case("/admin/backlog.pdf", frozenset({ADMIN})),
    "GET /admin/office": Case("/admin/office", frozenset({ADMIN})),
    "POST /admin/office": Case("/admin/office", frozenset({ADMIN}), (400,), form=NOT_A_FORM),
    "GET /admin/audit": Case("/admin/audit?app={app}", frozenset({ADMIN})),
    "GET /admin/users": Case("/admin/users", frozenset({ADMIN})),
    "POST /admin/users": Case("/admin/users", frozenset({ADMIN}), (400,), form=NOT_A_FORM),
    "POST /admin/users/{username}/active": Case(
        "/admin/users/yosef/active", frozenset({ADMIN}), (400,), form=NOT_A_FORM
    ),
    "GET /admin/reassign": Case("/admin/reassign", frozenset({ADMIN})),
    "POST /admin/reassign": Case("/admin/reassign", frozenset({ADMIN}), (400,), form=NOT_A_FORM),
    "GET /admin/outbox": Case("/admin/outbox", frozenset({ADMIN})),
    "POST /admin/outbox/retry": Case(
        "/admin/outbox/retry", frozenset({ADMIN}), (400,), form=NOT_A_FORM
    ),
    "GET /admin/import": Case("/admin/import", frozenset({ADMIN})),
    "POST /admin/import": Case("/admin/import", frozenset({ADMIN}), (400,), form=NOT_A_FORM),
    "POST /admin/import/confirm": Case(  # no import of that id: 404 to the admin
        "/admin/import/confirm", frozenset({ADMIN}), (400, 404), form=NOT_A_FORM
    ),
    # --- the JSON API (bearer tokens)
    "GET /api/v1/openapi.json": Case("/api/v1/openapi.json", ALL),
    "GET /api/v1/applications": Case("/api/v1/applications", SIGNED_IN),
    "GET /api/v1/applications/{app_id}": Case("/api/v1/applications/{app}", ENTITLED),
    "POST /api/v1/applications/{app_id}/transitions": Case(
        "/api/v1/applications/{app}/transitions",
        ENTITLED,
        (409,),  # a stale version: the permission is checked, nothing moves
        body={"trigger": "cancel", "expected_version": 0},
    ),
    "GET /api/v1/backlog": Case("/api/v1/backlog", frozenset({ADMIN})),
    "GET /api/v1/packets/{code}": Case("/api/v1/packets/{code}", ENTITLED),
    "GET /api/v1/verifications/{code}": Case("/api/v1/verifications/{code}", ALL),
}


def registered(app: FastAPI) -> Iterator[str]:
    """``METHOD /path`` of every route of ``app`` and of the apps mounted in it (a static
    files mount as ``GET /prefix``)."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            if isinstance(route.app, FastAPI):
                yield from (
                    f"{key.split(' ')[0]} {route.path}{key.split(' ')[1]}"
                    for key in registered(route.app)
                )
            else:
                yield f"GET {route.path}"
            continue
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                yield f"{method} {context.path}"


@pytest.fixture
def web(office: Office, tmp_path: Path) -> WebOffice:
    web = seed_web_office(office, tmp_path / "packets")
    set_password(office.db, UNASSIGNED, PASSWORD, acting=office.admin, now=office.clock())
    service = PacketService(
        office.db, web.settings, renderer=shared_renderer(), today=office.workflow.today
    )
    web.packet = service.issue(web.trademark_app)
    return web


def test_every_route_has_an_entry_in_the_matrix(web: WebOffice) -> None:
    routes = set(registered(web.app()))
    assert routes - set(CASES) == set(), "routes without an entry in the permission matrix"
    assert set(CASES) - routes == set(), "entries for routes the app no longer has"


def _stored_document(web: WebOffice) -> str:
    """A file uploaded to the first business's dossier: its hash."""
    data = b"%PDF-1.4\n% a scanned NIB\n%%EOF\n"
    content_hash = store_from_settings(web.settings).write(data)
    office = web.office
    add_evidence(
        office.db,
        office.nib,
        "nib",
        evidence_reference("nib.pdf", content_hash),
        valid_until=None,
        acting=office.admin,
        now=office.clock(),
    )
    return content_hash


def _leaks(content: bytes) -> list[str]:
    text = content.decode("utf-8", errors="replace").lower()
    return [marker for marker in MARKERS if marker in text]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_it_may_and_nothing_leaks(web: WebOffice, role: str) -> None:
    assert web.packet is not None
    values = {
        "app": str(web.trademark_app),
        "tm": str(web.trademark_app),
        "code": web.packet.code,
        "link": web.link().removeprefix("/status/"),
        "hash": _stored_document(web),
    }
    client: TestClient = web_client(web.app())
    headers: dict[str, str] = {}
    if role != ANONYMOUS:
        assert log_in(client, role) == 303
        token = issue_token(web.office.db, role, acting=ADMIN, now=web.office.clock()).token
        headers = {"Authorization": f"Bearer {token}"}
    problems: list[str] = []
    for key, case in sorted(CASES.items(), key=lambda item: item[1].last):
        method = key.split(" ")[0]
        path = case.path.format(**values)
        api = path.startswith("/api/")
        if method == "GET":
            response = client.get(path, headers=headers if api else None)
        elif api:
            response = client.post(path, json=case.body, headers=headers)
        else:
            form = dict(case.form or {})
            form["csrf_token"] = csrf_of(client.get("/verifikasi").text)
            response = client.post(path, data=form)
        status = response.status_code
        where = response.headers.get("location", "")
        if role in case.allowed:
            if status not in case.ok:
                problems.append(f"{role} {key}: {status} {where}, expected {case.ok}")
        else:
            sent_to = where.partition("?lanjut=")[0]  # the login keeps the page asked for
            refused = status in DENIED or (status == 303 and sent_to in SENT_AWAY)
            if not refused:
                problems.append(f"{role} {key}: {status} {where}, expected a refusal")
            if _leaks(response.content):
                problems.append(f"{role} {key}: the refusal shows {_leaks(response.content)}")
        if role not in ENTITLED and not case.capability and _leaks(response.content):
            problems.append(f"{role} {key}: shows {_leaks(response.content)}")
    assert problems == []
