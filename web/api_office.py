"""The JSON API's office-wide routes: the backlog figures (admins), a packet's PDF (whoever
may open its application) and the verification of a packet's code (public, rate-limited as the
verification page is). Mounted with ``web.api``'s routes by ``web.api.create_api``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.responses import Response

from documents.store import read_intact, store_from_settings
from documents.verify import is_code, verify_code
from web.api_access import Caller, actor_of, denied, known_query, problem, refusal, responses
from web.api_models import (
    BacklogFigures,
    DwellFigure,
    GroupFigure,
    StateFigure,
    Verification,
)
from web.app import web_of
from web.auth import client_of
from web.security import LOG, count_attempts, note_attempt
from web.status import packet_of
from workflow.backlog import DwellRow, compute_backlog
from workflow.errors import NotFound, NotPermitted
from workflow.ledger import SELECT_APP
from workflow.permissions import require_admin, require_for_application
from workflow.persistence.database import reading

__all__ = ["PROCESS", "router"]

PROCESS = r"^[a-z0-9_]{1,40}$"
"""What a process key looks like (a query parameter's pattern)."""
_CODE = r"^[0-9A-Za-z -]{1,40}$"
_PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}

router = APIRouter(dependencies=[Depends(known_query)])


# --------------------------------------------------------------------------- backlog


@router.get(
    "/backlog",
    response_model=BacklogFigures,
    responses=responses(401, 403, 422),
    summary="The backlog figures (admins)",
)
def backlog(
    request: Request,
    user: Caller,
    process: Annotated[str | None, Query(pattern=PROCESS)] = None,
) -> BacklogFigures | Response:
    """What ``sertiflow backlog`` and the admin dashboard show: open and overdue totals, per
    state, process, consultant and regency, age buckets, dwell per stage, whose court."""
    web = web_of(request)
    try:
        require_admin(actor_of(user), "read the backlog figures")
    except NotPermitted as error:
        return denied(request, user, 403, str(error), str(error))
    known = list(web.workflow.registry.keys())
    if process is not None and process not in known:
        why = f"unknown process {process!r}; one of: {', '.join(known)}"
        return refusal("unknown process", [why])
    with reading(web.db).connect() as conn:
        figures = compute_backlog(
            conn,
            web.workflow.registry,
            web.now(),
            web.today(),
            process,
            web.settings.policy,
            web.settings.delivery.sni_surveillance_months,
        )
    heaviest = figures.heaviest_stage

    def dwell(row: DwellRow) -> DwellFigure:
        return DwellFigure(**asdict(row), held_days=row.held_days)

    return BacklogFigures(
        as_of=figures.as_of,
        today=figures.today,
        open=figures.open_total,
        overdue=figures.overdue_total,
        overdue_law=figures.overdue_law_total,
        overdue_target=figures.overdue_target_total,
        age_buckets=figures.age_buckets,
        by_state=[StateFigure(**asdict(s)) for s in figures.by_state],
        by_process=[GroupFigure(**asdict(g)) for g in figures.by_process],
        by_consultant=[GroupFigure(**asdict(g)) for g in figures.by_consultant],
        by_regency=[GroupFigure(**asdict(g)) for g in figures.by_regency],
        dwell=[dwell(d) for d in figures.dwell],
        heaviest_stage=None if heaviest is None else dwell(heaviest),
        waiting_days_by_court=figures.waiting_by_court,
    )


# --------------------------------------------------------------------------- packets


@router.get(
    "/packets/{code}",
    response_class=Response,
    responses={
        200: {"content": _PDF, "description": "The packet's PDF."},
        **responses(401, 404, 422),
    },
    summary="Download a packet (PDF)",
)
def packet(request: Request, user: Caller, code: Annotated[str, Path(pattern=_CODE)]) -> Response:
    """The PDF issued under ``code``, for whoever may open its application (404 otherwise,
    as for a code never issued)."""
    web = web_of(request)
    found = None
    if is_code(code):
        with reading(web.db).connect() as conn:
            found = packet_of(conn, code.strip().upper())
            if found is not None:
                app = conn.execute(SELECT_APP, {"id": found["application_id"]}).one()
                try:
                    require_for_application(actor_of(user), app, "download a packet of")
                except NotPermitted as error:
                    return denied(request, user, 404, str(error), f"no packet {code}")
    if found is None:
        return denied(request, user, 404, "no such packet", f"no packet {code}")
    try:
        data = read_intact(store_from_settings(web.settings), found["content_hash"])
    except NotFound as error:
        return denied(request, user, 404, str(error), f"no packet {code}")
    name = f"paket-{found['application_id']}-{found['state'].lower()}-{found['code']}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --------------------------------------------------------------------------- verification


@router.get(
    "/verifications/{code}",
    response_model=Verification,
    responses={
        404: {"model": Verification, "description": "Not a code this office issued."},
        **responses(422, 429),
    },
    summary="Verify a packet's code (public)",
)
def verification(
    request: Request, code: Annotated[str, Path(pattern=_CODE)]
) -> Verification | Response:
    """What the signed record of ``code`` says: the application, stage and date it was issued
    for, or that it is unknown or its record was tampered with. No token needed; lookups are
    counted per address as on the verification page."""
    web = web_of(request)
    client = client_of(request)
    now = web.now()
    seen = count_attempts(web.db, "verify", now - web.limits.lookup_window, client=client)
    if seen >= web.limits.lookups_per_client:
        LOG.warning("denied: API verification lookups throttled for %s (%d)", client, seen)
        response = problem(429, "too many lookups from this address; try again later")
        response.headers["Retry-After"] = str(int(web.limits.lookup_window.total_seconds()))
        return response
    note_attempt(web.db, "verify", client, now)
    verdict = verify_code(web.db, web.secret, code)
    if verdict.status == "record_tampered":
        LOG.warning("verification: the record of %s does not match its signature", code)
    body = Verification(**asdict(verdict))
    if verdict.status == "unknown":
        return JSONResponse(body.model_dump(mode="json"), status_code=404)
    return body
