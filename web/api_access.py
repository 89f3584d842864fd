"""Who calls the JSON API, and the answers that refuse them.

A caller is known by a bearer token (``Authorization: Bearer sf_...``, issued by
``sertiflow user token``); the API reads no cookie, so it needs no CSRF token either. A missing,
unknown or revoked token, or one of a deactivated user, gets 401 with ``WWW-Authenticate:
Bearer``. Every refusal is logged to ``web.security.LOG`` with the user, the address and the
reason, as the pages log theirs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from web.api_models import Conflict, Problem, Refusal
from web.app import web_of
from web.auth import client_of
from web.security import LOG
from workflow.accounts import Login
from workflow.api_tokens import token_user
from workflow.ledger import Actor

__all__ = [
    "Caller",
    "actor_of",
    "caller",
    "conflict",
    "denied",
    "known_query",
    "problem",
    "refusal",
    "responses",
]

_bearer = HTTPBearer(
    auto_error=False,
    description="A user's API token: `sertiflow user token USERNAME --as ADMIN` prints one.",
)
_MODELS: dict[int, tuple[type[Any], str]] = {
    400: (Problem, "The body could not be read at all (not UTF-8 JSON)."),
    401: (Problem, "No valid bearer token (missing, unknown, revoked, or a deactivated user)."),
    403: (Problem, "The caller's role, or relation to the application, does not allow it."),
    404: (Problem, "No such thing, or one the caller may not see (the same answer)."),
    409: (
        Conflict,
        "The application changed since the caller read it, or is not in a state "
        "that allows the trigger: its current version and state.",
    ),
    422: (Refusal, "Refused: a guard's reasons, or what is wrong with the values sent."),
    429: (Problem, "Too many lookups from this address lately; wait Retry-After seconds."),
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI description of the refusals ``codes`` a route may answer."""
    return {code: {"model": _MODELS[code][0], "description": _MODELS[code][1]} for code in codes}


def _log(request: Request, who: str, why: str) -> None:
    LOG.warning(
        "denied: API %s %s for %s from %s: %s",
        request.method,
        request.url.path,
        who,
        client_of(request),
        why,
    )


async def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Login:
    """The user whose live bearer token the request carries; else 401 (logged)."""
    web = web_of(request)
    token = credentials.credentials if credentials is not None else None
    user = await run_in_threadpool(token_user, web.db, token, web.now())
    if user is None:
        _log(request, "anonymous", "no bearer token" if token is None else "bad bearer token")
        raise HTTPException(
            401,
            "a valid bearer token is needed: 'Authorization: Bearer TOKEN'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


def _query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for inner in dependant.dependencies:
        names |= _query_names(inner)
    return names


async def known_query(request: Request) -> None:
    """Refuse (422) a query parameter the route does not take: a misspelt filter must not
    silently list everything."""
    route = request.scope.get("route")
    taken = _query_names(route.dependant) if isinstance(route, APIRoute) else set()
    unknown = sorted(set(request.query_params) - taken)
    if unknown:
        raise RequestValidationError(
            [
                {"loc": ("query", name), "msg": "not a parameter of this route", "type": "extra"}
                for name in unknown
            ]
        )


Caller = Annotated[Login, Depends(caller)]
"""A route's parameter for the authenticated caller."""


def actor_of(user: Login) -> Actor:
    """The engine's actor for the caller."""
    return Actor(user.user_id, user.username, user.role, user.umkm_id)


def problem(status: int, detail: str) -> JSONResponse:
    """A refusal's body: ``{"detail": ...}``."""
    return JSONResponse(Problem(detail=detail).model_dump(mode="json"), status_code=status)


def denied(request: Request, user: Login | None, status: int, why: str, shown: str) -> JSONResponse:
    """A refusal logged with who was refused and ``why``; the caller reads ``shown`` only
    (a 404 must not say that the thing exists)."""
    _log(request, user.username if user else "anonymous", why)
    return problem(status, shown)


def refusal(detail: str, reasons: list[str]) -> JSONResponse:
    """422 with the reasons."""
    body = Refusal(detail=detail, reasons=reasons)
    return JSONResponse(body.model_dump(mode="json"), status_code=422)


def conflict(detail: str, version: int, state: str) -> JSONResponse:
    """409 with the application's current version and state."""
    body = Conflict(detail=detail, version=version, state=state)
    return JSONResponse(body.model_dump(mode="json"), status_code=409)
