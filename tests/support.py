"""Helpers shared by the test suites: a controllable clock, a seeded office, the command line
run in-process."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pypdf import PdfReader
from sqlalchemy import Engine, event, func, select

from workflow import journal
from workflow.directory import (
    add_evidence,
    add_user,
    ensure_regencies,
    ensure_system_user,
    upsert_umkm,
)
from workflow.engine import Engine as Workflow
from workflow.engine import TransitionResult
from workflow.evidence import EVIDENCE_KINDS, Scope
from workflow.ledger import APPLICATIONS, AUDIT, OUTBOX
from workflow.model import Role
from workflow.regions import MALUKU_REGENCIES
from workflow.umkm_import import UmkmRecord

HALAL_EVIDENCE = (
    "nib",
    "product_list",
    "materials_list",
    "process_flow",
    "sjph_manual",
    "penyelia_halal",
    "halal_pledge",
    "payment_proof",
)
TRADEMARK_EVIDENCE = (
    "label_image",
    "umk_statement",
    "umk_recommendation",
    "ktp_owner",
    "trademark_ownership",
)
HALAL_TO_FATWA = (
    "start_document_preparation",
    "submit",
    "start_doc_verification",
    "docs_complete",
    "lph_fee_entered",
    "payment_proof_uploaded",
    "payment_verified",
    "audit_started",
    "audit_report_uploaded",
)
"""A regular halal application's way from INTAKE to MUI's fatwa session."""
SNI_EVIDENCE = (
    "nib",
    "npwp",
    "quality_manual",
    "qc_records",
    "conformity_declaration",
    "sni_mark_illustration",
    "process_flow",
    "test_report",
    "payment_proof",
)


@dataclass
class Clock:
    """A clock the test moves by hand; starts on a Monday morning (11:00 in Ambon, the office)."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 2, 2, 0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def umkm_record(nib: str, name: str, **overrides: object) -> UmkmRecord:
    """A valid micro business in Ambon, eligible for self-declare unless overridden."""
    values: dict[str, object] = {
        "nib": nib,
        "name": name,
        "owner_name": f"Pemilik {name}",
        "kind": "umkm",
        "scale": "mikro",
        "regency_code": "8171",
        "email": f"{nib}@example.id",
        "phone": "+6281234567890",
        "address": "Jl. Pattimura 1, Ambon",
        "annual_turnover": 120_000_000,
        "production_sites": 1,
        "simple_process": True,
        "products": "Sagu lempeng",
        "row": 2,
    }
    values.update(overrides)
    return UmkmRecord(**values)  # type: ignore[arg-type]


@dataclass
class Office:
    """A small seeded office: two UMKM, an admin, two consultants, a UMKM user."""

    db: Engine
    clock: Clock
    workflow: Workflow
    nib: str = "8120000000001"
    other_nib: str = "8120000000002"
    admin: str = "admin"
    consultant: str = "rina"
    other_consultant: str = "yosef"
    owner: str = "ana"

    def give_evidence(
        self,
        nib: str,
        kinds: tuple[str, ...],
        valid_until: object = None,
        acting: str = "",
        app: int | None = None,
    ) -> None:
        """Add documents of ``kinds`` to ``nib``'s dossier, each in its kind's scope: the
        business's own, or application ``app``'s (or its mark's). An application's kind that
        ``app``'s process never asks for is left out (``HALAL_EVIDENCE`` serves both paths)."""
        asked = _asked_for(self, app)
        for kind in kinds:
            scoped = EVIDENCE_KINDS[kind].scope is not Scope.UMKM
            if EVIDENCE_KINDS[kind].scope is Scope.APPLICATION and kind not in asked:
                continue
            add_evidence(
                self.db,
                nib,
                kind,
                f"{kind}.pdf",
                valid_until=valid_until,  # type: ignore[arg-type]
                acting=acting or self.admin,
                now=self.clock(),
                application_id=app if scoped else None,
                # a letter signed in its filing's year: signed today
                signed_on=self.workflow.today(self.clock())
                if EVIDENCE_KINDS[kind].signed_in_year_of
                else None,
            )


def _asked_for(office: Office, app: int | None) -> frozenset[str]:
    """The evidence kinds application ``app``'s process requires at some step (any version)."""
    if app is None:
        return frozenset(k for k, v in EVIDENCE_KINDS.items() if v.scope is Scope.APPLICATION)
    key = app_row(office, app)["process_key"]
    return frozenset(
        kind
        for definition in office.workflow.registry.all()
        if definition.key == key
        for transition in definition.transitions
        for kind in transition.requires
    )


SYSTEM = "sertiflow"
"""The system account, which adds an office's first admin."""


def seed_office(db: Engine, clock: Clock | None = None) -> Office:
    """Regencies, two UMKM, users of every role; returns the handles tests need."""
    clock = clock or Clock()
    office = Office(db, clock, Workflow(db, clock=clock))
    with journal.writing(db) as conn:
        ensure_regencies(conn, MALUKU_REGENCIES)
        upsert_umkm(
            conn,
            [
                umkm_record(office.nib, "Sagu Ibu Ana"),
                umkm_record(office.other_nib, "Kopi Rempah Banda", row=3),
            ],
            clock(),
        )
    ensure_system_user(db, SYSTEM)  # as 'sertiflow init' does; it adds the first admin
    add_user(db, office.admin, "Admin PLUT", Role.ADMIN, acting=SYSTEM)
    admin = office.admin
    add_user(
        db, office.consultant, "Rina Latuconsina", Role.CONSULTANT, acting=admin, field="produksi"
    )
    add_user(
        db,
        office.other_consultant,
        "Yosef Tanamal",
        Role.CONSULTANT,
        acting=admin,
        field="pemasaran",
    )
    add_user(db, office.owner, "Ana Pattiasina", Role.UMKM, acting=admin, umkm_nib=office.nib)
    return office


def trademark_in_preparation(office: Office) -> int:
    """A trademark application of the first UMKM in document preparation, its mark described,
    its packet ready to issue."""
    app = office.workflow.open_application(
        office.nib,
        "trademark",
        office.consultant,
        details={"mark_name": "SAGU IBU ANA", "nice_classes": "30", "goods": "Sagu lempeng"},
    )
    office.workflow.advance(app, "start_document_preparation", office.consultant)
    return app


def app_row(office: Office, app_id: int) -> dict[str, Any]:
    """The application's row as a dict."""
    with office.db.connect() as conn:
        row = conn.execute(select(APPLICATIONS).where(APPLICATIONS.c.id == app_id)).one()
    return dict(row._mapping)


def audit_rows(office: Office, app_id: int) -> list[dict[str, Any]]:
    """The application's audit rows, oldest first."""
    with office.db.connect() as conn:
        rows = conn.execute(
            select(AUDIT).where(AUDIT.c.application_id == app_id).order_by(AUDIT.c.seq)
        )
        return [dict(r._mapping) for r in rows]


def snapshot(office: Office) -> tuple[list[dict[str, Any]], int, int]:
    """Every application row, and how many audit and outbox rows exist."""
    with office.db.connect() as conn:
        apps = [dict(r._mapping) for r in conn.execute(select(APPLICATIONS).order_by("id"))]
        audits = conn.scalar(select(func.count()).select_from(AUDIT))
        outbox = conn.scalar(select(func.count()).select_from(OUTBOX))
    return apps, int(audits or 0), int(outbox or 0)


def drive(
    office: Office,
    app_id: int,
    *triggers: str,
    user: str = "rina",
    fields: Mapping[str, str] | None = None,
) -> TransitionResult:
    """Fire ``triggers`` in order as ``user``; the last result."""
    assert triggers
    result = None
    for trigger in triggers:
        result = office.workflow.advance(app_id, trigger, user, fields=fields)
        assert result.trigger == trigger
    assert result is not None
    return result


def embedded_fonts(data: bytes) -> set[str]:
    """The fonts a PDF embeds, without their subset prefix, from its pages and the forms
    (images drawn from SVG) they use."""
    found: set[str] = set()

    def walk(resources: Any) -> None:
        for font in resources.get("/Font", {}).values():
            found.add(str(font.get_object()["/BaseFont"]).partition("+")[2] or "?")
        for xobject in resources.get("/XObject", {}).values():
            inner = xobject.get_object().get("/Resources")
            if inner is not None:
                walk(inner.get_object())

    for page in PdfReader(io.BytesIO(data)).pages:
        walk(page.get("/Resources", {}))
    return found


class InProcessCli:
    """``sertiflow`` against one database file, run in this process (click's test isolation)
    instead of a subprocess: the arguments, environment, standard output and error and exit
    status of ``python -m sertiflow ...`` without an interpreter's start-up and imports per
    command. Its ``env`` is the whole environment the command sees, as a subprocess's is (every
    other variable is hidden for the command's time); warnings logged go to its stderr as
    Python's last-resort handler would print them; a traceback is stderr with exit status 1.
    For what is about the process itself (the real entry point, start-up, signals), use a
    subprocess."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.env: dict[str, str] = {
            **os.environ,
            "SERTIFLOW_DATABASE_URL": f"sqlite:///{db}",
            "SERTIFLOW_CHECKPOINT_DIR": str(db.parent / "checkpoints"),
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``sertiflow ARGS`` and return what it printed and its exit status."""
        import click.formatting
        from click.testing import CliRunner

        from sertiflow.cli import run

        environment: dict[str, str | None] = {name: None for name in os.environ}
        environment.update(self.env)
        engines: list[sa.Engine] = []

        def opened(connection: sa.Connection) -> None:
            engines.append(connection.engine)

        event.listen(sa.Engine, "engine_connect", opened)
        runner = CliRunner()
        try:
            with runner.isolation(env=environment) as (stdout, stderr, _):
                click.formatting.FORCED_WIDTH = None  # help as wide as a process's: no terminal
                warnings = logging.StreamHandler(sys.stderr)
                warnings.setLevel(logging.WARNING)
                logging.getLogger().addHandler(warnings)
                try:
                    run(list(args))
                    code = 0
                except SystemExit as leaving:
                    code = _exit_status(leaving.code)
                except Exception:  # what the interpreter would print before exiting 1
                    traceback.print_exc(file=sys.stderr)
                    code = 1
                finally:
                    logging.getLogger().removeHandler(warnings)
                    sys.stdout.flush()
                    sys.stderr.flush()
                out, err = stdout.getvalue(), stderr.getvalue()
        finally:
            event.remove(sa.Engine, "engine_connect", opened)
            for engine in set(engines):  # the command's connections, closed as its exit would
                engine.dispose()
        return subprocess.CompletedProcess(
            ["sertiflow", *args],
            code,
            out.decode(runner.charset, "replace"),
            err.decode(runner.charset, "replace"),
        )

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        """``run``, checked as tests/integration/test_cli.py's ``Cli`` checks it: exit status 0
        when ``ok``, else 1 with one ``error: ...`` line on stderr."""
        result = self.run(*args)
        if ok:
            assert result.returncode == 0, result.stderr
        else:
            assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
            assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self("--json", *args).stdout)


def _exit_status(code: object) -> int:
    """The process exit status ``sys.exit(code)`` gives."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # sys.exit("message") prints it and exits 1
    return 1
