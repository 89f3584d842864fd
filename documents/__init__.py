"""Document packets: a frozen context built from an application, HTML from Jinja2 templates,
PDF from WeasyPrint, stored by content hash with a signed verification record.

Contract: may import ``workflow`` (its facts, settings and tables); never imported by
``workflow``. WeasyPrint is used only here, with a fetcher that serves nothing but the packaged
assets and ``data:`` URIs. The worker calls ``issue_packet(db, settings, application_id, stage)``
at each transition whose stage has documents, and ``read_stored(settings, content_hash)`` for a
stored PDF's bytes (to attach it to an email), whichever machine rendered it; ``verify_pdf``
answers whether a file is one this office issued. PDFs are kept by SHA-256 in the store
``store_from_settings`` picks: the local folder ``SERTIFLOW_STORAGE_DIR``, or the S3-compatible
bucket ``SERTIFLOW_STORAGE_URL`` names.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import sqlalchemy as sa

from documents.packets import PacketService, StoredPacket
from documents.render import Renderer
from documents.store import ContentStore, StorageError, read_stored, store_from_settings
from documents.verify import Verdict, verify_pdf
from workflow.settings import Settings

__all__ = [
    "ContentStore",
    "PacketService",
    "Renderer",
    "StorageError",
    "StoredPacket",
    "Verdict",
    "issue_packet",
    "read_stored",
    "shared_renderer",
    "store_from_settings",
    "verify_pdf",
]


@cache
def shared_renderer() -> Renderer:
    """The process's one renderer: fonts, stylesheet and laid-out guides are reused."""
    return Renderer()


def issue_packet(
    db: sa.Engine,
    settings: Settings,
    application_id: int,
    stage: str | None = None,
    lang: str = "id",
    today: date | None = None,
) -> StoredPacket:
    """The packet of ``stage`` of the application: issued, or the stored one if its inputs have
    not changed. One renderer (fonts, stylesheet, static pages) is shared per process."""
    renderer = shared_renderer()
    # Without ``today`` the service dates packets in the office's time zone, not the host's.
    service = PacketService(
        db, settings, renderer=renderer, today=(lambda: today) if today is not None else None
    )
    return service.issue(application_id, stage, lang)
