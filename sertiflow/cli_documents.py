"""``sertiflow packet`` and ``sertiflow doc verify``: the stage's paperwork as one PDF, and its
check. WeasyPrint is imported only by these commands."""

from __future__ import annotations

from pathlib import Path

import click

from sertiflow.cli_common import ROW_ID, State, acting_option, pass_state, reports_errors
from sertiflow.output import print_json, say
from workflow.errors import InvalidInput

__all__ = ["doc", "packet"]


@click.command()
@click.argument("app_id", type=ROW_ID, metavar="APP")
@click.option("--stage", default=None, help="A stage with a packet (default: the current one).")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the PDF here (default: print where it is stored: a path or an s3:// URL).",
)
@acting_option("an admin, the assigned consultant or the business's UMKM user")
@pass_state
@reports_errors
def packet(
    state: State, app_id: int, stage: str | None, lang: str, output: Path | None, acting: str
) -> None:
    """The document packet of APP's stage: covering letter, forms, checklist, one PDF."""
    from documents.packets import PacketService
    from documents.store import LocalStore

    runtime = state.runtime()
    service = PacketService(runtime.db, state.settings, today=runtime.today)
    stored = service.issue(app_id, stage, lang, acting=acting)
    # ``path`` is a file on this machine: the copy, or a local store's own; a bucket has none.
    path: str | None = None
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(service.read(stored))  # from the store, wherever it is kept
        path = str(output)
    elif isinstance(service.store, LocalStore):
        path = stored.location
    if state.as_json:
        print_json(
            {
                "code": stored.code,
                "application_id": stored.application_id,
                "stage": stored.state,
                "lang": stored.lang,
                "path": path,
                "location": stored.location,
                "sha256": stored.content_hash,
                "pages": stored.pages,
                "bytes": stored.size,
                "issued_on": stored.issued_on,
                "outcome": stored.outcome,
            }
        )
    else:
        where = path or stored.location
        say(f"{where}  ({stored.pages} halaman, code {stored.code}, {stored.outcome})")


@click.group()
def doc() -> None:
    """Documents sertiflow issued."""


@doc.command(name="verify")
@click.argument("file_or_code")
@pass_state
@reports_errors
def doc_verify(state: State, file_or_code: str) -> None:
    """Was FILE issued by this office, for which application and stage, and is it unaltered?
    Or, for a CODE printed on paper (SF-7K3Q-2XWD): what was issued under it?"""
    from documents.verify import is_code, issue_contents, verify_code, verify_pdf

    path = Path(file_or_code)
    secret = state.settings.secret_key.encode()
    db = state.runtime().db
    if path.is_file():
        name, verdict = path.name, verify_pdf(db, secret, path.read_bytes())
    elif is_code(file_or_code):
        name = file_or_code.strip().upper()
        verdict = verify_code(db, secret, file_or_code)
    else:
        raise InvalidInput(
            f"{file_or_code}: no such file, nor a verification code (they read like "
            "SF-7K3Q-2XWD); give the PDF or the code printed on it"
        )
    # What the paper should hold: only from a record whose signature holds.
    contents = issue_contents(db, verdict) if verdict.ok else None
    if state.as_json:
        print_json(
            {
                "ok": verdict.ok,
                "status": verdict.status,
                "message": verdict.message,
                "code": verdict.code,
                "application_id": verdict.application_id,
                "stage": verdict.state,
                "issued_on": verdict.issued_on,
                "umkm": None if contents is None else contents.umkm_name,
                "nib": None if contents is None else contents.nib,
                "pages": None if contents is None else contents.pages,
                "documents": None if contents is None else list(contents.documents),
            }
        )
    if not verdict.ok:
        raise InvalidInput(f"{name}: {verdict.message}")
    if not state.as_json:
        say(f"{name}: {verdict.message}")
        if contents is not None:
            say(f"  Pelaku usaha: {contents.umkm_name} (NIB {contents.nib})")
            say(f"  Isi ({contents.pages} halaman):")
            for number, title in enumerate(contents.documents, 1):
                say(f"    {number}. {title}")
