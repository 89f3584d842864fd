"""The application page, rendered for a consultant or admin after a GET or after a form they
posted (a step refused, a file refused), with what went wrong and what they had typed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from web.app import Web
from web.i18n import local_time
from web.sessions import SignedIn
from web.workspace import application_page
from web.workspace_access import actor_of, refused
from workflow.errors import NotFound, NotPermitted
from workflow.evidence import EVIDENCE_KINDS
from workflow.persistence.database import reading

__all__ = ["render_application"]


def render_application(
    web: Web,
    request: Request,
    user: SignedIn,
    app_id: int,
    *,
    status: int = 200,
    problem: str | None = None,
    reasons: tuple[str, ...] = (),
    kind: str = "",
    notice: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    """Application ``app_id``'s page for ``user``, with the outcome of what they just tried
    (``problem`` in the engine's words, of ``kind`` ``refused``, ``conflict`` or ``input``, with
    the guards' ``reasons``; or a ``notice`` that a step was recorded) and
    the values they sent (``form``) kept in the form; refused (404, 403) and logged when the
    engine does not let them see it."""
    lang = web.lang(request)
    try:
        with reading(web.db).connect() as conn:
            view = application_page(web.workflow, conn, actor_of(user), app_id, lang)
    except NotFound as error:
        return refused(web, request, 404, str(error), user)
    except NotPermitted as error:
        return refused(web, request, 403, str(error), user)
    zone = web.settings.policy.timezone
    summary = view.summary
    definition = web.workflow.registry.get(summary.process_key, summary.process_version)
    wanted = [k for t in definition.transitions_from(summary.state) for k in t.requires]
    kinds = sorted(  # what the steps from here require first, in their order; then the rest
        EVIDENCE_KINDS.values(),
        key=lambda k: (
            wanted.index(k.key) if k.key in wanted else len(wanted),
            k.name_en if lang == "en" else k.name,
        ),
    )
    return web.page(
        request,
        "workspace/application.html.j2",
        status=status,
        private=True,
        view=view,
        problem=problem,
        reasons=reasons,
        kind=kind,
        notice=notice,
        sent=form or {},
        kinds=kinds,
        max_mb=web.limits.upload_bytes // (1024 * 1024),
        entered=local_time(view.summary.state_entered_at, zone, lang),
        times={e.seq: local_time(e.at, zone, lang) for e in view.timeline},
    )
