"""The UMKM's status page: from the signed, expiring link in its status email (no password),
or signed in as the business's UMKM user; and the packets it may download.

A link is checked by ``workflow.status_link`` with the office's secret key: a forged or altered
one gets 403, an expired one 410, each page telling the owner to ask the PLUT office for a new
link. A packet is handed out only to its own business (a status link's, or a signed-in user the
engine's ``require_for_application`` allows); any other code is answered 404, as if it did not
exist, and logged.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from starlette.requests import Request
from starlette.responses import Response

from documents.store import read_intact, store_from_settings
from documents.verify import is_code
from web.app import Web, web_of
from web.auth import client_of
from web.i18n import local_time
from web.login_return import to_login
from web.security import LOG
from web.status import business_status, packet_of
from workflow.errors import InvalidInput, NotFound, NotPermitted
from workflow.ledger import SELECT_APP
from workflow.model import Role
from workflow.permissions import acting_user, require_for_application
from workflow.persistence.database import reading
from workflow.status_link import read_status_token

__all__ = ["router"]

router = APIRouter()


def _umkm_of_link(web: Web, request: Request, token: str) -> int | Response:
    """The business the link ``token`` opens, or the page refusing it (403 forged, 410
    expired)."""
    try:
        return read_status_token(web.secret, token, web.today())
    except InvalidInput:
        pass
    try:  # signed here but past its day: expired, not forged
        read_status_token(web.secret, token, date.min)
        expired = True
    except InvalidInput:
        expired = False
    LOG.warning(
        "denied: %s status link from %s",
        "expired" if expired else "forged or damaged",
        client_of(request),
    )
    return web.page(
        request,
        "link_refused.html.j2",
        status=410 if expired else 403,
        private=True,
        expired=expired,
    )


def _status_page(web: Web, request: Request, umkm_id: int, packet_base: str) -> Response:
    lang = web.lang(request)
    try:
        with reading(web.db).connect() as conn:
            status = business_status(
                conn,
                web.workflow.registry,
                web.workflow.calendar,
                web.settings.policy.fees,
                umkm_id,
                web.today(),
                lang,
            )
    except NotFound:  # a genuine link of a business since removed
        return _missing(web, request, f"no business #{umkm_id}")
    return web.page(
        request,
        "status.html.j2",
        private=True,
        status=200,
        business=status,
        packet_base=packet_base,
        as_of=local_time(web.now(), web.settings.policy.timezone, lang),
    )


@router.get("/status/{token}")
def status_by_link(request: Request, token: str) -> Response:
    """The status page the email's link opens."""
    web = web_of(request)
    umkm = _umkm_of_link(web, request, token)
    if isinstance(umkm, Response):
        return umkm
    return _status_page(web, request, umkm, f"/status/{token}/paket")


@router.get("/saya")
def own_status(request: Request) -> Response:
    """A signed-in UMKM user's own business's status page."""
    web = web_of(request)
    user = web.signed_in(request)
    if user is None:
        return to_login(request)
    if user.role is not Role.UMKM or user.umkm_id is None:
        return RedirectResponse("/", status_code=303)
    return _status_page(web, request, user.umkm_id, "/paket")


def _pdf(web: Web, packet: dict[str, Any]) -> Response:
    data = read_intact(store_from_settings(web.settings), packet["content_hash"])
    name = f"paket-{packet['application_id']}-{packet['state'].lower()}-{packet['code']}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _missing(web: Web, request: Request, why: str) -> Response:
    LOG.warning("denied: packet %s from %s: %s", request.url.path, client_of(request), why)
    return web.page(request, "error.html.j2", status=404, code=404, private=True)


@router.get("/status/{token}/paket/{code}")
def packet_by_link(request: Request, token: str, code: str) -> Response:
    """A packet of the link's business."""
    web = web_of(request)
    umkm = _umkm_of_link(web, request, token)
    if isinstance(umkm, Response):
        return umkm
    packet = None
    if is_code(code):
        with reading(web.db).connect() as conn:
            packet = packet_of(conn, code.strip().upper())
    if packet is None or packet["umkm_id"] != umkm:
        return _missing(web, request, "no packet of the link's business")
    try:
        return _pdf(web, packet)
    except NotFound:
        return _missing(web, request, "the stored file is missing")


@router.get("/paket/{code}")
def packet_signed_in(request: Request, code: str) -> Response:
    """A packet, for a signed-in user the engine allows on its application."""
    web = web_of(request)
    user = web.signed_in(request)
    if user is None:
        return to_login(request)
    packet = None
    if is_code(code):
        with reading(web.db).connect() as conn:
            packet = packet_of(conn, code.strip().upper())
            if packet is not None:
                actor = acting_user(conn, user.username)
                app = conn.execute(SELECT_APP, {"id": packet["application_id"]}).one()
                try:
                    require_for_application(actor, app, "download a packet of")
                except NotPermitted as refused:
                    return _missing(web, request, f"{user.username}: {refused}")
    if packet is None:
        return _missing(web, request, "no such packet")
    try:
        return _pdf(web, packet)
    except NotFound:
        return _missing(web, request, "the stored file is missing")
