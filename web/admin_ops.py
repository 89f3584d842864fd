"""The admin's operations pages: failed deliveries with a retry button, and the registry
import.

- **Outbox**: the failed rows (``workflow.deliveries.list_rows``) and a retry per row or for all,
  which is ``workflow.deliveries.retry``, what ``sertiflow outbox retry`` does: back to pending with
  fresh attempts, for the relay to send again.
- **Import**: the uploaded CSV or XLSX is checked first (``workflow.umkm_import``, what
  ``sertiflow import --dry-run`` does) and its row-by-row error report shown; the file waits in
  ``storage_dir/imports`` under its SHA-256 until the admin confirms, then is imported in one
  transaction and journalled with the admin (``record_import``), as ``sertiflow import --as``.
  An upload is at most ``Limits.upload_bytes`` (and the import's own limits).
"""

from __future__ import annotations

import hashlib
import re
import time
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from web.admin_access import admin_of, admin_posting, error_status
from web.app import Web, web_of
from web.auth import client_of, refuse_csrf
from web.forms import BodyTooLarge, FormRefused, read_form
from web.security import LOG
from workflow import journal
from workflow.deliveries import FAILED, list_rows, retry, status_counts
from workflow.directory import UpsertCounts, record_import
from workflow.errors import SertiflowError
from workflow.permissions import acting_user, require_admin
from workflow.umkm_import import ImportLimits, ImportReport, import_registry

__all__ = ["router"]

router = APIRouter()
SUFFIXES = (".csv", ".xlsx")
_STAGED = re.compile(r"^[0-9a-f]{64}\.(csv|xlsx)$")
_KEEP_SECONDS = 24 * 3600  # a checked file nobody confirmed is removed after a day


# Failed deliveries ------------------------------------------------------------------------------


def _outbox_page(request: Request, *, status: int = 200, problem: str | None = None) -> Response:

    web = web_of(request)
    return web.page(
        request,
        "admin/outbox.html.j2",
        status=status,
        private=True,
        counts=status_counts(web.db),
        failed=list_rows(web.db, status=FAILED, limit=200),
        problem=problem,
        retried=request.query_params.get("retried", "")[:10],
    )


@router.get("/outbox")
def outbox(request: Request) -> Response:
    """Deliveries by status, and the failed ones with their last error and a retry button."""
    admin = admin_of(request)
    if isinstance(admin, Response):
        return admin
    return _outbox_page(request)


@router.post("/outbox/retry")
async def outbox_retry(request: Request) -> Response:
    """Retry one failed delivery (``id``) or every failed one (``all=1``)."""
    posted = await admin_posting(request, "retry deliveries")
    if isinstance(posted, Response):
        return posted
    admin, form = posted
    web = web_of(request)
    chosen = form.get("id")
    ids: list[int] | None = None
    if form.get("all") != "1":
        if not isinstance(chosen, str) or not chosen.isdigit() or not 0 < int(chosen) < 2**63:
            return await run_in_threadpool(
                lambda: _outbox_page(
                    request, status=400, problem="say which delivery to retry (its number)"
                )
            )
        ids = [int(chosen)]

    try:
        retried = await run_in_threadpool(retry, web.db, ids, web.now())
    except SertiflowError as refused:
        status, problem = error_status(refused), str(refused)
        return await run_in_threadpool(
            partial(_outbox_page, request, status=status, problem=problem)
        )
    LOG.info("outbox retry by %s: %s", admin.username, ", ".join(map(str, retried)) or "none")
    return RedirectResponse(f"/admin/outbox?retried={len(retried)}", status_code=303)


# Registry import --------------------------------------------------------------------------------


def _staging(web: Web) -> Path:
    folder = Path(web.settings.storage_dir) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_old(folder: Path) -> None:
    cutoff = time.time() - _KEEP_SECONDS
    for staged in folder.iterdir():
        if _STAGED.match(staged.name) and staged.stat().st_mtime < cutoff:
            staged.unlink(missing_ok=True)


def _import_page(
    request: Request,
    *,
    status: int = 200,
    problem: str | None = None,
    report: ImportReport | None = None,
    staged: str = "",
    name: str = "",
    imported: bool = False,
) -> Response:
    web = web_of(request)
    return web.page(
        request,
        "admin/import.html.j2",
        status=status,
        private=True,
        problem=problem,
        report=report,
        staged=staged,
        name=name,
        imported=imported,
        max_mb=web.limits.upload_bytes // (1024 * 1024),
    )


@router.get("/import")
def import_form(request: Request) -> Response:
    """The upload box for a UMKM registry (CSV or XLSX)."""
    admin = admin_of(request)
    if isinstance(admin, Response):
        return admin
    return _import_page(request)


def _plain_name(filename: str | None) -> str:
    """The uploaded file's own name, without folders or control characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable())[:80]


def _dry_run(path: Path) -> ImportReport:
    return import_registry(None, path, None, limits=ImportLimits.from_env())


@router.post("/import")
async def import_check(request: Request) -> Response:
    """Check an uploaded registry row by row, writing nothing; keep it for the confirmation.
    Only an admin's upload is read at all (then its CSRF token is checked, as on every
    form)."""
    web = web_of(request)
    admin = await run_in_threadpool(admin_of, request, "import registries")
    if isinstance(admin, Response):
        return admin
    try:
        form = await read_form(request, web.limits.upload_bytes + 64 * 1024, files=1)
    except BodyTooLarge:
        LOG.warning("denied: registry upload over the limit from %s", client_of(request))
        return _import_page(request, status=413, problem="too_large")
    except FormRefused:
        return _import_page(request, status=400, problem="no_file")
    if not web.csrf_ok(request, form.get("csrf_token")):
        return refuse_csrf(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return _import_page(request, status=400, problem="no_file")
    data = await upload.read(web.limits.upload_bytes + 1)
    await upload.close()
    name = _plain_name(upload.filename)
    suffix = Path(name).suffix.lower()
    if len(data) > web.limits.upload_bytes:
        return _import_page(request, status=413, problem="too_large")
    if not data:
        return _import_page(request, status=400, problem="no_file")
    if suffix not in SUFFIXES:
        LOG.warning("denied: registry upload %r from %s", name, client_of(request))
        return _import_page(request, status=415, problem="wrong_type", name=name)
    staged = f"{hashlib.sha256(data).hexdigest()}{suffix}"
    folder = await run_in_threadpool(_staging, web)
    await run_in_threadpool(_forget_old, folder)
    path = folder / staged
    await run_in_threadpool(path.write_bytes, data)
    del data
    try:
        report = await run_in_threadpool(_dry_run, path)
    except SertiflowError as refused:  # the file as a whole: format, limits, columns
        path.unlink(missing_ok=True)
        return _import_page(request, status=400, problem=str(refused), name=name)
    LOG.info("registry %r checked by %s: %d rows", name, admin.username, report.total_rows)
    return _import_page(request, report=report, staged=staged, name=name)


def _import(web: Web, admin: str, path: Path, name: str, skip_invalid: bool) -> ImportReport:
    now = web.now()
    with journal.writing(web.db) as conn:  # one transaction: all rows, or none
        actor = acting_user(conn, admin)
        require_admin(actor, "import registries")
        report = import_registry(
            conn, path, now, skip_invalid=skip_invalid, limits=ImportLimits.from_env()
        )
        if report.written:
            record_import(conn, actor, name, UpsertCounts(report.created, report.updated), now)
    return report


@router.post("/import/confirm")
async def import_confirm(request: Request) -> Response:
    """Import the checked file (the valid rows only, with ``skip_invalid=1``)."""
    posted = await admin_posting(request, "import registries")
    if isinstance(posted, Response):
        return posted
    admin, form = posted
    web = web_of(request)
    staged = form.get("staged")
    name = _plain_name(str(form.get("name") or "")) or "registry"
    path = _staging(web) / str(staged)
    if not isinstance(staged, str) or not _STAGED.match(staged) or not path.is_file():
        return _import_page(request, status=404, problem="gone")
    skip_invalid = form.get("skip_invalid") == "1"
    details: dict[str, Any] = {"staged": staged, "name": name}
    try:
        report = await run_in_threadpool(_import, web, admin.username, path, name, skip_invalid)
    except SertiflowError as refused:
        return _import_page(request, status=error_status(refused), problem=str(refused), **details)
    if not report.written:
        return _import_page(request, status=400, problem="bad_rows", report=report, **details)
    path.unlink(missing_ok=True)
    LOG.info(
        "registry %r imported by %s: %d created, %d updated",
        name,
        admin.username,
        report.created,
        report.updated,
    )
    return _import_page(request, report=report, name=name, imported=True)
