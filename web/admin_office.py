"""The office profile form: the letterhead and signatory the letters print (what
``sertiflow office show`` lists and ``office set`` changes).

Each field holds the value stored in the profile; a key never set shows the settings' value
(or an example) as its placeholder, so sending the form unchanged writes nothing. The values
go to ``workflow.office.set_office`` with the acting admin, which checks every one (NIP, email,
postcode, phone), writes all or none and journals each change; its refusal is shown as it
words it.
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from web.admin_access import admin_of, admin_posting, error_status
from web.app import web_of
from web.security import LOG
from workflow.errors import SertiflowError
from workflow.office import OFFICE_KEYS, format_nip, profile_entries, set_office, stored_profile
from workflow.persistence.database import reading

__all__ = ["router"]

router = APIRouter()


def _office_page(
    request: Request,
    *,
    status: int = 200,
    problem: str | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    web = web_of(request)
    with reading(web.db).connect() as conn:
        entries = profile_entries(conn, web.settings)
        stored = stored_profile(conn)
    values = typed if typed is not None else stored
    if typed is None and "signatory_nip" in values:
        values = {**values, "signatory_nip": format_nip(values["signatory_nip"])}
    return web.page(
        request,
        "admin/office.html.j2",
        status=status,
        private=True,
        entries=entries,
        examples={key: item.example for key, item in OFFICE_KEYS.items()},
        values=values,
        problem=problem,
        saved=request.query_params.get("saved", "")[:4],
    )


@router.get("/office")
def office_form(request: Request) -> Response:
    """The profile's keys, each with its value, where it comes from and who set it."""
    admin = admin_of(request)
    if isinstance(admin, Response):
        return admin
    return _office_page(request)


@router.post("/office")
async def office_save(request: Request) -> Response:
    """Set the keys whose value changed (an emptied field clears its key)."""
    posted = await admin_posting(request, "change the office profile")
    if isinstance(posted, Response):
        return posted
    admin, form = posted
    web = web_of(request)
    typed = {key: str(form.get(key) or "")[:400] for key in OFFICE_KEYS if key in form}
    try:
        changed = await run_in_threadpool(
            partial(set_office, web.db, typed, acting=admin.username, now=web.now())
        )
    except SertiflowError as refused:
        status, problem = error_status(refused), str(refused)
        page = partial(_office_page, request, status=status, problem=problem, typed=typed)
        return await run_in_threadpool(page)
    LOG.info("office profile: %s set by %s", ", ".join(changed) or "nothing", admin.username)
    return RedirectResponse(f"/admin/office?saved={len(changed)}", status_code=303)
