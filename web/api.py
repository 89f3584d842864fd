"""The JSON API under ``/api/v1``, with its OpenAPI document at ``/api/v1/openapi.json``.

A FastAPI application of its own (``create_api``), mounted by ``web.app.create_app``, so that the
document describes the API only, never the pages. Callers present a bearer token
(``web.api_access``); no cookie is read, so no CSRF token is asked for.

Exactly the pages' permissions, asked of the engine: a UMKM user lists and opens its own
business's applications, a consultant the ones assigned to them, an admin every one; an
application the caller may not see is answered 404 like one that does not exist (and the
refusal logged). Firing a transition is the engine's ``advance`` at the version the caller read:
200 with the new state, 409 on a stale version (with the current version and state), 403 when
the caller's role may not fire the trigger, 422 with a guard's reasons. The backlog figures,
packets and verification are in ``web.api_office``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import Response

from web import api_office
from web.api_access import (
    Caller,
    actor_of,
    conflict,
    denied,
    known_query,
    refusal,
    responses,
)
from web.api_models import (
    ApplicationDetail,
    ApplicationItem,
    ApplicationList,
    Deadline,
    Packet,
    TimelineStep,
    TransitionDone,
    TransitionRequest,
    TriggerChoice,
)
from web.api_office import PROCESS
from web.app import Web, web_of
from web.security import LOG
from web.workspace import application_page, localised, queue_page, visible_application
from workflow.accounts import Login
from workflow.errors import (
    ConflictError,
    GuardRefused,
    NotFound,
    NotPermitted,
    SertiflowError,
    TriggerNotAllowed,
)
from workflow.ledger import SELECT_APP
from workflow.persistence.database import reading
from workflow.queries import ApplicationFilter

__all__ = ["MAX_ID", "create_api", "router"]

MAX_ID = 2**31 - 1
"""The largest application id (PostgreSQL's ``integer``)."""
_PER_PAGE = 50
_MAX_PAGE = 200
_STATE = r"^[A-Za-z0-9_]{1,40}$"
_REGENCY = r"^[0-9A-Za-z .'()-]{1,60}$"

AppId = Annotated[int, Path(ge=1, le=MAX_ID, description="The application's number.")]
Lang = Annotated[
    Literal["id", "en"], Query(description="Labels in Indonesian (id) or English (en).")
]

router = APIRouter(dependencies=[Depends(known_query)])


def create_api(web: Web) -> FastAPI:
    """The API application on ``web``'s database and engine, to mount at ``/api/v1``."""
    api = FastAPI(
        title="sertiflow API",
        version="1",
        summary="Certification applications of a PLUT-KUMKM office: list, open, advance.",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    api.state.web = web
    api.include_router(router)
    api.include_router(api_office.router)
    api.add_exception_handler(RequestValidationError, _invalid)

    @api.middleware("http")
    async def no_store(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return api


async def _invalid(request: Request, error: Exception) -> Response:
    """422 for values FastAPI could not read, in the API's own ``Refusal`` shape."""
    assert isinstance(error, RequestValidationError)
    reasons = [
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
        for e in error.errors()
    ]
    return refusal("the request's values are not valid", reasons)


def _unwritable(*texts: str) -> str | None:
    """Why one of ``texts`` cannot be stored (a control character, broken Unicode); None when
    all can."""
    for text in texts:
        if any((ord(c) < 32 and c not in "\n\r\t") or c == "\x7f" for c in text):
            return "control characters are not allowed"
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "the text is not valid Unicode"
    return None


# --------------------------------------------------------------------------- applications


@router.get(
    "/applications",
    response_model=ApplicationList,
    responses=responses(401, 422),
    summary="List the applications the caller may see",
)
def list_applications(
    request: Request,
    user: Caller,
    process: Annotated[str | None, Query(pattern=PROCESS)] = None,
    state: Annotated[str | None, Query(pattern=_STATE)] = None,
    regency: Annotated[str | None, Query(pattern=_REGENCY)] = None,
    overdue: bool = False,
    page: Annotated[int, Query(ge=1, le=_MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = _PER_PAGE,
    lang: Lang = "id",
) -> ApplicationList | Response:
    """Open applications, nearest deadline first, filtered by process, state, regency and
    overdue: a UMKM user's own business's, a consultant's assigned ones, every one for an
    admin."""
    web = web_of(request)
    criteria = ApplicationFilter(
        process=process,
        state=state.upper() if state else None,
        regency=regency,
        overdue_only=overdue,
    )
    try:
        with reading(web.db).connect() as conn:
            found = queue_page(
                conn,
                web.workflow.registry,
                web.workflow.calendar,
                actor_of(user),
                criteria,
                page,
                web.today(),
                per_page,
            )
    except NotPermitted as error:  # a UMKM user whose business is gone
        return denied(request, user, 403, str(error), "you may not list applications")
    except SertiflowError as error:  # an unknown process or regency
        return refusal("a filter is not valid", [str(error)])
    rows = localised(list(found.rows), web.workflow.registry, lang)
    return ApplicationList(
        items=[ApplicationItem.of(row) for row in rows],
        page=page,
        per_page=per_page,
        has_next=found.has_next,
    )


def _hidden(request: Request, user: Login, app_id: int, why: str) -> Response:
    """404 for an application the caller may not see, said as for one that does not exist."""
    return denied(request, user, 404, why, f"no application #{app_id}")


@router.get(
    "/applications/{app_id}",
    response_model=ApplicationDetail,
    responses=responses(401, 404, 422),
    summary="Open one application",
)
def open_application(
    request: Request, user: Caller, app_id: AppId, lang: Lang = "id"
) -> ApplicationDetail | Response:
    """Where the application stands, its deadline, its timeline, the triggers from its state
    (which the caller may fire, what blocks each) and its packets."""
    web = web_of(request)
    try:
        with reading(web.db).connect() as conn:
            view = application_page(web.workflow, conn, actor_of(user), app_id, lang)
    except NotPermitted as error:
        return _hidden(request, user, app_id, str(error))
    except NotFound as error:
        return _hidden(request, user, app_id, str(error))
    s = view.summary
    return ApplicationDetail(
        id=s.id,
        process=s.process_key,
        process_version=s.process_version,
        process_title=s.process_title,
        title=s.title,
        state=s.state,
        state_label=s.state_label,
        phase=s.phase,
        court=s.court,
        version=s.version,
        nib=s.nib,
        umkm_name=s.umkm_name,
        regency=s.regency,
        consultant=s.consultant,
        hint=s.hint,
        opened_at=s.opened_at,
        state_entered_at=s.state_entered_at,
        certificate_number=s.certificate_number,
        certificate_expires_on=s.certificate_expires_on,
        deadline=Deadline(**asdict(view.deadline)),
        timeline=[
            TimelineStep(
                seq=e.seq,
                at=e.at,
                trigger=e.trigger,
                label=e.label,
                from_state=e.from_state,
                to_state=e.to_state,
                actor=e.actor,
                actor_role=e.actor_role,
                source=e.source,
                note=e.note,
            )
            for e in view.timeline
        ],
        triggers=[
            TriggerChoice(
                trigger=t.trigger,
                label=t.label,
                dest=t.dest,
                permitted=t.permitted,
                roles=list(t.roles),
                fields=[f.name for f in t.fields],
                blocked_by=list(t.blocked_by),
            )
            for t in view.triggers
        ],
        packets=[
            Packet(
                code=p.code,
                state=p.state,
                lang=p.lang,
                issued_on=p.issued_on,
                pages=p.pages,
                size=p.size,
                url=f"/api/v1/packets/{p.code}",
            )
            for p in view.packets
        ],
    )


@router.post(
    "/applications/{app_id}/transitions",
    response_model=TransitionDone,
    responses=responses(400, 401, 403, 404, 409, 422),
    summary="Fire a trigger on one application",
)
def fire(
    request: Request, user: Caller, app_id: AppId, body: TransitionRequest
) -> TransitionDone | Response:
    """Fire ``trigger`` at ``expected_version`` with its ``fields`` and ``note``: 200 and the
    new state; 409 when the application moved on (its current version and state); 403 when
    the caller's role may not; 422 with a guard's reasons."""
    web = web_of(request)
    unwritable = _unwritable(body.note, *body.fields, *body.fields.values())
    if unwritable is not None:
        return refusal("the note or a field cannot be stored", [unwritable])
    actor = actor_of(user)
    try:
        with reading(web.db).connect() as conn:
            visible_application(conn, actor, app_id, "move")
    except (NotPermitted, NotFound) as error:
        return _hidden(request, user, app_id, str(error))
    try:
        result = web.workflow.advance(
            app_id,
            body.trigger,
            user.username,
            note=body.note,
            fields=body.fields,
            expected_version=body.expected_version,
        )
    except GuardRefused as error:
        LOG.info("refused: %s on #%d by %s: %s", body.trigger, app_id, user.username, error)
        return refusal(str(error), list(error.reasons))
    except (ConflictError, TriggerNotAllowed) as error:
        with reading(web.db).connect() as conn:
            now = conn.execute(SELECT_APP, {"id": app_id}).one()
        return conflict(str(error), now.version, now.state)
    except NotPermitted as error:
        return denied(request, user, 403, str(error), str(error))
    except NotFound as error:
        return _hidden(request, user, app_id, str(error))
    except SertiflowError as error:  # a field's value: the engine says which
        return refusal(str(error), [str(error)])
    LOG.info("moved: #%d %s by %s (API)", app_id, result.trigger, user.username)
    return TransitionDone(
        application_id=result.application_id,
        trigger=result.trigger,
        from_state=result.from_state,
        state=result.to_state,
        version=result.version,
        deadline=result.deadline,
        opened_application_id=result.opened_application_id,
    )
