"""An application's files in the workspace: uploading a document to the business's dossier,
downloading an uploaded one, and the current stage's packet.

An upload is read into memory (at most ``Limits.upload_bytes``), checked by its content
(``web.uploads``: PDF, JPEG or PNG), stored by its SHA-256 in the packets' store and recorded
with ``workflow.directory.add_evidence``, which puts it in its kind's scope (the business's,
the application's or its mark's) and checks who may add it, exactly as ``sertiflow dossier add
--app ID`` does. The user's right to the application is checked before the body is read. A file
is handed back only as an attachment of its checked type, never as a page.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from documents import shared_renderer
from documents.packets import PacketService
from documents.store import store_from_settings
from web.app import Web, web_of
from web.auth import refuse_csrf
from web.forms import BodyTooLarge, FormRefused, read_form
from web.security import LOG
from web.sessions import SignedIn
from web.uploads import TYPES, UploadRefused, check_upload
from web.workspace import evidence_of, evidence_reference, visible_application
from web.workspace_access import actor_of, app_id_of, refused, staff_of, text_of
from web.workspace_render import render_application
from workflow.directory import add_evidence
from workflow.errors import InvalidInput, NotFound, NotPermitted, SertiflowError
from workflow.evidence import EVIDENCE_KINDS, Scope
from workflow.ledger import UMKM
from workflow.persistence.database import reading

__all__ = ["router"]

router = APIRouter()
_FORM_SLACK = 64 * 1024  # the multipart envelope and the text fields around the file


def _allowed(web: Web, user: SignedIn, number: int, what: str) -> tuple[int, str] | str:
    """The application's business (id, NIB) if ``user`` may ``what`` it; else why not."""
    try:
        with reading(web.db).connect() as conn:
            app = visible_application(conn, actor_of(user), number, what)
            nib = conn.scalar(select(UMKM.c.nib).where(UMKM.c.id == app.umkm_id))
    except (NotFound, NotPermitted) as error:
        return str(error)
    return app.umkm_id, str(nib)


def _business_own(kind: str) -> bool:
    """Whether documents of ``kind`` are the business's own (shared by all its applications,
    so given without the application, as ``sertiflow dossier add`` takes them)."""
    known = EVIDENCE_KINDS.get(kind)
    return known is not None and known.scope is Scope.UMKM


@router.post("/aplikasi/{app_id}/bukti")
async def upload_evidence(request: Request, app_id: str) -> Response:
    """Put an uploaded document of the chosen kind into the business's dossier, in its kind's
    scope for this application."""
    web = web_of(request)
    user = staff_of(web, request)
    if isinstance(user, Response):
        umkm_user = web.signed_in(request)
        if umkm_user is not None:  # a UMKM user posting a workspace form
            return refused(web, request, 403, "a UMKM user has no workspace", umkm_user)
        return user
    number = app_id_of(app_id)
    if number is None:
        return refused(web, request, 404, "not an application id", user)
    business = _allowed(web, user, number, "add documents to")
    if isinstance(business, str):
        status = 404 if business.startswith("no application") else 403
        return refused(web, request, status, business, user)

    def again(status: int, problem: str) -> Response:
        LOG.warning("denied: upload to #%d by %s: %s", number, user.username, problem)
        return render_application(web, request, user, number, status=status, problem=problem)

    limit = web.limits.upload_bytes
    try:
        form = await read_form(request, limit + _FORM_SLACK, files=1)
    except BodyTooLarge:
        return again(413, f"the file is larger than {limit // 1048576} MB; scan it smaller")
    except FormRefused as error:
        return again(400, f"the upload form was not understood ({error}); send it again")
    if not web.csrf_ok(request, form.get("csrf_token")):
        return refuse_csrf(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return again(400, "choose a file to upload")
    data = await upload.read(limit + 1)
    await upload.close()
    try:
        checked = check_upload(data, upload.filename or "", limit)
    except UploadRefused as error:
        status = 413 if len(data) > limit else 415 if data else 400
        return again(status, str(error))
    kind = text_of(form, "kind").strip()
    until_text = text_of(form, "valid_until").strip()
    try:
        until = date.fromisoformat(until_text) if until_text else None
    except ValueError:
        return again(422, f"valid until {until_text[:20]!r}: choose a date (YYYY-MM-DD)")
    try:
        content_hash = await run_in_threadpool(store_from_settings(web.settings).write, data)
        await run_in_threadpool(
            lambda: add_evidence(
                web.db,
                business[1],
                kind,
                evidence_reference(checked.filename, content_hash),
                valid_until=until,
                acting=user.username,
                now=web.now(),
                application_id=None if _business_own(kind) else number,
            )
        )
    except NotPermitted as error:
        return refused(web, request, 403, str(error), user)
    except InvalidInput as error:
        return again(422, str(error))
    except SertiflowError as error:  # the store unreachable: say so, keep nothing half-done
        return again(503, str(error))
    LOG.info("evidence: %s added %s to #%d (%s)", user.username, kind, number, content_hash)
    return RedirectResponse(f"/aplikasi/{number}?added={kind}#dossier", status_code=303)


@router.get("/aplikasi/{app_id}/bukti/{content_hash}")
def evidence_file(request: Request, app_id: str, content_hash: str) -> Response:
    """An uploaded document that counts for the application, as an attachment of its type."""
    web = web_of(request)
    user = staff_of(web, request)
    if isinstance(user, Response):
        return user
    number = app_id_of(app_id)
    if number is None:
        return refused(web, request, 404, "not an application id", user)
    try:
        with reading(web.db).connect() as conn:
            app = visible_application(conn, actor_of(user), number, "download documents of")
            definition = web.workflow.definition_of(app)
            files = evidence_of(conn, definition, app, web.today(), "id")
    except (NotFound, NotPermitted) as error:
        return refused(web, request, 404, str(error), user)
    if not any(e.content_hash == content_hash for e in files):
        return refused(web, request, 404, "no such document of the application", user)
    data = store_from_settings(web.settings).read(content_hash)
    found = next((t for t in TYPES if data and data.startswith(t.magic)), None)
    if data is None or found is None:
        return refused(web, request, 404, "the stored file is missing or damaged", user)
    name = f"bukti-{number}-{content_hash[:12]}{found.extensions[0]}"
    return Response(
        data,
        media_type=found.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )


@router.get("/aplikasi/{app_id}/paket")
async def stage_packet(request: Request, app_id: str) -> Response:
    """The current stage's packet as a PDF: the stored one, or issued now."""
    web = web_of(request)
    user = staff_of(web, request)
    if isinstance(user, Response):
        return user
    number = app_id_of(app_id)
    if number is None:
        return refused(web, request, 404, "not an application id", user)
    business = _allowed(web, user, number, "download a packet of")
    if isinstance(business, str):
        return refused(web, request, 404, business, user)

    def issue() -> tuple[str, bytes]:
        service = PacketService(
            web.db,
            web.settings,
            renderer=shared_renderer(),
            registry=web.workflow.registry,
            today=web.today,
        )
        packet = service.issue(number, acting=user.username)
        name = f"paket-{number}-{packet.state.lower()}-{packet.code}.pdf"
        return name, service.read(packet)

    try:
        name, data = await run_in_threadpool(issue)
    except NotPermitted as error:
        return refused(web, request, 403, str(error), user)
    except (InvalidInput, NotFound) as error:  # the stage has no packet
        return refused(web, request, 404, str(error), user)
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
