"""The HTTP interface: server-rendered pages (FastAPI, Jinja2 templates in ``templates/web/``,
one stylesheet, no script) served by uvicorn through ``sertiflow serve``.

Contract: may import ``workflow`` and ``documents``; neither imports it. It validates what a
browser sends and calls the engine's own functions (status links, queries, permissions,
verification, passwords); it decides no rule itself. Built so far: login and logout with
sessions, CSRF tokens and throttling; the UMKM status page (signed link or login) with its
packets; the public verification page. ``create_app(settings)`` builds the ASGI app;
``app_from_env`` is uvicorn's factory.
"""

from __future__ import annotations

from web.app import Web, app_from_env, create_app
from web.security import Limits

__all__ = ["Limits", "Web", "app_from_env", "create_app"]
