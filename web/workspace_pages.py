"""The consultant workspace: today's work (``/kerja``), the queue with filters (``/antrian``),
an application's page (``/aplikasi/ID``) with its timeline, deadline, triggers, packets and
dossier, and the user's notifications (``/pemberitahuan``).

For consultants and admins: a UMKM user is sent to its own status page (``/saya``), anyone
signed out to the login. A consultant sees and moves only the applications assigned to them
(``workflow.permissions``); every refusal is logged (``web.security.LOG``). Moving an
application is the engine's ``advance`` with the version the page showed: a stale page gets
409 and the current state, a guard's refusal 422 with its own words. Evidence uploads are
checked by ``web.uploads`` and stored by hash in the packets' store (``web.evidence_pages``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from web import evidence_pages
from web.app import web_of
from web.auth import refuse_csrf
from web.forms import BodyTooLarge, FormRefused, read_form
from web.i18n import local_time
from web.login_return import to_login
from web.notifications import mark_read, notifications_of
from web.security import LOG
from web.sessions import SignedIn
from web.workspace import (
    consultants,
    localised,
    queue_page,
    regencies,
)
from web.workspace_access import actor_of, app_id_of, refused, staff_form, staff_of, text_of
from web.workspace_render import render_application
from workflow.agenda import SECTIONS, agenda
from workflow.errors import (
    ConflictError,
    GuardRefused,
    InvalidInput,
    NotFound,
    NotPermitted,
    SertiflowError,
    TriggerNotAllowed,
)
from workflow.ledger import SELECT_APP
from workflow.model import Role
from workflow.persistence.database import reading
from workflow.queries import COURT_NAMES, ApplicationFilter

__all__ = ["router"]

router = APIRouter()
router.include_router(evidence_pages.router)
_FORM_BYTES = 16 * 1024
_NOTE_LENGTH = 2000
_MAX_PAGE = 200
_DUE = ("overdue", "today", "week")
TODAY_PER_SECTION = 10
"""Applications each part of the day lists (nearest deadline first); the queue has the rest."""


# --------------------------------------------------------------------------- today


@router.get("/kerja")
def today_page(request: Request) -> Response:
    """The user's day: overdue first, due today, this week, later, and waiting on others."""
    web = web_of(request)
    user = staff_of(web, request)
    if isinstance(user, Response):
        return user
    lang = web.lang(request)
    with reading(web.db).connect() as conn:
        day = agenda(
            conn,
            web.workflow.registry,
            actor_of(user),
            web.today(),
            web.workflow.calendar,
            per_section=TODAY_PER_SECTION,
        )
    for entries in day.sections.values():
        localised(entries, web.workflow.registry, lang)
    return web.page(
        request,
        "workspace/today.html.j2",
        private=True,
        day=day,
        sections=SECTIONS,
        counts=day.counts(),
    )


# --------------------------------------------------------------------------- queue


def _criteria(request: Request, user: SignedIn) -> tuple[ApplicationFilter, int] | str:
    """The queue's filters and page from the query string, or what is wrong with them."""
    q = request.query_params
    due = q.get("due") or None
    if due is not None and due not in _DUE:
        return f"due {due!r}: one of {', '.join(_DUE)}"
    court = q.get("court") or None
    if court is not None and court not in COURT_NAMES:
        return f"court {court!r}: one of {', '.join(COURT_NAMES)}"
    page_text = q.get("page") or "1"
    if not page_text.isdigit() or not 1 <= int(page_text) <= _MAX_PAGE:
        return f"page {page_text[:10]!r}: a number from 1 to {_MAX_PAGE}"
    consultant = (q.get("consultant") or None) if user.role is Role.ADMIN else None
    criteria = ApplicationFilter(
        process=(q.get("process") or None),
        state=(q.get("state") or "").strip().upper()[:40] or None,
        consultant=consultant,
        regency=(q.get("regency") or "")[:40] or None,
        overdue_only=due == "overdue",
        include_closed=q.get("closed") == "1",
        due=due if due in ("today", "week") else None,
        court=court,
    )
    return criteria, int(page_text)


def _page_link(request: Request, page: int) -> str:
    params = {k: v for k, v in request.query_params.items() if k not in ("page", "lang") and v}
    params["page"] = str(page)
    return "/antrian?" + urlencode(params)


@router.get("/antrian")
def queue(request: Request) -> Response:
    """Every application the user may list, filtered by process, state, regency, whose court
    and what falls due (admins: by consultant too), nearest deadline first, in pages."""
    web = web_of(request)
    user = staff_of(web, request)
    if isinstance(user, Response):
        return user
    lang = web.lang(request)
    parsed = _criteria(request, user)
    problem = parsed if isinstance(parsed, str) else None
    criteria, page = parsed if not isinstance(parsed, str) else (ApplicationFilter(), 1)
    result = None
    with reading(web.db).connect() as conn:
        if problem is None:
            try:
                result = queue_page(
                    conn,
                    web.workflow.registry,
                    web.workflow.calendar,
                    actor_of(user),
                    criteria,
                    page,
                    web.today(),
                )
            except (InvalidInput, NotFound) as error:
                problem = str(error)
        places = regencies(conn)
        people = consultants(conn) if user.role is Role.ADMIN else []
    registry = web.workflow.registry
    processes = {d.key: (d.title_en if lang == "en" else d.title) for d in registry.all()}
    states: dict[str, str] = {}
    for d in registry.all():
        if criteria.process in (None, d.key):
            for name, st in d.states.items():
                states.setdefault(name, st.label_en if lang == "en" else st.label)
    rows = localised(list(result.rows), registry, lang) if result else []
    return web.page(
        request,
        "workspace/queue.html.j2",
        status=400 if problem else 200,
        private=True,
        problem=problem,
        rows=rows,
        page=page,
        previous_link=_page_link(request, page - 1) if page > 1 else None,
        next_link=_page_link(request, page + 1) if result and result.has_next else None,
        chosen={k: v for k, v in request.query_params.items() if k != "lang"},
        processes=processes,
        states=dict(sorted(states.items(), key=lambda s: s[1])),
        regencies=places,
        consultants=people,
        courts=COURT_NAMES,
    )


# --------------------------------------------------------------------------- one application


@router.get("/aplikasi")
def applications(request: Request) -> Response:
    """Where the daily digest's link lands: the queue (a UMKM user: its own status page)."""
    web = web_of(request)
    user = staff_of(web, request)
    if isinstance(user, Response):
        return user
    return RedirectResponse("/antrian", status_code=303)


@router.get("/aplikasi/{app_id}")
def application(request: Request, app_id: str) -> Response:
    """An application's page; the link in status and desk emails. A UMKM user is sent to its
    own status page (its own application) or refused (another's)."""
    web = web_of(request)
    user = web.signed_in(request)
    if user is None:
        return to_login(request)
    number = app_id_of(app_id)
    if number is None:
        return refused(web, request, 404, "not an application id", user)
    if user.role is Role.UMKM:
        with reading(web.db).connect() as conn:
            row = conn.execute(SELECT_APP, {"id": number}).first()
        if row is None or row.umkm_id != user.umkm_id:
            return refused(web, request, 404, "not the user's business's application", user)
        return RedirectResponse("/saya", status_code=303)
    params = request.query_params
    notice = "moved" if "moved" in params else "added" if "added" in params else None
    return render_application(web, request, user, number, notice=notice)


@router.post("/aplikasi/{app_id}/maju")
async def advance(request: Request, app_id: str) -> Response:
    """Fire the posted trigger with its note and fields, at the version the page showed."""
    web = web_of(request)
    posted = await staff_form(web, request, app_id, _FORM_BYTES)
    if isinstance(posted, Response):
        return posted
    user, number, form = posted
    trigger = text_of(form, "trigger").strip()[:60]
    note = text_of(form, "note").strip()
    version_text = text_of(form, "version")
    fields = {
        key.removeprefix("field."): value.strip()
        for key, value in form.multi_items()
        if key.startswith("field.") and isinstance(value, str) and value.strip()
    }
    sent: dict[str, Any] = {"trigger": trigger, "note": note, **fields}

    def again(status: int, problem: str, reasons: tuple[str, ...] = ()) -> Response:
        kind = {409: "conflict", 422: "refused" if reasons else "input"}.get(status, "input")
        return render_application(
            web,
            request,
            user,
            number,
            status=status,
            problem=problem,
            reasons=reasons,
            kind=kind,
            form=sent,
        )

    if not version_text.isdigit():
        return again(400, "the form lost the application's version; reload the page")
    if len(note) > _NOTE_LENGTH:
        return again(422, f"the note is longer than {_NOTE_LENGTH} characters; shorten it")
    try:
        result = await run_in_threadpool(
            web.workflow.advance,
            number,
            trigger,
            user.username,
            note=note,
            fields=fields,
            expected_version=int(version_text),
        )
    except GuardRefused as error:
        LOG.info("refused: %s on #%d by %s: %s", trigger, number, user.username, error)
        headline = str(error).split(": ", 1)[0] if error.reasons else str(error)
        return again(422, headline, tuple(error.reasons))
    except (ConflictError, TriggerNotAllowed) as error:
        return again(409, str(error))
    except NotPermitted as error:
        return refused(web, request, 403, str(error), user)
    except NotFound as error:
        return refused(web, request, 404, str(error), user)
    except SertiflowError as error:  # a field's value, a note: the engine says which
        return again(422, str(error))
    LOG.info("moved: #%d %s by %s", number, result.trigger, user.username)
    return RedirectResponse(f"/aplikasi/{number}?moved={result.trigger}", status_code=303)


# --------------------------------------------------------------------------- notifications


@router.get("/pemberitahuan")
def notifications(request: Request) -> Response:
    """The user's notifications, newest first, unread ones marked."""
    web = web_of(request)
    user = staff_of(web, request)
    if isinstance(user, Response):
        return user
    lang, zone = web.lang(request), web.settings.policy.timezone
    with reading(web.db).connect() as conn:
        items = notifications_of(conn, user.user_id)
    return web.page(
        request,
        "workspace/notifications.html.j2",
        private=True,
        items=items,
        times={n.id: local_time(n.created_at, zone, lang) for n in items},
    )


@router.post("/pemberitahuan/baca")
async def read_notifications(request: Request) -> Response:
    """Mark one notification (``id``) or all of them read."""
    web = web_of(request)
    user = staff_of(web, request)
    if isinstance(user, Response):
        return user
    try:
        form = await read_form(request, _FORM_BYTES)
    except (BodyTooLarge, FormRefused):
        return refused(web, request, 400, "malformed form", user)
    if not web.csrf_ok(request, form.get("csrf_token")):
        return refuse_csrf(request)
    which = text_of(form, "id")
    if which and not (which.isdigit() and len(which) <= 12):
        return refused(web, request, 400, f"notification id {which[:20]!r}", user)
    await run_in_threadpool(
        mark_read, web.db, user.user_id, web.now(), int(which) if which else None
    )
    return RedirectResponse("/pemberitahuan", status_code=303)
