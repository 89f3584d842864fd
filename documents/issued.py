"""A packet's documents: those of this packet laid out for it, the rest reused while unchanged.

A halal application's product list, materials list, process flow and SJPH manual read the same in
the packet that prepares the application and in the one that submits it; a trademark's filing
data sheet is the same at preparation, filing and a formality correction. Such a document is
issued once: it gets its own verification code, its own signed record (``issued_document``) and
its own PDF in the store. A later packet whose document has the same key
(``Renderer.document_key``: its HTML without issue date, reference and code) copies the stored
pages instead of laying them out again; a stored file that is missing or damaged is rendered
again under the recorded code, reference and date. The covering letter, the checklist and the
dated letters (``catalog.PER_PACKET``) carry the packet's own code and are laid out for it,
written together as one PDF.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from documents.catalog import PER_PACKET, packet_documents
from documents.context import PacketContext
from documents.render import Pages, RenderedPdf, Renderer
from documents.signing import DOCUMENT_FIELDS, make_code, save_signed, trusted
from documents.store import ContentStore
from workflow.errors import ConflictError
from workflow.persistence.database import reading
from workflow.persistence.schema import IssuedDocument, table

__all__ = ["DOCUMENTS", "DocumentIssuer", "reusable"]

DOCUMENTS = table(IssuedDocument)


def reusable(name: str) -> bool:
    """Whether document ``name`` is issued once per application and reused by later packets
    (not a packet's own letter or checklist, not a static guide)."""
    return name not in PER_PACKET and not Renderer.is_static(name)


class DocumentIssuer:
    """Gives each document of a packet as a PDF, issuing or reusing the application's own."""

    def __init__(
        self,
        db: sa.Engine,
        renderer: Renderer,
        store: ContentStore,
        secret: bytes,
        verify_url: Callable[[str], str],
    ) -> None:
        self.db = db
        self.renderer = renderer
        self.store = store
        self.secret = secret
        self.verify_url = verify_url

    def parts(self, ctx: PacketContext) -> list[Pages]:
        """The pages of each document of the packet ``ctx`` describes (with its code, reference
        and date), in order: covering letter, the stage's documents, checklist."""
        names = packet_documents(ctx.documents)
        keys = {n: self.renderer.document_key(n, ctx) for n in names if reusable(n)}
        known = self._records(ctx.application.id, keys.values())
        ctx = replace(
            ctx,
            enclosures=tuple(
                (n, known[k]["code"] if k in known else self._new_code(ctx, k))
                for n, k in keys.items()
            ),
        )
        own = iter(self.renderer.documents([n for n in names if n not in keys], ctx))
        return [
            self._reused(name, ctx, keys[name], known.get(keys[name])).whole()
            if name in keys
            else next(own)
            for name in names
        ]

    def _new_code(self, ctx: PacketContext, key: str) -> str:
        """The code a document gets when first issued: the same for every worker."""
        return make_code(self.secret, "document", ctx.application.id, key)

    def _records(self, application_id: int, keys: Collection[str]) -> dict[str, dict[str, Any]]:
        if not keys:
            return {}
        with reading(self.db).connect() as conn:
            rows = conn.execute(
                sa.select(DOCUMENTS).where(
                    DOCUMENTS.c.application_id == application_id,
                    DOCUMENTS.c.inputs_hash.in_(list(keys)),
                )
            ).mappings()
            return {
                row["inputs_hash"]: trusted(self.secret, dict(row), DOCUMENT_FIELDS, "document")
                for row in rows
            }

    def _reused(
        self, name: str, ctx: PacketContext, key: str, row: dict[str, Any] | None
    ) -> RenderedPdf:
        if row is not None:
            data = self.store.read(row["content_hash"])
            if data is not None:
                return RenderedPdf(data, row["pages"])
        return self._issue(name, ctx, key, row)

    def _issue(
        self, name: str, ctx: PacketContext, key: str, existing: dict[str, Any] | None
    ) -> RenderedPdf:
        first: dict[str, Any] = existing or {  # a lost file is made again as first issued
            "code": self._new_code(ctx, key),
            "reference": ctx.reference,
            "issued_on": ctx.issued_on,
            "state": ctx.application.state,
        }
        rendered = self.renderer.document(name, ctx.issued_as(first, self.verify_url))
        row: dict[str, Any] = {
            **{k: first[k] for k in ("code", "reference", "issued_on", "state")},
            "application_id": ctx.application.id,
            "document": name,
            "lang": ctx.lang,
            "template_version": self.renderer.version,
            "inputs_hash": key,
            "content_hash": self.store.write(rendered.data),
            "pages": rendered.pages,
            "size": len(rendered.data),
        }
        if save_signed(self.db, DOCUMENTS, row, DOCUMENT_FIELDS, self.secret, existing):
            return rendered
        # another worker issued the same document a moment ago
        found = self._records(ctx.application.id, [key]).get(key)
        if found is None:
            raise ConflictError(
                f"document {row['code']}: another record holds this code; try again"
            )
        return self._reused(name, ctx, key, found)
