"""Who may open the admin dashboard, and the forms its pages post.

Every admin page asks ``admin_of`` first: nobody signed in is sent to the login page, and a
signed-in user the engine's ``require_admin`` refuses gets 403; both are logged
(``web.security.LOG``). A form is read by ``posted_form``: bounded in size, its CSRF token
checked before anything else.
"""

from __future__ import annotations

from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from web.app import Web, web_of
from web.auth import client_of, refuse_csrf
from web.forms import BodyTooLarge, FormRefused, read_form
from web.security import LOG
from web.sessions import SignedIn
from workflow.errors import ConflictError, NotFound, NotPermitted, SertiflowError
from workflow.permissions import acting_user, require_admin
from workflow.persistence.database import reading

__all__ = ["admin_of", "admin_posting", "error_status", "posted_form", "refused_page"]

FORM_BYTES = 16 * 1024


def _check_admin(web: Web, username: str, what: str) -> str | None:
    """Why the engine refuses ``username`` ``what``; None when it allows it."""
    try:
        with reading(web.db).connect() as conn:
            require_admin(acting_user(conn, username), what)
    except (NotPermitted, NotFound) as refused:
        return str(refused)
    return None


def refused_page(request: Request, why: str) -> Response:
    """403 for a signed-in user who is not an admin; logged with the engine's reason."""
    web = web_of(request)
    LOG.warning(
        "denied: %s %s from %s: %s", request.method, request.url.path, client_of(request), why
    )
    return web.page(request, "admin/refused.html.j2", status=403, private=True)


def admin_of(request: Request, what: str = "use the admin dashboard") -> SignedIn | Response:
    """The signed-in admin making ``request``; else the response refusing it (a redirect to
    the login page, or 403)."""
    web = web_of(request)
    user = web.signed_in(request)
    if user is None:
        LOG.warning(
            "denied: %s %s from %s: not signed in",
            request.method,
            request.url.path,
            client_of(request),
        )
        return RedirectResponse("/masuk", status_code=303)
    why = _check_admin(web, user.username, what)
    if why is not None:
        return refused_page(request, why)
    return user


async def admin_posting(
    request: Request, what: str, *, limit: int = FORM_BYTES
) -> tuple[SignedIn, FormData] | Response:
    """The admin and the form ``request`` posts (CSRF token checked first); else the
    refusal."""
    form = await posted_form(request, limit)
    if isinstance(form, Response):
        return form
    admin = await run_in_threadpool(admin_of, request, what)
    if isinstance(admin, Response):
        return admin
    return admin, form


async def posted_form(request: Request, limit: int = FORM_BYTES) -> FormData | Response:
    """The small form ``request`` posts with a valid CSRF token; else 400 (too large,
    malformed) or 403 (no valid token, logged)."""
    web = web_of(request)
    try:
        form = await read_form(request, limit)
    except (BodyTooLarge, FormRefused):
        return web.page(request, "error.html.j2", status=400, code=400)
    if not web.csrf_ok(request, form.get("csrf_token")):
        return refuse_csrf(request)
    return form


def error_status(error: SertiflowError) -> int:
    """The HTTP status of an engine's refusal: 404 for something missing, 403 for a rule,
    409 for a conflict, else 400 (bad input)."""
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, NotPermitted):
        return 403
    if isinstance(error, ConflictError):
        return 409
    return 400
