"""Who may use the consultant workspace, and the refusals it logs.

The workspace is for consultants and admins: anyone signed out goes to the login, a UMKM user
to its own status page (``/saya``), and a UMKM user posting a workspace form is refused. Which
applications a consultant or admin may open or move is the engine's rule
(``workflow.permissions``), asked by the pages themselves. Every refusal is logged to
``web.security.LOG`` with the user, the address and the reason.
"""

from __future__ import annotations

from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from web.app import Web
from web.auth import client_of, refuse_csrf
from web.forms import BodyTooLarge, FormRefused, read_form
from web.login_return import to_login
from web.security import LOG
from web.sessions import SignedIn
from workflow.ledger import Actor
from workflow.model import Role

__all__ = ["actor_of", "app_id_of", "refused", "staff_form", "staff_of", "text_of"]


def staff_of(web: Web, request: Request) -> SignedIn | Response:
    """The signed-in consultant or admin; else the login (signed out) or the business's own
    status page (a UMKM user)."""
    user = web.signed_in(request)
    if user is None:
        return to_login(request)
    if user.role is Role.UMKM:
        return RedirectResponse("/saya", status_code=303)
    return user


def actor_of(user: SignedIn) -> Actor:
    """The engine's actor for the signed-in user."""
    return Actor(user.user_id, user.username, user.role, user.umkm_id)


def app_id_of(text: str) -> int | None:
    """An application id from a path: digits, within the database's integers; else None."""
    if not text.isdigit() or len(text) > 9:
        return None
    return int(text) or None


def refused(web: Web, request: Request, status: int, why: str, user: SignedIn | None) -> Response:
    """The error page for a refusal, logged with who was refused and why."""
    LOG.warning(
        "denied: %s %s for %s from %s: %s",
        request.method,
        request.url.path,
        user.username if user else "anonymous",
        client_of(request),
        why,
    )
    return web.page(request, "workspace/refused.html.j2", status=status, code=status, private=True)


async def staff_form(
    web: Web, request: Request, app_id: str, limit: int, files: int = 0
) -> tuple[SignedIn, int, FormData] | Response:
    """The form a signed-in consultant or admin posts about application ``app_id`` (at most
    ``limit`` bytes, ``files`` file parts), its CSRF token checked; else the refusal."""
    user = web.signed_in(request)
    if user is None:
        return to_login(request)
    number = app_id_of(app_id)
    if number is None:
        return refused(web, request, 404, "not an application id", user)
    if user.role is Role.UMKM:
        return refused(web, request, 403, "a UMKM user has no workspace", user)
    try:
        form = await read_form(request, limit, files=files)
    except BodyTooLarge:
        return refused(web, request, 413, f"form over {limit} bytes", user)
    except FormRefused as error:
        return refused(web, request, 400, f"malformed form: {error}", user)
    if not web.csrf_ok(request, form.get("csrf_token")):
        return refuse_csrf(request)
    return user, number, form


def text_of(form: FormData, name: str) -> str:
    """A text field of ``form`` ("" when missing or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""
