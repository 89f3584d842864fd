"""The public verification page: ``/verifikasi/CODE`` (what a packet's QR code opens) says
what ``sertiflow doc verify CODE`` says, from the signed record only; the upload box checks a
PDF the same way ``doc verify FILE`` does.

The upload is at most ``Limits.upload_bytes``, must be declared ``application/pdf`` and start
like a PDF, is read into memory, checked and dropped: never stored, never served back. Lookups
and uploads count against ``Limits.lookups_per_client`` per address (429 beyond).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from documents.verify import Verdict, is_code, verify_code, verify_pdf
from web.app import Web, web_of
from web.auth import client_of, refuse_csrf
from web.forms import BodyTooLarge, FormRefused, read_form
from web.security import LOG, count_attempts, note_attempt

__all__ = ["router"]

router = APIRouter()
_PDF_TYPES = ("application/pdf", "application/x-pdf")


def _throttled(web: Web, request: Request) -> Response | None:
    """The 429 page when the client has looked up too much lately; else counts this lookup."""
    client = client_of(request)
    now = web.now()
    seen = count_attempts(web.db, "verify", now - web.limits.lookup_window, client=client)
    if seen >= web.limits.lookups_per_client:
        LOG.warning("denied: verification lookups throttled for %s (%d)", client, seen)
        response = _form(web, request, status=429, problem="throttled")
        response.headers["Retry-After"] = str(int(web.limits.lookup_window.total_seconds()))
        return response
    note_attempt(web.db, "verify", client, now)
    return None


def _form(
    web: Web,
    request: Request,
    *,
    status: int = 200,
    problem: str | None = None,
    verdict: Verdict | None = None,
    subject: str = "",
) -> Response:
    return web.page(
        request,
        "verify.html.j2",
        status=status,
        problem=problem,
        verdict=verdict,
        subject=subject,
        max_mb=web.limits.upload_bytes // (1024 * 1024),
    )


@router.get("/verifikasi")
def verify_form(request: Request, code: str | None = None) -> Response:
    """The verification page; ``?code=`` (its form) goes to the code's own address."""
    web = web_of(request)
    if code is not None and code.strip():
        if is_code(code):
            return RedirectResponse(f"/verifikasi/{code.strip().upper()}", status_code=303)
        return _form(web, request, status=400, problem="not_a_code", subject=code[:40])
    return _form(web, request)


@router.get("/verifikasi/{code}")
def verify_by_code(request: Request, code: str) -> Response:
    """What was issued under ``code``: the signed record's application, stage and date."""
    web = web_of(request)
    refused = _throttled(web, request)
    if refused is not None:
        return refused
    if not is_code(code):
        return _form(web, request, status=404, problem="not_a_code", subject=code[:40])
    verdict = verify_code(web.db, web.secret, code)
    if verdict.status == "record_tampered":
        LOG.warning("verification: the record of %s does not match its signature", code)
    status = 404 if verdict.status == "unknown" else 200
    return _form(web, request, status=status, verdict=verdict, subject=code.strip().upper())


@router.post("/verifikasi")
async def verify_upload(request: Request) -> Response:
    """Check an uploaded PDF against what this office issued."""
    web = web_of(request)
    try:
        form = await read_form(request, web.limits.upload_bytes + 64 * 1024, files=1)
    except BodyTooLarge:
        LOG.warning("denied: verification upload over the limit from %s", client_of(request))
        return _form(web, request, status=413, problem="too_large")
    except FormRefused:
        return _form(web, request, status=400, problem="not_a_pdf")
    if not web.csrf_ok(request, form.get("csrf_token")):
        return refuse_csrf(request)
    refused = await run_in_threadpool(_throttled, web, request)
    if refused is not None:
        return refused
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return _form(web, request, status=400, problem="no_file")
    data = await upload.read(web.limits.upload_bytes + 1)
    await upload.close()
    declared = (upload.content_type or "").partition(";")[0].strip().lower()
    if len(data) > web.limits.upload_bytes:
        LOG.warning("denied: verification upload over the limit from %s", client_of(request))
        return _form(web, request, status=413, problem="too_large")
    if not data:
        return _form(web, request, status=400, problem="no_file")
    if declared not in _PDF_TYPES or not data.startswith(b"%PDF-"):
        LOG.warning(
            "denied: verification upload of %r (%d bytes) from %s is not a PDF",
            declared,
            len(data),
            client_of(request),
        )
        return _form(web, request, status=415, problem="not_a_pdf")
    verdict = await run_in_threadpool(verify_pdf, web.db, web.secret, data)
    del data
    name = (upload.filename or "").rsplit("/", 1)[-1][:80]
    return _form(web, request, verdict=verdict, subject=name)
