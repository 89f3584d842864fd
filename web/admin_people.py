"""The admin's people pages: users and consultants (list, create with a role, deactivate or
reactivate) and the bulk reassignment of a consultant's open applications to another.

Each write goes through the engine with the acting admin, as the CLI does: ``add_user`` (and
``set_password`` for a first password) like ``sertiflow user add``, ``set_user_active``, and
``Engine.reassign`` once per application like ``sertiflow app reassign``; each is journalled or
audited there. The page reports the engine's own reason when it refuses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from web.admin_access import admin_of, admin_posting, error_status
from web.admin_figures import process_titles
from web.app import Web, web_of
from web.security import LOG
from workflow.accounts import set_password
from workflow.directory import CONSULTANT_FIELDS, add_user
from workflow.errors import ConflictError, InvalidInput, SertiflowError
from workflow.ledger import USERS
from workflow.model import Phase, Role
from workflow.persistence.database import reading
from workflow.queries import ApplicationFilter, list_applications
from workflow.user_status import set_user_active

__all__ = ["MAX_REASSIGN", "router"]

router = APIRouter()
MAX_REASSIGN = 2000
"""Applications one bulk reassignment moves at most; the page says to run it again."""


def _users(web: Web) -> list[dict[str, Any]]:
    query = USERS.select().order_by(USERS.c.role, USERS.c.username)
    with reading(web.db).connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def _users_page(
    request: Request, *, status: int = 200, problem: str | None = None, **form: str
) -> Response:
    web = web_of(request)
    values = {"username": "", "full_name": "", "role": "", "field": "", "nib": "", "email": ""}
    values.update(form)
    return web.page(
        request,
        "admin/users.html.j2",
        status=status,
        private=True,
        users=_users(web),
        roles=[role.value for role in Role],
        fields=CONSULTANT_FIELDS,
        problem=problem,
        form=values,
        done=request.query_params.get("done", "")[:80],
    )


@router.get("/users")
def users(request: Request) -> Response:
    """Every user, the form to create one, and a deactivate or reactivate button each."""
    admin = admin_of(request)
    if isinstance(admin, Response):
        return admin
    return _users_page(request)


def _text(form: Any, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


@router.post("/users")
async def create_user(request: Request) -> Response:
    """Create a user with a role (and a first password, if given), as the signed-in admin."""
    posted = await admin_posting(request, "create users")
    if isinstance(posted, Response):
        return posted
    admin, form = posted
    web = web_of(request)
    values = {name: _text(form, name) for name in ("username", "full_name", "role", "field", "nib")}
    values["email"] = _text(form, "email", 320)
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    try:
        if values["role"] not in {role.value for role in Role}:
            raise InvalidInput("choose the user's role: admin, consultant or umkm")
        role = Role(values["role"])
        await run_in_threadpool(
            lambda: add_user(
                web.db,
                values["username"],
                values["full_name"],
                role,
                acting=admin.username,
                email=values["email"] or None,
                field=(values["field"] or None) if role is Role.CONSULTANT else None,
                umkm_nib=(values["nib"] or None) if role is Role.UMKM else None,
            )
        )
    except SertiflowError as refused:
        status, problem = error_status(refused), str(refused)
        return await run_in_threadpool(
            partial(_users_page, request, status=status, problem=problem, **values)
        )
    LOG.info("user %s (%s) created by %s", values["username"], role.value, admin.username)
    done = "created"
    if password:
        try:
            await run_in_threadpool(
                lambda: set_password(
                    web.db, values["username"], password, acting=admin.username, now=web.now()
                )
            )
            done = "created_with_password"
        except SertiflowError as refused:
            problem = f"user {values['username']} was created, but the password was refused: "
            problem += str(refused)
            page = partial(_users_page, request, status=400, problem=problem)
            return await run_in_threadpool(page)
    return RedirectResponse(f"/admin/users?done={done}", status_code=303)


@router.post("/users/{username}/active")
async def change_active(request: Request, username: str) -> Response:
    """Deactivate (``active=0``) or reactivate (``active=1``) a user."""
    posted = await admin_posting(request, "deactivate or reactivate users")
    if isinstance(posted, Response):
        return posted
    admin, form = posted
    web = web_of(request)
    wanted = form.get("active")
    if wanted not in ("0", "1"):
        return await run_in_threadpool(
            lambda: _users_page(request, status=400, problem="say active=1 or active=0")
        )
    active = wanted == "1"
    try:
        await run_in_threadpool(
            lambda: set_user_active(
                web.db, username[:64], active, acting=admin.username, now=web.now()
            )
        )
    except SertiflowError as refused:
        status, problem = error_status(refused), str(refused)
        return await run_in_threadpool(
            partial(_users_page, request, status=status, problem=problem)
        )
    LOG.info(
        "user %s %s by %s", username, "reactivated" if active else "deactivated", admin.username
    )
    done = "reactivated" if active else "deactivated"
    return RedirectResponse(f"/admin/users?done={done}", status_code=303)


# Bulk reassignment ------------------------------------------------------------------------------


def _consultants(web: Web) -> list[dict[str, Any]]:
    return [u for u in _users(web) if u["role"] == Role.CONSULTANT.value and u["active"]]


def _open_of(web: Web, consultant: str, process: str | None) -> list[dict[str, Any]]:
    """The open applications (in the pipeline) assigned to ``consultant``."""
    criteria = ApplicationFilter(process=process, consultant=consultant, limit=MAX_REASSIGN)
    with reading(web.db).connect() as conn:
        found = list_applications(
            conn, web.workflow.registry, criteria, web.today(), web.workflow.calendar
        )
    return [app for app in found if app["phase"] == Phase.PIPELINE.value]


def _reassign_page(
    request: Request,
    chosen: dict[str, str],
    *,
    status: int = 200,
    problem: str | None = None,
    result: Moved | None = None,
) -> Response:
    web = web_of(request)
    preview: list[dict[str, Any]] = []
    if chosen["source"] and problem is None and result is None:
        try:
            preview = _open_of(web, chosen["source"], chosen["process"] or None)
        except SertiflowError as refused:
            problem, status = str(refused), error_status(refused)
    registry = web.workflow.registry
    return web.page(
        request,
        "admin/reassign.html.j2",
        status=status,
        private=True,
        consultants=_consultants(web),
        processes=process_titles(registry, web.lang(request)),
        chosen=chosen,
        preview=preview,
        limit=MAX_REASSIGN,
        problem=problem,
        result=result,
    )


@router.get("/reassign")
def reassign_form(request: Request) -> Response:
    """Choose a consultant (and a process): lists their open applications to move."""
    admin = admin_of(request)
    if isinstance(admin, Response):
        return admin
    query = request.query_params
    chosen = {
        "source": (query.get("from") or "")[:64],
        "target": (query.get("to") or "")[:64],
        "process": (query.get("process") or "")[:40],
    }
    return _reassign_page(request, chosen)


@dataclass
class Moved:
    """What one bulk reassignment did."""

    moved: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    not_tried: int = 0
    status: int = 200


def _move_all(
    web: Web, admin: str, source: str, target: str, process: str | None, note: str
) -> Moved:
    """Reassign each open application of ``source`` to ``target``; a refusal other than a
    conflict (an application changed meanwhile) stops the rest, which would meet it too."""
    result = Moved()
    apps = _open_of(web, source, process)
    for done, app in enumerate(apps, start=1):
        try:
            web.workflow.reassign(app["id"], target, admin, note=note)
        except ConflictError as conflict:
            result.refused.append((app["id"], str(conflict)))
        except SertiflowError as refused:
            result.refused.append((app["id"], str(refused)))
            result.not_tried = len(apps) - done
            result.status = error_status(refused)
            break
        else:
            result.moved.append(app["id"])
    if result.moved or not result.refused:
        result.status = 200
    elif result.status == 200:
        result.status = 409
    return result


@router.post("/reassign")
async def reassign(request: Request) -> Response:
    """Give every open application of consultant ``from`` (of ``process``, if given) to
    ``to``, one audited reassignment each."""
    posted = await admin_posting(request, "reassign applications")
    if isinstance(posted, Response):
        return posted
    admin, form = posted
    web = web_of(request)
    chosen = {
        "source": _text(form, "from", 64),
        "target": _text(form, "to", 64),
        "process": _text(form, "process", 40),
    }
    note = _text(form, "note", 500)
    problem = None
    if not chosen["source"] or not chosen["target"]:
        problem = "choose the consultant whose applications move, and who takes them"
    elif chosen["source"] == chosen["target"]:
        problem = f"{chosen['source']} would take their own applications: choose another"
    if problem is not None:
        return await run_in_threadpool(
            lambda: _reassign_page(request, chosen, status=400, problem=problem)
        )
    try:
        result = await run_in_threadpool(
            _move_all,
            web,
            admin.username,
            chosen["source"],
            chosen["target"],
            chosen["process"] or None,
            note,
        )
    except SertiflowError as refused:
        status, problem = error_status(refused), str(refused)
        return await run_in_threadpool(
            partial(_reassign_page, request, chosen, status=status, problem=problem)
        )
    LOG.info(
        "bulk reassignment by %s: %d applications from %s to %s, %d refused",
        admin.username,
        len(result.moved),
        chosen["source"],
        chosen["target"],
        len(result.refused),
    )
    return await run_in_threadpool(
        lambda: _reassign_page(request, chosen, status=result.status, result=result)
    )
