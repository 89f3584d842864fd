"""Packets: the project's rendering against bare WeasyPrint and a naive pipeline, and its memory.

Builds the demo office (``sertiflow.demo.build_demo``) in a temporary SQLite file, then measures,
side by side in one run:

1. overhead: one representative packet (default ``halal_regular`` SUBMITTED: covering letter, the
   stage's documents, checklist), everything laid out anew. The project's documents, written
   as on a first issue (``Renderer.document`` for each reusable one, ``Renderer.documents`` for
   the packet's own) and joined by ``documents.assemble.combine`` + SHA-256, and a whole first
   ``PacketService.issue`` (facts, context, document keys, lookups, render, hash, store, signed
   records), against bare WeasyPrint on the very same HTML strings (``Renderer.html`` with the
   arguments the ``Renderer`` passes): ``HTML(string=..., base_url=...)`` with WeasyPrint's
   default fetcher and a newly parsed ``CSS(filename=print.css)`` per document, all pages
   written as one PDF by ``write_pdf()``. The bare path is given one ``FontConfiguration`` made
   once outside the timing: without one WeasyPrint ignores the stylesheet's ``@font-face`` rules
   and the output would not be the same (other fonts). Medians of interleaved repetitions after
   a warm-up of each. Target: project / bare <= 1.1.
2. throughput, on two mixes of the demo office's packets, each split between ``spawn`` worker
   processes:
   - the packets its transitions asked for (the outbox's ``render_packet`` messages, which the
     worker turns into packets), whole applications at a time and in their order: about
     ``--packets`` with two processes, about ``--single`` with one;
   - first issues of the packets the applications wait for now (every current stage with
     documents; no earlier packet of the application exists): ``--first``.
   The project's way: one long-lived ``PacketService`` per worker (its static guides already
   laid out, as in a worker that has been running) on a fresh copy of the database and an empty
   store; documents an earlier packet of the same application issued unchanged are copied, not
   laid out again, and a packet asked for again with unchanged inputs is the stored one. The
   naive way, as the issue defines it: a new ``FontConfiguration`` and a newly parsed
   stylesheet per render (``HTML.render``, one per document, as the issue's own measurements
   use the word), WeasyPrint's default fetcher, every page of every document (the static guide
   too) laid out, the pages written as one PDF to a store by its hash (no database record: the
   naive figure is flattered, not the project's). "shared" runs, printed beside each naive one,
   are a stronger baseline than the issue's: one font configuration and stylesheet for all the
   documents of a packet. Workers warm up, wait on a barrier, and the wall clock runs from the
   barrier to the last packet; each worker's CPU time gives the rate it would have with a core
   to itself. Targets: project >= 2x naive, and >= 5 packets/s with two processes.
   The replay takes each application's dossier as it is now for every stage, so a document that
   changed between two stages in the demo's history is reused here; in real use it is issued
   again (its key changes), which costs what the first issues cost.
3. memory: one fresh process lays out ``--renders`` packets with one ``Renderer`` (every
   document anew, on contexts built beforehand, so no storage), cycling over the demo
   applications, sampling VmRSS after ``gc.collect()`` every ``--every``; the figure is the
   growth from the first sample (warm) to the end. Target: < 20 MB.

The demo's clock ends now, so the mix of stages differs a little from day to day; the machine's
load average is printed because other processes skew every figure here.

The defaults take about 3 minutes on 2 idle cores (more under load), so the memory run is
shorter than the 500 renders the target is stated for: ``--only memory --renders 500`` gives it.

    .venv/bin/python -m bench.bench_packets [--apps 300] [--reps 5] [--packets 80] [--single 16]
        [--first 0] [--renders 150] [--every 50] [--only overhead|throughput|memory] [--json]
    .venv/bin/python -m bench.bench_packets --profile [--reps 5] [--top 25]
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import gc
import hashlib
import json
import multiprocessing
import os
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
import weasyprint
from weasyprint.text.fonts import FontConfiguration

from bench.common import print_table, rss_mb, versions
from documents.assemble import combine
from documents.catalog import packet_documents
from documents.context import OfficeInfo, PacketContext, build_context, passed_milestones
from documents.formatting import roman_month
from documents.issued import DOCUMENTS, reusable
from documents.packets import PACKETS, PacketService
from documents.render import (
    ASSETS,
    Pages,
    RenderedPdf,
    Renderer,
    qr_data_uri,
    rendering_libraries,
)
from workflow.facts import load_facts
from workflow.persistence.database import connect
from workflow.processes import ProcessRegistry
from workflow.settings import Settings

OVERHEAD_TARGET = 1.1
RATE_RATIO_TARGET = 2.0
RATE_TARGET = 5.0
MEMORY_TARGET_MB = 20.0
WORKERS = 2
LANG = "id"
SECRET = "bench-packets-" + "s" * 32
PUBLIC_URL = Settings().public_url
_SPAWN = multiprocessing.get_context("spawn")


def _print_css() -> str:
    return str(ASSETS / "documents" / "print.css")


class Item(NamedTuple):
    """One packet to issue: an application in a stage that has documents."""

    app_id: int
    process: str
    stage: str
    documents: tuple[str, ...]


@dataclass(frozen=True)
class Demo:
    """The demo office on disk and the packets its applications are waiting for."""

    tmp: Path
    db_path: Path
    items: list[Item]
    transitions: list[Item]
    summary: dict[str, int]
    build_seconds: float


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _settings(store: Path) -> Settings:
    return Settings(storage_dir=str(store), secret_key=SECRET)


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _copy_db(source: Path, target: Path) -> Path:
    """A consistent copy of the SQLite database ``source`` (VACUUM INTO)."""
    with sqlite3.connect(source) as conn:
        conn.execute("VACUUM INTO ?", (str(target),))
    conn.close()
    return target


# ------------------------------------------------------------------------------- demo office
@contextmanager
def demo_office(apps: int, seed: int) -> Iterator[Demo]:
    """The demo office with ``apps`` UMKM and applications, in a temporary directory."""
    from sertiflow.demo import build_demo
    from workflow.engine import Engine
    from workflow.persistence.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="sertiflow-bench-packets-") as name:
        tmp = Path(name)
        db_path = tmp / "demo.db"
        started = time.perf_counter()
        db = connect(_url(db_path))
        try:
            upgrade(db)
            summary = build_demo(Engine(db), apps, 5, apps, seed, logins=False)
            registry = ProcessRegistry()
            with db.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "SELECT id, process_key, process_version, state FROM application "
                        "ORDER BY id"
                    )
                ).all()
                asked = conn.execute(
                    sa.text(
                        "SELECT o.application_id, a.process_key, a.process_version, o.payload "
                        "FROM outbox o JOIN application a ON a.id = o.application_id "
                        "WHERE o.kind = 'render_packet' ORDER BY o.id"
                    )
                ).all()
        finally:
            db.dispose()
        items = []
        for row in rows:
            stage = registry.get(row.process_key, row.process_version).states[row.state]
            if stage.documents:
                items.append(Item(row.id, row.process_key, row.state, stage.documents))
        transitions = []
        for row in asked:
            payload = json.loads(row.payload) if isinstance(row.payload, str) else row.payload
            stage = registry.get(row.process_key, row.process_version).states[payload["to"]]
            transitions.append(
                Item(row.application_id, row.process_key, stage.name, stage.documents)
            )
        yield Demo(
            tmp,
            db_path,
            items,
            transitions,
            {
                "umkm": summary.umkm,
                "cooperatives": summary.cooperatives,
                "applications": summary.applications,
                "transitions": summary.transitions,
            },
            time.perf_counter() - started,
        )


def missing_templates(renderer: Renderer, items: Sequence[Item]) -> list[str]:
    """Document templates the packets need that are not shipped (yet)."""
    names = {n for item in items for n in packet_documents(item.documents)}
    return sorted(n for n in names if not renderer.exists(n))


def split(items: Sequence[Item], parts: int) -> list[list[Item]]:
    """``items`` dealt round-robin after sorting by process and stage: each part, the same mix."""
    ordered = sorted(items, key=lambda i: (i.process, i.stage, i.app_id))
    return [ordered[k::parts] for k in range(parts)]


def evenly(items: Sequence[Item], n: int) -> list[Item]:
    """``n`` of ``items`` (sorted as ``split`` sorts them) evenly spaced: the same mix, fewer."""
    if n >= len(items):
        return list(items)
    return [items[k * len(items) // n] for k in range(n)]


def by_application(transitions: Sequence[Item], parts: int, limit: int) -> list[list[Item]]:
    """The packets the transitions asked for, whole applications at a time (each keeps its own
    order), about ``limit`` in all (0: every one), dealt to ``parts`` workers."""
    sequences: dict[int, list[Item]] = {}
    for item in transitions:
        sequences.setdefault(item.app_id, []).append(item)
    apps = sorted(sequences)
    if limit:
        share = limit / len(transitions)
        apps = [apps[k] for k in range(len(apps)) if int((k + 1) * share) > int(k * share)]
    chunks: list[list[Item]] = [[] for _ in range(parts)]
    for app in sorted(apps, key=lambda a: -len(sequences[a])):  # longest first, to the lightest
        min(chunks, key=len).extend(sequences[app])
    return chunks


# ------------------------------------------------------------------------------- shared paths
def document_html(renderer: Renderer, name: str, ctx: PacketContext) -> str:
    """The HTML the ``Renderer`` lays out for ``name`` (same arguments)."""
    if renderer.is_static(name):
        passed = passed_milestones(ctx.issued_on)  # as Renderer.document passes them
        return renderer.html(name, None, ctx.lang, office=ctx.office, passed=passed)
    return renderer.html(name, ctx, ctx.lang, qr=qr_data_uri(ctx.verify_url or ctx.code))


def fresh_packet(renderer: Renderer, ctx: PacketContext) -> RenderedPdf:
    """Every document of ``ctx``'s packet laid out for it (nothing reused from an earlier
    packet), written and joined as the service does on a first issue: each reusable document
    a PDF of its own, the packet's own documents one PDF."""
    names = packet_documents(ctx.documents)
    own = iter(renderer.documents([n for n in names if not reusable(n)], ctx))
    parts = [renderer.document(n, ctx).whole() if reusable(n) else next(own) for n in names]
    return combine(parts, ctx.code, f"sertiflow {ctx.code} #{ctx.application.id}")


def packet_context(
    db: sa.Engine,
    registry: ProcessRegistry,
    office: OfficeInfo,
    version: str,
    app_id: int,
    today: date,
    stage: str | None = None,
) -> PacketContext:
    """The context of the application's packet for ``stage`` (default: the current one), with
    a code, reference and verification address shaped like the ones ``PacketService.issue``
    gives."""
    with db.connect() as conn:
        facts = load_facts(conn, registry, app_id, today)
    stage = stage or facts.state
    documents = facts.definition.states[stage].documents
    ctx = build_context(facts, office, LANG, stage, documents, version)
    digest = hashlib.sha256(f"{app_id}|{stage}|{ctx.inputs_key()}".encode()).digest()
    text = base64.b32encode(digest[:5]).decode()
    code = f"SF-{text[:4]}-{text[4:]}"
    return replace(
        ctx,
        issued_on=today,
        code=code,
        reference=f"{app_id:05d}.{facts.audit_seq:02d}/PLUT/BNC/{roman_month(today)}/{today.year}",
        verify_url=f"{PUBLIC_URL}/verifikasi/{code}",
    )


def bare_packet(htmls: Sequence[str], base_url: str, fonts: Any) -> RenderedPdf:
    """What a plain WeasyPrint user writes for the same output: default fetcher, a stylesheet
    parsed for every document, pages combined into one PDF."""
    css_path = _print_css()
    documents = [
        weasyprint.HTML(string=html, base_url=base_url).render(
            stylesheets=[weasyprint.CSS(filename=css_path, font_config=fonts)], font_config=fonts
        )
        for html in htmls
    ]
    pages = [page for document in documents for page in document.pages]
    return RenderedPdf(documents[0].copy(pages).write_pdf(), len(pages))


def naive_packet(renderer: Renderer, ctx: PacketContext, shared: bool = False) -> RenderedPdf:
    """The naive pipeline: a new font configuration and stylesheet per render, i.e. per
    document (``shared``: one for the whole packet), every document (static guides too) laid
    out again, WeasyPrint's default fetcher."""
    documents = []
    fonts = css = None
    for name in packet_documents(ctx.documents):
        if not shared or fonts is None or css is None:
            fonts = FontConfiguration()
            css = weasyprint.CSS(filename=_print_css(), font_config=fonts)
        html = weasyprint.HTML(
            string=document_html(renderer, name, ctx), base_url=renderer.base_url
        )
        documents.append(html.render(stylesheets=[css], font_config=fonts))
    pages = [page for document in documents for page in document.pages]
    return RenderedPdf(documents[0].copy(pages).write_pdf(), len(pages))


def store_by_hash(store: Path, data: bytes) -> str:
    """Write ``data`` under its SHA-256, as a naive pipeline would; the hash."""
    digest = hashlib.sha256(data).hexdigest()
    path = store / digest[:2] / f"{digest}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest


class TimedRenderer(Renderer):
    """A ``Renderer`` that remembers how long it spent on its last packet's documents and that
    packet's context (the covering letter's)."""

    last_seconds = 0.0
    last_ctx: PacketContext | None = None

    def documents(self, names: Sequence[str], ctx: PacketContext) -> list[Pages]:
        started = time.perf_counter()
        parts = super().documents(names, ctx)
        if names[0] == packet_documents(())[0]:  # the covering letter: a new packet begins
            self.last_seconds, self.last_ctx = 0.0, ctx
        self.last_seconds += time.perf_counter() - started
        return parts

    def document(self, name: str, ctx: PacketContext) -> RenderedPdf:
        started = time.perf_counter()
        rendered = super().document(name, ctx)
        if not self.is_static(name):  # a guide is timed within ``documents``
            self.last_seconds += time.perf_counter() - started
        return rendered


# ------------------------------------------------------------------------------- 1. overhead
def pick_representative(items: Sequence[Item], wanted: str) -> tuple[int, str]:
    """The application and stage of the representative packet ``process:STAGE``."""
    process, _, stage = wanted.partition(":")
    for item in items:
        if item.process == process and item.stage == stage:
            return item.app_id, stage
    for item in items:  # none waits in that stage: issue that stage's packet for another one
        if item.process == process:
            return item.app_id, stage
    raise SystemExit(f"the demo has no {process} application; try another --packet")


class Stopwatch:
    """Wall-clock and this process's CPU seconds since it was made."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def read(self) -> tuple[float, float]:
        """(wall seconds, CPU seconds)."""
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def measure_overhead(demo: Demo, wanted: str, reps: int) -> dict[str, Any]:
    """Medians of the project's render and issue against bare WeasyPrint on the same HTML."""
    app_id, stage = pick_representative(demo.items, wanted)
    db_path = _copy_db(demo.db_path, demo.tmp / "overhead.db")
    db = connect(_url(db_path))
    renderer = TimedRenderer()
    service = PacketService(db, _settings(demo.tmp / "store-overhead"), renderer=renderer)
    wall: dict[str, list[float]] = {"bare": [], "render": [], "issue": [], "in_issue": []}
    cpu: dict[str, list[float]] = {"bare": [], "render": [], "issue": []}
    pages: dict[str, int] = {}

    def issue() -> None:
        with db.begin() as conn:  # the same packet again must be a first issue, not a reuse
            conn.execute(sa.delete(PACKETS).where(PACKETS.c.application_id == app_id))
            conn.execute(sa.delete(DOCUMENTS).where(DOCUMENTS.c.application_id == app_id))
        watch = Stopwatch()
        stored = service.issue(app_id, stage, LANG)
        seconds, cpu_seconds = watch.read()
        if stored.outcome != "issued":
            raise AssertionError(f"expected a first issue, got {stored.outcome}")
        wall["issue"].append(seconds)
        wall["in_issue"].append(renderer.last_seconds)
        cpu["issue"].append(cpu_seconds)
        pages["issue"] = stored.pages

    try:
        issue()  # warm, and the very context the service renders from
        ctx = renderer.last_ctx
        assert ctx is not None
        names = list(packet_documents(ctx.documents))
        htmls = [document_html(renderer, name, ctx) for name in names]
        bare_fonts = FontConfiguration()

        def render() -> None:
            watch = Stopwatch()
            rendered = fresh_packet(renderer, ctx)
            hashlib.sha256(rendered.data).hexdigest()
            seconds, cpu_seconds = watch.read()
            wall["render"].append(seconds)
            cpu["render"].append(cpu_seconds)
            pages["render"] = rendered.pages

        def bare() -> None:
            watch = Stopwatch()
            rendered = bare_packet(htmls, renderer.base_url, bare_fonts)
            seconds, cpu_seconds = watch.read()
            wall["bare"].append(seconds)
            cpu["bare"].append(cpu_seconds)
            pages["bare"] = rendered.pages

        render()
        bare()
        for series in (*wall.values(), *cpu.values()):
            series.clear()  # the warm-up does not count
        paths = [issue, render, bare]
        for rep in range(reps):
            for path in paths[rep % 3 :] + paths[: rep % 3]:  # rotated: drift hits each alike
                path()
        if len(set(pages.values())) != 1:
            raise AssertionError(f"the paths laid out different page counts: {pages}")
    finally:
        db.dispose()
    median = {k: statistics.median(v) for k, v in wall.items()}
    median_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    service_part = statistics.median(
        t - i for t, i in zip(wall["issue"], wall["in_issue"], strict=True)
    )
    return {
        "application_id": app_id,
        "process": wanted.partition(":")[0],
        "stage": stage,
        "documents": names,
        "pages": pages["bare"],
        "html_chars": sum(len(h) for h in htmls),
        "reps": reps,
        "wall_s": {k: [round(s, 4) for s in v] for k, v in wall.items()},
        "cpu_s": {k: [round(s, 4) for s in v] for k, v in cpu.items()},
        "median_s": {k: round(v, 4) for k, v in median.items()},
        "median_cpu_s": {k: round(v, 4) for k, v in median_cpu.items()},
        "service_overhead_s": round(service_part, 4),
        "ratio_render": round(median["render"] / median["bare"], 3),
        "ratio_issue": round(median["issue"] / median["bare"], 3),
        "ratio_render_cpu": round(median_cpu["render"] / median_cpu["bare"], 3),
        "ratio_issue_cpu": round(median_cpu["issue"] / median_cpu["bare"], 3),
        "target": OVERHEAD_TARGET,
    }


# ------------------------------------------------------------------------------- 2. throughput
def _project_worker(
    db_path: str, store: str, items: list[Item], barrier: Any, results: Any
) -> None:
    try:
        db = connect(_url(Path(db_path)))
        renderer = Renderer()
        service = PacketService(db, _settings(Path(store)), renderer=renderer)
        # A worker that has been running: fonts loaded, every guide of its mix laid out.
        today = service.today()
        warmed: set[str] = set()
        for number, item in enumerate(items):
            guides = [n for n in item.documents if renderer.is_static(n) and n not in warmed]
            if number and not guides:
                continue
            ctx = packet_context(
                db, service.registry, service.office, renderer.version, item.app_id, today
            )
            if number == 0:
                fresh_packet(renderer, ctx)
            for name in guides:
                renderer.document(name, ctx)
            warmed.update(guides)
        barrier.wait()
        started, cpu = time.monotonic(), time.process_time()
        pages = 0
        outcomes: Counter[str] = Counter()
        for item in items:
            stored = service.issue(item.app_id, item.stage, LANG)
            outcomes[stored.outcome] += 1
            pages += stored.pages
        results.put(
            {
                "start": started,
                "end": time.monotonic(),
                "cpu": time.process_time() - cpu,
                "packets": len(items),
                "pages": pages,
                "outcomes": outcomes,
            }
        )
        db.dispose()
    except BaseException as error:
        barrier.abort()
        results.put({"error": f"{type(error).__name__}: {error}"})


def _naive_worker(
    db_path: str,
    store: str,
    items: list[Item],
    barrier: Any,
    results: Any,
    shared: bool = False,
) -> None:
    try:
        db = connect(_url(Path(db_path)))
        renderer = Renderer()  # only for its Jinja2 templates and the office's letterhead
        service = PacketService(db, _settings(Path(store)), renderer=renderer)
        registry, office, version = service.registry, service.office, renderer.version
        today = service.today()
        ctx = packet_context(db, registry, office, version, items[0].app_id, today)
        store_by_hash(Path(store) / "warm", naive_packet(renderer, ctx).data)
        barrier.wait()
        started, cpu = time.monotonic(), time.process_time()
        pages = 0
        for item in items:
            ctx = packet_context(db, registry, office, version, item.app_id, today, item.stage)
            rendered = naive_packet(renderer, ctx, shared)
            store_by_hash(Path(store), rendered.data)
            pages += rendered.pages
        results.put(
            {
                "start": started,
                "end": time.monotonic(),
                "cpu": time.process_time() - cpu,
                "packets": len(items),
                "pages": pages,
                "outcomes": Counter(issued=len(items)),
            }
        )
        db.dispose()
    except BaseException as error:
        barrier.abort()
        results.put({"error": f"{type(error).__name__}: {error}"})


def run_workers(
    target: Callable[[str, str, list[Item], Any, Any], None],
    db_path: Path,
    store: Path,
    chunks: list[list[Item]],
) -> dict[str, Any]:
    """Run ``target`` on each chunk in its own spawned process; wall clock from the barrier."""
    barrier = _SPAWN.Barrier(len(chunks))
    results = _SPAWN.Queue()
    processes = [
        _SPAWN.Process(
            target=target, args=(str(db_path), str(store / f"w{k}"), chunk, barrier, results)
        )
        for k, chunk in enumerate(chunks)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = [results.get(timeout=900) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=60)
    errors = [o["error"] for o in outcomes if "error" in o]
    if errors:
        raise RuntimeError("; ".join(errors))
    wall = max(o["end"] for o in outcomes) - min(o["start"] for o in outcomes)
    packets = sum(o["packets"] for o in outcomes)
    return {
        "processes": len(chunks),
        "packets": packets,
        "outcomes": dict(sum((o["outcomes"] for o in outcomes), Counter())),
        "pages": sum(o["pages"] for o in outcomes),
        "seconds": round(wall, 3),
        "packets_per_s": round(packets / wall, 3),
        "pages_per_s": round(sum(o["pages"] for o in outcomes) / wall, 2),
        "cpu_s_per_packet": round(sum(o["cpu"] for o in outcomes) / packets, 3),
        # What the wall-clock rate would be with a core to itself for each process.
        "cpu_bound_per_s": round(len(chunks) * packets / sum(o["cpu"] for o in outcomes), 3),
    }


def measure_throughput(demo: Demo, limit: int, single: int, first: int) -> dict[str, Any]:
    """Packets per second of the project and the naive pipeline: on the packets the demo's
    transitions asked for, with two processes and one, and on first issues of the packets the
    applications wait for now."""
    chunks = by_application(demo.transitions, WORKERS, limit)
    one = by_application(demo.transitions, 1, single)
    current = split(evenly(split(demo.items, 1)[0], first or len(demo.items)), WORKERS)
    plan: list[tuple[str, Any, list[list[Item]]]] = [
        ("project x2", _project_worker, chunks),
        ("naive x2", _naive_worker, chunks),
        ("shared x2", partial(_naive_worker, shared=True), chunks),
        ("project x1", _project_worker, one),
        ("naive x1", _naive_worker, one),
        ("shared x1", partial(_naive_worker, shared=True), one),
        ("project x2 first", _project_worker, current),
        ("naive x2 first", _naive_worker, current),
        ("shared x2 first", partial(_naive_worker, shared=True), current),
    ]
    runs: dict[str, dict[str, Any]] = {}
    for label, target, parts in plan:
        _log(f"  {label}: {sum(len(p) for p in parts)} packets ...")
        if target is _project_worker:
            db_path = _copy_db(demo.db_path, demo.tmp / f"{label.replace(' ', '')}.db")
        else:
            db_path = demo.db_path
        runs[label] = run_workers(target, db_path, demo.tmp / f"store-{label}", parts)
    if runs["project x2 first"]["outcomes"] != {"issued": sum(map(len, current))}:
        raise AssertionError(f"first issues were not all issued: {runs['project x2 first']}")
    items = [item for chunk in chunks for item in chunk]

    def ratio(label: str, baseline: str = "naive") -> float:
        project, other = runs[label], runs[label.replace("project", baseline)]
        return round(float(project["packets_per_s"]) / float(other["packets_per_s"]), 3)

    return {
        "packets": len(items),
        "applications": len({item.app_id for item in items}),
        "mix": dict(Counter(f"{i.process} {i.stage}" for i in items).most_common()),
        "first_mix": dict(
            Counter(f"{i.process} {i.stage}" for c in current for i in c).most_common()
        ),
        "runs": runs,
        "ratio_x2": ratio("project x2"),
        "ratio_x1": ratio("project x1"),
        "ratio_first": ratio("project x2 first"),
        "ratio_shared_x2": ratio("project x2", "shared"),
        "ratio_shared_x1": ratio("project x1", "shared"),
        "ratio_shared_first": ratio("project x2 first", "shared"),
        "ratio_cpu": round(
            runs["naive x2"]["cpu_s_per_packet"] / runs["project x2"]["cpu_s_per_packet"], 3
        ),
        "scaling_project": round(
            runs["project x2"]["packets_per_s"] / runs["project x1"]["packets_per_s"], 2
        ),
        "target_ratio": RATE_RATIO_TARGET,
        "target_rate": RATE_TARGET,
    }


# ------------------------------------------------------------------------------- 3. memory
def _memory_worker(db_path: str, items: list[Item], renders: int, every: int, results: Any) -> None:
    try:
        db = connect(_url(Path(db_path)))
        renderer = Renderer()
        service = PacketService(
            db, _settings(Path(db_path).parent / "store-memory"), renderer=renderer
        )
        today = service.today()
        contexts = [
            packet_context(db, service.registry, service.office, renderer.version, i.app_id, today)
            for i in items
        ]
        db.dispose()
        gc.collect()
        samples = [(0, 0.0, rss_mb())]
        started = time.perf_counter()
        for done in range(1, renders + 1):
            fresh_packet(renderer, contexts[(done - 1) % len(contexts)])
            if done % every == 0 or done == renders:
                gc.collect()
                samples.append((done, time.perf_counter() - started, rss_mb()))
        results.put({"samples": samples})
    except BaseException as error:
        results.put({"error": f"{type(error).__name__}: {error}"})


def measure_memory(demo: Demo, renders: int, every: int) -> dict[str, Any]:
    """RSS growth over ``renders`` packets in one fresh process."""
    items = split(demo.items, 1)[0]
    results = _SPAWN.Queue()
    process = _SPAWN.Process(
        target=_memory_worker, args=(str(demo.db_path), items, renders, every, results)
    )
    process.start()
    try:
        outcome = results.get(timeout=3600)
    finally:
        process.join(timeout=60)
    if "error" in outcome:
        raise RuntimeError(outcome["error"])
    samples: list[tuple[int, float, float]] = outcome["samples"]
    warm = samples[1] if len(samples) > 2 else samples[0]
    end = samples[-1]
    return {
        "renders": renders,
        "every": every,
        "distinct_packets": len(items),
        "samples": [
            {"renders": n, "seconds": round(s, 2), "rss_mb": round(r, 1)} for n, s, r in samples
        ],
        "warm_at": warm[0],
        "rss_warm_mb": round(warm[2], 1),
        "rss_end_mb": round(end[2], 1),
        "growth_mb": round(end[2] - warm[2], 1),
        "renders_per_s": round(renders / end[1], 3) if end[1] else None,
        "target_mb": MEMORY_TARGET_MB,
    }


# ------------------------------------------------------------------------------- profile
_GROUPS = (
    ("weasyprint/layout", "WeasyPrint layout"),
    ("weasyprint/text", "WeasyPrint text (Pango)"),
    ("weasyprint/css", "WeasyPrint CSS cascade/parse"),
    ("weasyprint/draw", "WeasyPrint drawing (write_pdf)"),
    ("weasyprint/pdf", "WeasyPrint PDF assembly/fonts"),
    ("weasyprint/svg", "WeasyPrint SVG (logo, QR)"),
    ("weasyprint/formatting_structure", "WeasyPrint box building"),
    ("weasyprint", "WeasyPrint other"),
    ("pydyf", "pydyf (PDF objects)"),
    ("cssselect2", "cssselect2 (selector matching)"),
    ("tinycss2", "tinycss2 (CSS tokenizing)"),
    ("html5lib", "html5lib (HTML parsing)"),
    ("jinja2", "Jinja2"),
    ("segno", "segno (QR)"),
    ("sqlalchemy", "SQLAlchemy"),
    ("fontTools", "fontTools"),
    ("cffi", "cffi"),
    ("/documents/", "sertiflow documents/"),
    ("/workflow/", "sertiflow workflow/"),
)


def profile_issue(demo: Demo, wanted: str, n: int, top: int) -> None:
    """cProfile ``n`` fresh issues of the representative packet; time by library, then the top
    functions."""
    app_id, stage = pick_representative(demo.items, wanted)
    db = connect(_url(_copy_db(demo.db_path, demo.tmp / "profile.db")))
    service = PacketService(db, _settings(demo.tmp / "store-profile"))

    def fresh_issue() -> None:
        with db.begin() as conn:
            conn.execute(sa.delete(PACKETS).where(PACKETS.c.application_id == app_id))
            conn.execute(sa.delete(DOCUMENTS).where(DOCUMENTS.c.application_id == app_id))
        service.issue(app_id, stage, LANG)

    fresh_issue()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        fresh_issue()
    profiler.disable()
    db.dispose()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    total = sum(tottime for (_, _, tottime, _, _) in raw.values())
    grouped: dict[str, float] = {}
    for (filename, _, _), (_, _, tottime, _, _) in raw.items():
        label = next((g for key, g in _GROUPS if key in filename), "other (C builtins, stdlib)")
        grouped[label] = grouped.get(label, 0.0) + tottime
    print(f"cProfile: {n} fresh PacketService.issue of {wanted} (#{app_id}), own time by library")
    print_table(
        ["where", "seconds", "share %", "ms per packet"],
        [
            [g, s, 100 * s / total, 1000 * s / n]
            for g, s in sorted(grouped.items(), key=lambda kv: -kv[1])
        ],
    )
    print()
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


# ------------------------------------------------------------------------------- output
def library_versions() -> dict[str, str]:
    """``bench.common.versions`` plus what rendering depends on."""
    return {**versions(), **rendering_libraries(), "Jinja2": metadata.version("Jinja2")}


def report(result: dict[str, Any]) -> None:
    """Print the figures as tables with the verdicts."""
    print("versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()))
    load = result["load_average"]
    print(f"load average (1 min) at start {load['start']:.2f}, at end {load['end']:.2f}")
    demo = result["demo"]
    print(
        f"demo office: {demo['umkm']} UMKM + {demo['cooperatives']} cooperatives, "
        f"{demo['applications']} applications, {demo['transitions']} transitions, "
        f"{demo['with_packets']} waiting for a packet (built in {demo['seconds']} s)"
    )
    over = result.get("overhead")
    if over:
        print()
        print(
            f"1. overhead: {over['process']} {over['stage']} packet of #{over['application_id']}, "
            f"{len(over['documents'])} documents, {over['pages']} pages, "
            f"median of {over['reps']} interleaved repetitions"
        )
        m, c = over["median_s"], over["median_cpu_s"]
        rows: list[list[object]] = [
            ["bare WeasyPrint, same HTML", m["bare"], c["bare"], 1.0, 1.0],
            [
                "project: documents + combine + sha256",
                m["render"],
                c["render"],
                m["render"] / m["bare"],
                c["render"] / c["bare"],
            ],
            [
                "project: PacketService.issue (first)",
                m["issue"],
                c["issue"],
                m["issue"] / m["bare"],
                c["issue"] / c["bare"],
            ],
            ["  of which the Renderer", m["in_issue"], "", m["in_issue"] / m["bare"], ""],
            [
                "  of which the service",
                over["service_overhead_s"],
                "",
                over["service_overhead_s"] / m["bare"],
                "",
            ],
        ]
        print_table(["path", "wall s", "CPU s", "wall / bare", "CPU / bare"], rows)
        verdict = "meets" if over["ratio_render"] <= OVERHEAD_TARGET else "MISSES"
        print(
            f"render / bare = {over['ratio_render']:.3f} wall, {over['ratio_render_cpu']:.3f} "
            f"CPU ({verdict} the target <= {OVERHEAD_TARGET}); issue / bare = "
            f"{over['ratio_issue']:.3f} wall, {over['ratio_issue_cpu']:.3f} CPU; the service "
            "(facts, context, lookup, hash, store, signed record) "
            f"{1000 * over['service_overhead_s']:.0f} ms"
        )

    thr = result.get("throughput")
    if thr:
        print()
        print(
            f"2. packets per second: the {thr['packets']} packets the transitions of "
            f"{thr['applications']} applications asked for, mix: "
            + ", ".join(f"{k} {v}" for k, v in thr["mix"].items())
        )
        print(
            "   'first': first issues of the current stages' packets, mix: "
            + ", ".join(f"{k} {v}" for k, v in thr["first_mix"].items())
        )
        runs = thr["runs"]
        rows = []
        for label, run in runs.items():
            naive = runs[label.replace("project", "naive")]
            rows.append(
                [
                    label,
                    run["packets"],
                    ", ".join(f"{k} {v}" for k, v in sorted(run["outcomes"].items())),
                    run["pages"],
                    run["seconds"],
                    run["packets_per_s"],
                    run["pages_per_s"],
                    run["packets_per_s"] / naive["packets_per_s"],
                    run["cpu_s_per_packet"],
                    run["cpu_bound_per_s"],
                    run["cpu_bound_per_s"] / naive["cpu_bound_per_s"],
                ]
            )
        headers = ["pipeline", "packets", "outcomes", "pages", "wall s", "packets/s", "pages/s"]
        headers.append("/ naive")
        print_table([*headers, "CPU s each", "CPU-bound /s", "/ naive"], rows)
        rate = runs["project x2"]["packets_per_s"]
        bound = runs["project x2"]["cpu_bound_per_s"]
        ratio_verdict = "meets" if thr["ratio_x2"] >= RATE_RATIO_TARGET else "MISSES"
        print(
            f"project / naive with {WORKERS} processes: {thr['ratio_x2']:.2f} wall, "
            f"{thr['ratio_cpu']:.2f} CPU ({ratio_verdict}"
            f" the target >= {RATE_RATIO_TARGET:.0f}x); project {rate:.2f} packets/s wall, "
            f"{bound:.2f} CPU-bound ({'meets' if rate >= RATE_TARGET else 'MISSES'} the target "
            f">= {RATE_TARGET:.0f}/s); 2 processes / 1 = {thr['scaling_project']:.2f}; "
            f"1 process: {thr['ratio_x1']:.2f}x; first issues only: {thr['ratio_first']:.2f}x"
        )
        print(
            "against the stronger 'shared' baseline (one font configuration and stylesheet per "
            f"packet, not per render): {thr['ratio_shared_x2']:.2f}x with {WORKERS} processes, "
            f"{thr['ratio_shared_x1']:.2f}x with 1, {thr['ratio_shared_first']:.2f}x on first "
            "issues (no target: the issue's naive pipeline makes them per render)"
        )
        print(
            "CPU-bound /s = processes / CPU seconds per packet, the rate if each process had a "
            "core to itself: the figure to trust when the load average is well above 0"
        )
    mem = result.get("memory")
    if mem:
        print()
        print(
            f"3. memory: {mem['renders']} packets laid out in one process over "
            f"{mem['distinct_packets']} packets, RSS after gc.collect() every {mem['every']}"
        )
        rows = []
        for sample in mem["samples"]:
            since = (
                sample["rss_mb"] - mem["rss_warm_mb"] if sample["renders"] >= mem["warm_at"] else ""
            )
            rows.append([sample["renders"], sample["seconds"], sample["rss_mb"], since])
        print_table(["renders", "seconds", "RSS MB", "MB since warm"], rows)
        verdict = "meets" if mem["growth_mb"] < MEMORY_TARGET_MB else "MISSES"
        print(
            f"growth from {mem['warm_at']} renders to {mem['renders']}: {mem['growth_mb']} MB "
            f"({verdict} the target < {MEMORY_TARGET_MB:.0f} MB)"
        )
    print()
    print(f"total {result['total_seconds']} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="The defaults take about 3 minutes on 2 idle cores; --only memory --renders 500 "
        "gives the memory figure over 500 packets (about 4 minutes).",
    )
    add = parser.add_argument
    add("--apps", type=int, default=300, help="demo UMKM and applications (300)")
    add("--seed", type=int, default=7, help="demo random seed (7)")
    add(
        "--packet",
        default="halal_regular:SUBMITTED",
        help="PROCESS:STAGE of the overhead packet (halal_regular:SUBMITTED)",
    )
    add("--reps", type=int, default=5, help="timed repetitions of each overhead path (5)")
    add(
        "--packets",
        type=int,
        default=80,
        help="about this many of the transitions' packets in the 2-process runs (80; 0: all)",
    )
    add("--single", type=int, default=16, help="about this many in the 1-process runs (16)")
    add(
        "--first",
        type=int,
        default=0,
        help="first issues of the current stages' packets (0: every application waiting)",
    )
    add("--renders", type=int, default=150, help="packets laid out in the memory run (150)")
    add("--every", type=int, default=50, help="RSS sample interval in renders (50)")
    add(
        "--only",
        choices=("overhead", "throughput", "memory"),
        action="append",
        help="run only this part (repeatable; all three by default)",
    )
    add("--json", action="store_true", help="print one JSON object")
    add(
        "--profile",
        action="store_true",
        help="instead: cProfile --reps fresh issues of the overhead packet",
    )
    add("--top", type=int, default=25, help="functions listed by --profile (25)")
    args = parser.parse_args(argv)
    if (
        min(args.apps, args.reps, args.single, args.renders, args.every) < 1
        or min(args.packets, args.first) < 0
    ):
        parser.error("counts must be positive")
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    only = set(args.only or ("overhead", "throughput", "memory"))
    _log(f"building the demo office ({args.apps} UMKM and applications) ...")
    with demo_office(args.apps, args.seed) as demo:
        missing = missing_templates(Renderer(), demo.items)
        if missing:
            print("templates not shipped yet: " + ", ".join(missing), file=sys.stderr)
            return 2
        if args.profile:
            profile_issue(demo, args.packet, args.reps, args.top)
            return 0
        result: dict[str, Any] = {"benchmark": "packets", "versions": library_versions()}
        result["demo"] = {
            **demo.summary,
            "with_packets": len(demo.items),
            "seconds": round(demo.build_seconds, 1),
        }
        if "overhead" in only:
            _log("1. overhead vs bare WeasyPrint ...")
            result["overhead"] = measure_overhead(demo, args.packet, args.reps)
        if "throughput" in only:
            _log("2. packets per second ...")
            result["throughput"] = measure_throughput(demo, args.packets, args.single, args.first)
        if "memory" in only:
            _log(f"3. memory over {args.renders} renders ...")
            result["memory"] = measure_memory(demo, args.renders, args.every)
    result["load_average"] = {"start": load_start, "end": os.getloadavg()[0]}
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
