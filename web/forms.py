"""Reading a form's body with a size limit, entirely in memory.

Starlette's own parser spools a file part above 1 MB to a temporary file; an uploaded PDF is
only checked, never kept, so here it stays in memory, and a body over the limit is refused
while it arrives (413), whatever its ``Content-Length`` claims.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from starlette.datastructures import FormData
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request

__all__ = ["BodyTooLarge", "FormRefused", "read_form"]

FIELD_BYTES = 4096  # a text field: a username, a password, a token, a code


class BodyTooLarge(Exception):
    """The request's body is larger than the form accepts."""


class FormRefused(Exception):
    """The body is not a form this page takes."""


async def _bounded(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise BodyTooLarge
        yield chunk


async def read_form(request: Request, limit: int, *, files: int = 0) -> FormData:
    """The form ``request`` posts, its body at most ``limit`` bytes, with at most ``files``
    file parts (each kept in memory); anything else is refused."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BodyTooLarge
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    stream = _bounded(request, limit)
    try:
        if kind == "application/x-www-form-urlencoded":
            return await FormParser(
                request.headers, stream, max_fields=20, max_part_size=FIELD_BYTES
            ).parse()
        if kind == "multipart/form-data":

            class InMemory(MultiPartParser):
                spool_max_size = limit + 1  # never rolls over to a file on disk

            return await InMemory(
                request.headers,
                stream,
                max_files=files,
                max_fields=20,
                max_part_size=FIELD_BYTES,
            ).parse()
    except MultiPartException as error:
        raise FormRefused(error.message) from None
    raise FormRefused(f"not a form: {kind or 'no content type'}")
