"""The ASGI application: ``create_app(settings)`` wires the database, the engine, the templates
and the defences; the routes live in ``web.auth``, ``web.status_pages`` and ``web.verify_pages``.

Pages are rendered on the server from ``templates/web/`` (Jinja2, ``autoescape=True``,
``StrictUndefined``) with one stylesheet and no script. ``sertiflow serve`` runs it under
uvicorn; ``app_from_env`` is the factory uvicorn's workers call.
"""

from __future__ import annotations

import gc
import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from anyio.to_thread import current_default_thread_limiter
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from web.i18n import filters, gettext, language_of, ngettext
from web.recent import Recent
from web.security import (
    Limits,
    RedactStatusTokens,
    SecurityHeaders,
    csrf_token,
    csrf_valid,
)
from web.sessions import SignedIn, find_session
from workflow.engine import Engine as Workflow
from workflow.engine import utcnow
from workflow.persistence.database import connect, reading
from workflow.settings import Settings, SettingsError

__all__ = [
    "TEMPLATES",
    "THREADS",
    "Web",
    "app_from_env",
    "create_app",
    "threads_from_env",
    "web_of",
]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "web"
"""The pages' templates and their stylesheet, shipped beside the documents' and emails'."""

THREADS = 4
"""Requests a worker process handles at once (the others wait their turn in arrival order).
Its pages are mostly Python holding the interpreter's lock: with more threads each request
was slower, not more of them done. Measured with 20 clients on 2 workers (``bench_web``): the
application page at 260 requests/s with 40 threads (anyio's default), 411 with 4."""


@dataclass
class Web:
    """What every request handler shares: settings, database, engine, clock, templates."""

    settings: Settings
    db: sa.Engine
    workflow: Workflow
    limits: Limits
    clock: Callable[[], datetime] = utcnow
    env: Environment = field(init=False)
    recent: Recent = field(init=False, default_factory=Recent)
    """Figures shared between requests for a while (the dashboard's backlog), with when."""

    def __post_init__(self) -> None:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
        env.filters.update(filters())
        self.env = env

    @property
    def secret(self) -> bytes:
        """The office's secret key: signs status links, packets' records and CSRF tokens."""
        return self.settings.secret_key.encode()

    @property
    def secure(self) -> bool:
        """Cookies are ``Secure`` (sent over HTTPS only) in production."""
        return self.settings.environment == "production"

    @property
    def session_cookie(self) -> str:
        """``__Host-`` in production: the browser then refuses it from any other host or path."""
        return "__Host-sertiflow_session" if self.secure else "sertiflow_session"

    @property
    def csrf_cookie(self) -> str:
        """The CSRF cookie's name (``__Host-`` in production)."""
        return "__Host-sertiflow_csrf" if self.secure else "sertiflow_csrf"

    def now(self) -> datetime:
        """Now, naive UTC."""
        return self.clock()

    def today(self) -> date:
        """The office's date now, in its time zone."""
        return self.workflow.today(self.clock())

    def signed_in(self, request: Request) -> SignedIn | None:
        """The user whose live session the request's cookie names (looked up once)."""
        if not hasattr(request.state, "signed_in"):
            token = request.cookies.get(self.session_cookie)
            request.state.signed_in = find_session(self.db, token, self.now(), self.limits)
        found: SignedIn | None = request.state.signed_in
        return found

    def lang(self, request: Request) -> str:
        """The request's language: ``?lang=``, the ``lang`` cookie, or Indonesian."""
        return language_of(request.query_params.get("lang"), request.cookies.get("lang"))

    def csrf_ok(self, request: Request, sent: Any) -> bool:
        """Whether a posted form's token matches the CSRF cookie and the session."""
        user = self.signed_in(request)
        return csrf_valid(
            self.secret,
            request.cookies.get(self.csrf_cookie),
            user.token if user else "",
            sent if isinstance(sent, str) else None,
        )

    def set_cookie(self, response: Response, name: str, value: str, max_age: int | None) -> None:
        """A cookie with the app's flags: HttpOnly, SameSite=Lax, path /, Secure in production."""
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )

    def page(
        self,
        request: Request,
        template: str,
        *,
        status: int = 200,
        private: bool = False,
        **context: Any,
    ) -> HTMLResponse:
        """Render ``template`` in the request's language, with a CSRF token for its forms (and
        a new CSRF cookie when the browser has none)."""
        lang = self.lang(request)
        user = self.signed_in(request)
        cookie = request.cookies.get(self.csrf_cookie) or secrets.token_urlsafe(32)
        html = self.env.get_template(template).render(
            lang=lang,
            other_lang="en" if lang == "id" else "id",
            path="/" + request.url.path.lstrip("/"),  # "//host/x" would link off-site
            user=user,
            office=self.settings.office_name,
            csrf_token=csrf_token(self.secret, cookie, user.token if user else ""),
            **context,
        )
        response = HTMLResponse(html, status_code=status)
        if request.cookies.get(self.csrf_cookie) != cookie:
            self.set_cookie(response, self.csrf_cookie, cookie, None)
        if request.query_params.get("lang") in ("id", "en"):  # the switch is remembered
            self.set_cookie(response, "lang", lang, 365 * 24 * 3600)
        if private:
            response.headers["Cache-Control"] = "no-store"
        return response


def web_of(request: Request) -> Web:
    """The ``Web`` of the app serving ``request``."""
    web: Web = request.app.state.web
    return web


def create_app(
    settings: Settings,
    *,
    db: sa.Engine | None = None,
    clock: Callable[[], datetime] = utcnow,
    limits: Limits | None = None,
    threads: int = THREADS,
) -> FastAPI:
    """The web app for ``settings`` (on ``db`` when the caller has an engine already), handling
    at most ``threads`` requests at once."""
    from web import admin_pages, api, auth, status_pages, verify_pages

    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactStatusTokens) for f in access.filters):
        access.addFilter(RedactStatusTokens())
    # A connection for each thread, one for the event loop's own lookups and one spare.
    engine = db or connect(settings.database_url, pool_size=threads + 2)
    workflow = Workflow(engine, policy=settings.policy, clock=clock)
    web = Web(settings, engine, workflow, limits or Limits(), clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        current_default_thread_limiter().total_tokens = threads
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="sertiflow",
        docs_url=None,  # the pages have none; the JSON API's is /api/v1/openapi.json
        redoc_url=None,
        openapi_url=None,
    )
    app.state.web = web
    app.mount("/static", StaticFiles(directory=TEMPLATES / "static"), name="static")
    app.mount("/api/v1", api.create_api(web), name="api")  # with its own OpenAPI document
    app.include_router(auth.router)
    app.include_router(status_pages.router)
    app.include_router(verify_pages.router)
    app.include_router(admin_pages.router)
    from web import workspace_pages

    app.include_router(workspace_pages.router)

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        return web.page(request, "error.html.j2", status=error.status_code, code=error.status_code)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        with reading(engine).connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return Response("ok", media_type="text/plain")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    return app


def app_from_env() -> FastAPI:
    """The app from ``SERTIFLOW_*`` settings: the factory ``uvicorn --factory`` and
    ``sertiflow serve`` call in each worker process, settled for serving."""
    app = create_app(Settings.from_env(), threads=threads_from_env(os.environ))
    settle(app.state.web)
    return app


def threads_from_env(env: Mapping[str, str]) -> int:
    """``SERTIFLOW_WEB_THREADS`` (``sertiflow serve --threads``), or ``THREADS``."""
    raw = env.get("SERTIFLOW_WEB_THREADS", "").strip()
    if not raw:
        return THREADS
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise SettingsError(
            f"SERTIFLOW_WEB_THREADS must be a whole number from 1 to 64, not {raw!r}"
        )
    return int(raw)


def settle(web: Web) -> None:
    """Compile every page's template, then leave all that start-up built (modules, compiled
    templates, catalogs, the calendar's holidays: some 180,000 objects) out of the garbage
    collector's rounds (``gc.freeze``). Each full round walked all of them, several times a
    second under load: a 50-row queue page took 7 ms to render instead of 2."""
    for name in web.env.list_templates(extensions=["j2"]):
        web.env.get_template(name)
    gc.collect()
    gc.freeze()
