"""The admin dashboard: the backlog figures as charts and tables, their CSV export, the backlog
report PDF, and any application's audit log with its chain verified.

Every figure comes from ``workflow.backlog.compute_backlog`` (what ``sertiflow backlog``
prints), the PDF from ``documents.report.render_backlog_report`` and the verdict from
``workflow.verification.verify_audit`` (what ``sertiflow audit verify --app N`` says). Admins
only (``web.admin_access``); the users, outbox, reassignment and import pages are in
``web.admin_people`` and ``web.admin_ops``, the office profile in ``web.admin_office``, all
mounted on this module's router.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from documents import shared_renderer
from documents.packets import office_from_settings
from documents.report import render_backlog_report
from web import admin_office, admin_ops, admin_people
from web.admin_access import admin_of
from web.admin_csv import csv_text
from web.admin_figures import TABLES, figures_of, process_titles, table_rows
from web.app import Web, web_of
from web.i18n import local_time
from web.security import LOG
from workflow.backlog import Backlog, compute_backlog
from workflow.errors import NotFound
from workflow.persistence.database import reading
from workflow.processes import UnknownProcess
from workflow.queries import application_detail, history
from workflow.verification import verify_audit

__all__ = ["router"]

router = APIRouter(prefix="/admin")


def _process_of(web: Web, request: Request) -> str | None:
    """The ``?process=`` filter (None: every process); an unknown key is refused with the
    registry's list of processes (``UnknownProcess``)."""
    key = request.query_params.get("process") or None
    if key is not None:
        web.workflow.registry.get(key[:40])
    return key


def _problem(request: Request, problem: str) -> Response:
    """400 naming what is wrong with the request and what to give instead."""
    return web_of(request).page(
        request, "admin/problem.html.j2", status=400, private=True, problem=problem
    )


def _backlog(web: Web, process: str | None) -> Backlog:
    """The backlog figures, computed at most every ``Limits.dashboard_seconds``
    (``web.recent``; the page says as of when): every admin's refresh would otherwise read the
    whole pipeline again."""

    def compute() -> Backlog:
        with reading(web.db).connect() as conn:
            return compute_backlog(
                conn,
                web.workflow.registry,
                now,
                web.today(),
                process,
                web.settings.policy,
                web.settings.delivery.sni_surveillance_months,
            )

    now = web.now()
    return web.recent.get(("backlog", process), now, web.limits.dashboard_age, compute)[1]


@router.get("")
def dashboard(request: Request) -> Response:
    """The backlog: totals, the bottleneck stage, charts and tables, links to the exports."""
    admin = admin_of(request)
    if isinstance(admin, Response):
        return admin
    web = web_of(request)
    lang = web.lang(request)
    try:
        process = _process_of(web, request)
    except UnknownProcess as unknown:
        return _problem(request, str(unknown))
    backlog = _backlog(web, process)
    figures = figures_of(backlog, web.workflow.registry, lang)
    return web.page(
        request,
        "admin/dashboard.html.j2",
        private=True,
        f=figures,
        process=process,
        processes=process_titles(web.workflow.registry, lang),
        tables=list(TABLES),
        as_of=local_time(backlog.as_of, web.settings.policy.timezone, lang),
        query=f"&process={process}" if process else "",
    )


@router.get("/backlog.csv")
def backlog_csv(request: Request, table: str = "stages") -> Response:
    """One table of the figures as a CSV attachment (``?table=`` one of ``TABLES``)."""
    admin = admin_of(request)
    if isinstance(admin, Response):
        return admin
    web = web_of(request)
    if table not in TABLES:
        return _problem(request, f"unknown table {table[:40]!r}; one of: {', '.join(TABLES)}")
    try:
        process = _process_of(web, request)
    except UnknownProcess as unknown:
        return _problem(request, str(unknown))
    figures = figures_of(_backlog(web, process), web.workflow.registry, web.lang(request))
    header, rows = table_rows(figures, table)
    name = f"backlog-{table}-{figures.backlog.today.isoformat()}.csv"
    return Response(
        csv_text(header, rows).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/backlog.pdf")
async def backlog_pdf(request: Request) -> Response:
    """The backlog report (``documents.report``) in the page's language, as a PDF
    attachment."""
    admin = await run_in_threadpool(admin_of, request)
    if isinstance(admin, Response):
        return admin
    web = web_of(request)
    lang = web.lang(request)
    try:
        process = _process_of(web, request)
    except UnknownProcess as unknown:
        return _problem(request, str(unknown))
    backlog = await run_in_threadpool(_backlog, web, process)
    rendered = await run_in_threadpool(
        render_backlog_report,
        shared_renderer(),
        backlog,
        office_from_settings(web.settings),
        lang,
    )
    LOG.info("backlog report (%d pages) for %s", rendered.pages, admin.username)
    name = f"backlog-{backlog.today.isoformat()}-{lang}.pdf"
    return Response(
        rendered.data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _audit(web: Web, app_id: int) -> dict[str, Any]:
    with reading(web.db).connect() as conn:  # one snapshot, as the CLI reads it
        detail = application_detail(
            conn, web.workflow.registry, app_id, web.today(), web.workflow.calendar
        )
        steps = history(conn, app_id)
        report = verify_audit(conn, web.workflow.registry, app_id, secret=web.secret)
    return {"detail": detail, "steps": steps, "report": report}


@router.get("/audit")
def audit_log(request: Request, app: str = "") -> Response:
    """``?app=N``: application N's audit log, each entry, and whether its chain holds."""
    admin = admin_of(request)
    if isinstance(admin, Response):
        return admin
    web = web_of(request)
    lang = web.lang(request)
    zone = web.settings.policy.timezone
    shown: dict[str, Any] = {
        "app": app.strip()[:20],
        "problem": None,
        "found": None,
        "when": lambda moment: local_time(moment, zone, lang),
    }
    if shown["app"]:
        text = shown["app"].lstrip("#")
        if not text.isdigit() or not 0 < int(text) < 2**63:
            shown["problem"] = f"{shown['app']!r} is not an application number: give e.g. 12"
            return web.page(request, "admin/audit.html.j2", status=400, private=True, **shown)
        try:
            shown["found"] = _audit(web, int(text))
        except NotFound as missing:
            shown["problem"] = str(missing)
            return web.page(request, "admin/audit.html.j2", status=404, private=True, **shown)
        if not shown["found"]["report"].ok:
            LOG.warning("audit of application #%s: NOT intact (%s)", text, admin.username)
    return web.page(request, "admin/audit.html.j2", private=True, **shown)


router.include_router(admin_people.router)
router.include_router(admin_ops.router)
router.include_router(admin_office.router)
