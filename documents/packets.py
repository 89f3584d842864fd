"""Issuing a stage's packet: assemble once, store by content hash, sign, and give back on demand.

``PacketService.issue(application_id, stage)`` is what the worker calls at each transition and
what ``sertiflow packet`` calls. Asking again for a packet whose inputs have not changed returns
the stored PDF; a stored file that is missing or no longer matches its hash is made again with
the same code, reference and date, and its record re-signed. Its documents come from
``documents.issued``: those an earlier packet of the application already carries unchanged are
copied from the store, not laid out again. The store is the one the settings name (a local folder
or a bucket every worker shares), so a packet is handed out by its hash, not by a path.
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from documents.assemble import combine
from documents.context import OfficeInfo, PacketContext, build_context
from documents.formatting import LANGUAGES, roman_month
from documents.issued import DocumentIssuer
from documents.render import ASSETS, Renderer
from documents.signing import PACKET_FIELDS, make_code, save_signed, trusted
from documents.store import read_intact, store_from_settings
from workflow.errors import ConflictError, InvalidInput
from workflow.facts import load_facts
from workflow.ledger import SELECT_APP
from workflow.office import stored_profile
from workflow.permissions import acting_user, require_for_application
from workflow.persistence.database import reading
from workflow.persistence.schema import IssuedPacket, table
from workflow.processes import ProcessRegistry
from workflow.settings import Settings

__all__ = ["PACKETS", "PacketService", "StoredPacket", "office_from_settings"]

PACKETS = table(IssuedPacket)
_ABBREVIATION = {
    "halal_regular": "HLR",
    "halal_self_declare": "HSD",
    "trademark": "MRK",
    "sni": "SNI",
}


@dataclass(frozen=True)
class StoredPacket:
    """A stored packet and what it is; ``PacketService.read`` or ``documents.read_stored`` give
    its bytes."""

    code: str
    application_id: int
    state: str
    lang: str
    location: str  # a path, or s3://bucket/prefix/ab/<sha256>.pdf
    content_hash: str
    pages: int
    size: int
    issued_on: date
    outcome: str  # issued | reused | regenerated


def office_from_settings(settings: Settings) -> OfficeInfo:
    """The letterhead: name, address, city, signatory and logo (as a data: URI); the fees and
    the self-declare turnover ceiling the documents print."""
    logo = Path(settings.office_logo) if settings.office_logo else ASSETS / "img" / "logo.svg"
    if not logo.is_file():
        raise InvalidInput(f"SERTIFLOW_OFFICE_LOGO {logo} is not a file; give a PNG, JPEG or SVG")
    mime = mimetypes.guess_type(logo.name)[0] or "image/png"
    if mime not in ("image/png", "image/jpeg", "image/svg+xml"):
        raise InvalidInput(f"the office logo must be PNG, JPEG or SVG, not {mime}")
    data = base64.b64encode(logo.read_bytes()).decode()
    return OfficeInfo(
        settings.office_name,
        settings.office_address,
        settings.office_city,
        settings.office_head,
        f"data:{mime};base64,{data}",
        settings.policy.fees,
        settings.policy.self_declare_max_turnover,
        timezone=settings.policy.timezone,
    )


class PacketService:
    """Issues, stores and re-issues packets for one office."""

    def __init__(
        self,
        db: sa.Engine,
        settings: Settings,
        *,
        renderer: Renderer | None = None,
        registry: ProcessRegistry | None = None,
        today: Callable[[], date] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.renderer = renderer or Renderer()
        self.registry = registry or ProcessRegistry()
        zone = ZoneInfo(settings.policy.timezone)  # the engine's "today" too
        self.today = today or (lambda: datetime.now(zone).date())
        self.store = store_from_settings(settings)
        self.secret = settings.secret_key.encode()
        self.office = office_from_settings(settings)
        self.documents = DocumentIssuer(db, self.renderer, self.store, self.secret, self.verify_url)

    def issue(
        self,
        application_id: int,
        state: str | None = None,
        lang: str = "id",
        *,
        acting: str | None = None,
    ) -> StoredPacket:
        """The packet of ``state`` (default: the current one) of the application, for the user
        ``acting`` (an admin, the assigned consultant or the business's UMKM user), or for
        sertiflow's own worker (None). A new file is journalled with who asked for it."""
        if lang not in LANGUAGES:
            raise InvalidInput(f"language {lang!r}: use one of {', '.join(LANGUAGES)}")
        issued_on = self.today()  # once: the checklist is judged on the day the packet is dated
        with reading(self.db).connect() as conn:
            actor_id = None
            if acting is not None:
                actor = acting_user(conn, acting)
                app = conn.execute(SELECT_APP, {"id": application_id}).first()
                if app is not None:  # a missing one is named by load_facts
                    require_for_application(actor, app, "issue a packet of")
                actor_id = actor.id
            facts = load_facts(conn, self.registry, application_id, issued_on)
            office = self.office.with_profile(stored_profile(conn))  # letterhead, signatory
        stage = state or facts.state
        definition = facts.definition
        if stage not in definition.states:
            raise InvalidInput(f"{definition.ident} has no stage {stage}")
        documents = definition.states[stage].documents
        if not documents:
            with_packets = [n for n, s in definition.states.items() if s.documents]
            raise InvalidInput(
                f"stage {stage} of {definition.key} has no packet; stages with packets: "
                + ", ".join(with_packets)
            )
        ctx = replace(  # the address without a code: a moved address is a new input
            build_context(facts, office, lang, stage, documents, self.renderer.version),
            verify_url=self.verify_url(""),
        )
        inputs = ctx.inputs_key()
        existing = self._find(application_id, stage, lang, inputs)
        if existing is not None:
            return self._reuse_or_regenerate(existing, ctx, actor_id)
        code = make_code(self.secret, application_id, stage, lang, inputs, self.renderer.version)
        reference = (
            f"{application_id:05d}.{facts.audit_seq:02d}/PLUT/"
            f"{_ABBREVIATION.get(definition.key, 'APL')}/{roman_month(issued_on)}/"
            f"{issued_on.year}"
        )
        identity = {"code": code, "reference": reference, "issued_on": issued_on}
        ctx = ctx.issued_as(identity, self.verify_url)
        return self._render_and_record(ctx, inputs, None, actor_id)

    def read(self, stored: StoredPacket) -> bytes:
        """The packet's PDF; ``NotFound`` if it was lost or damaged since (issue it again)."""
        return read_intact(self.store, stored.content_hash)

    def verify_url(self, code: str) -> str:
        """The public address printed and QR-coded on a packet."""
        return f"{self.settings.public_url}/verifikasi/{code}"

    def _find(self, app_id: int, state: str, lang: str, inputs: str) -> dict[str, Any] | None:
        with reading(self.db).connect() as conn:
            row = (
                conn.execute(
                    sa.select(PACKETS).where(
                        PACKETS.c.application_id == app_id,
                        PACKETS.c.state == state,
                        PACKETS.c.lang == lang,
                        PACKETS.c.inputs_hash == inputs,
                        PACKETS.c.template_version == self.renderer.version,
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else trusted(self.secret, dict(row), PACKET_FIELDS, "packet")

    def _reuse_or_regenerate(
        self, row: dict[str, Any], ctx: PacketContext, actor_id: int | None
    ) -> StoredPacket:
        if self.store.read(row["content_hash"]) is not None:
            return self._stored(row, "reused")
        ctx = ctx.issued_as(row, self.verify_url)
        return self._render_and_record(ctx, row["inputs_hash"], row, actor_id)

    def _render_and_record(
        self,
        ctx: PacketContext,
        inputs: str,
        existing: dict[str, Any] | None,
        actor_id: int | None,
    ) -> StoredPacket:
        keywords = f"sertiflow {ctx.code} #{ctx.application.id} {ctx.application.state}"
        rendered = combine(self.documents.parts(ctx), ctx.code, keywords, ctx.lang)
        content_hash = self.store.write(rendered.data)
        row: dict[str, Any] = {
            "code": ctx.code,
            "reference": ctx.reference,
            "application_id": ctx.application.id,
            "state": ctx.application.state,
            "lang": ctx.lang,
            "template_version": self.renderer.version,
            "inputs_hash": inputs,
            "content_hash": content_hash,
            "pages": rendered.pages,
            "size": len(rendered.data),
            "issued_on": ctx.issued_on,
        }
        if save_signed(self.db, PACKETS, row, PACKET_FIELDS, self.secret, existing, actor_id):
            return self._stored(row, "issued" if existing is None else "regenerated")
        # another worker issued the same packet a moment ago
        found = self._find(ctx.application.id, ctx.application.state, ctx.lang, inputs)
        if found is None:
            raise ConflictError(f"packet {ctx.code}: another record holds this code; try again")
        return self._stored(found, "reused")

    def _stored(self, row: dict[str, Any], outcome: str) -> StoredPacket:
        return StoredPacket(
            row["code"],
            row["application_id"],
            row["state"],
            row["lang"],
            self.store.location(row["content_hash"]),
            row["content_hash"],
            row["pages"],
            row["size"],
            row["issued_on"],
            outcome,
        )
