"""Logging in and out, and the signed-in home page.

A login is refused, without checking the password, once the username has had
``Limits.login_failures_per_user`` failures, or the client address
``Limits.login_failures_per_client``, within ``Limits.login_window``; the page says how long to
wait. Every failure, throttle and refused token is logged (``web.security.LOG``).
"""

from __future__ import annotations

import math
import secrets

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from web.app import web_of
from web.forms import BodyTooLarge, FormRefused, read_form
from web.login_return import NEXT_FIELD, safe_next, to_login
from web.security import LOG, count_attempts, forget_failures, note_attempt
from web.sessions import end_session, start_session
from workflow.accounts import MAX_PASSWORD, check_password
from workflow.model import Role

__all__ = ["client_of", "refuse_csrf", "router"]

router = APIRouter()
_FORM_BYTES = 8 * 1024


def client_of(request: Request) -> str:
    """The client's address (behind a proxy, uvicorn's ``--proxy-headers`` sets it)."""
    return request.client.host if request.client else "unknown"


def refuse_csrf(request: Request) -> Response:
    """403 for a form posted without a valid CSRF token; logged."""
    LOG.warning(
        "denied: CSRF token missing or invalid on %s %s from %s",
        request.method,
        request.url.path,
        client_of(request),
    )
    return web_of(request).page(request, "error.html.j2", status=403, code=403)


async def _posted_form(request: Request) -> FormData | Response:
    """The small form ``request`` posts with this browser's CSRF token; else the refusal (400
    for a form too large or malformed, 403 without a valid token)."""
    try:
        form = await read_form(request, _FORM_BYTES)
    except (BodyTooLarge, FormRefused):
        return web_of(request).page(request, "error.html.j2", status=400, code=400)
    if not web_of(request).csrf_ok(request, form.get("csrf_token")):
        return refuse_csrf(request)
    return form


@router.get("/")
def home(request: Request) -> Response:
    """A UMKM user's own status page; a consultant's or admin's start page; else the login."""
    web = web_of(request)
    user = web.signed_in(request)
    if user is None:
        return to_login(request)
    if user.role is Role.UMKM:
        return RedirectResponse("/saya", status_code=303)
    return web.page(request, "home.html.j2", private=True)


@router.get("/masuk")
def login_form(request: Request) -> Response:
    """The login page."""
    web = web_of(request)
    wanted = safe_next(request.query_params.get(NEXT_FIELD))
    if web.signed_in(request) is not None:
        return RedirectResponse(wanted, status_code=303)
    return web.page(
        request, "login.html.j2", error=None, username="", wait_minutes=0, next_path=wanted
    )


@router.post("/masuk")
async def login(request: Request) -> Response:
    """Check the username and password; on success a new session (and a new CSRF cookie)."""
    web = web_of(request)
    form = await _posted_form(request)
    if isinstance(form, Response):
        return form
    username = str(form.get("username") or "").strip().lower()[:64]
    wanted = safe_next(form.get(NEXT_FIELD))
    password = str(form.get("password") or "")
    client = client_of(request)
    now = web.now()
    since = now - web.limits.login_window
    # The attempt counts against itself before the password is checked: a burst of guesses
    # sent at once each sees the others, instead of all seeing the count from before it.
    await run_in_threadpool(note_attempt, web.db, "login", client, now, username or "-")
    failures = await run_in_threadpool(
        count_attempts, web.db, "login", since, username=username or "-"
    )
    from_client = await run_in_threadpool(count_attempts, web.db, "login", since, client=client)
    if (
        failures > web.limits.login_failures_per_user
        or from_client > web.limits.login_failures_per_client
    ):
        LOG.warning(
            "denied: login throttled for user %r from %s (%d attempts for the user, %d from "
            "the address in %s)",
            username,
            client,
            failures,
            from_client,
            web.limits.login_window,
        )
        minutes = math.ceil(web.limits.login_window.total_seconds() / 60)
        response = web.page(
            request,
            "login.html.j2",
            status=429,
            error="throttled",
            username=username,
            wait_minutes=minutes,
            next_path=wanted,
        )
        response.headers["Retry-After"] = str(minutes * 60)
        return response
    login = None
    if username and password and len(password) <= MAX_PASSWORD:
        login = await run_in_threadpool(check_password, web.db, username, password)
    if login is None:
        LOG.warning("denied: failed login for user %r from %s", username, client)
        return web.page(
            request,
            "login.html.j2",
            status=401,
            error="wrong",
            username=username,
            wait_minutes=0,
            next_path=wanted,
        )
    await run_in_threadpool(forget_failures, web.db, username)  # this attempt's row too
    old = request.cookies.get(web.session_cookie)
    await run_in_threadpool(end_session, web.db, old)  # a planted session never becomes ours
    token = await run_in_threadpool(start_session, web.db, login, now, web.limits)
    LOG.info("login: %s (%s) from %s", login.username, login.role.value, client)
    signed_in = RedirectResponse(wanted, status_code=303)
    web.set_cookie(signed_in, web.session_cookie, token, web.limits.session_hours * 3600)
    web.set_cookie(signed_in, web.csrf_cookie, secrets.token_urlsafe(32), None)
    return signed_in


@router.post("/keluar")
async def logout(request: Request) -> Response:
    """End the session: its row is deleted and the cookie cleared."""
    web = web_of(request)
    form = await _posted_form(request)
    if isinstance(form, Response):
        return form
    user = web.signed_in(request)
    await run_in_threadpool(end_session, web.db, request.cookies.get(web.session_cookie))
    if user is not None:
        LOG.info("logout: %s", user.username)
    response = RedirectResponse("/masuk", status_code=303)
    response.delete_cookie(
        web.session_cookie, path="/", secure=web.secure, httponly=True, samesite="lax"
    )
    return response
