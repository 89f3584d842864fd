"""The backlog figures as the admin dashboard and its CSV export show them.

``workflow.backlog.compute_backlog`` decides every figure; this module only names them in the
page's language (process titles and stage labels from the process registry) and turns them into
rows: each row of a chart carries its bar's length as a share of the largest, for a CSS bar.
``TABLES`` are the tables the CSV export offers, each with a fixed header.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from workflow.backlog import AGE_BUCKETS, Backlog, DwellRow, GroupRow, StateRow
from workflow.processes import ProcessRegistry, UnknownProcess

__all__ = ["TABLES", "Bar", "Figures", "figures_of", "process_titles", "table_rows"]

COURTS = ("umkm", "consultant", "agency")


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a chart: its name, its value and the bar's length in percent of the
    largest (a value above zero always shows at least a sliver)."""

    name: str
    value: float
    percent: float
    overdue_percent: float = 0.0
    kind: str = ""


@dataclass(frozen=True)
class Figures:
    """What the dashboard prints, in one language."""

    backlog: Backlog
    process_names: dict[str, str]
    state_names: dict[tuple[str, str], str]
    by_process: list[Bar]
    by_consultant: list[Bar]
    by_regency: list[Bar]
    ages: list[Bar]
    courts: list[Bar]
    dwell: list[DwellRow]

    def process(self, key: str) -> str:
        """A process's title in the page's language."""
        return self.process_names.get(key, key)

    def stage(self, process: str, state: str) -> str:
        """A stage's label in the page's language."""
        return self.state_names.get((process, state), state)


def process_titles(registry: ProcessRegistry, lang: str) -> list[tuple[str, str]]:
    """Every process's key and title in ``lang``, in the registry's order."""
    keys = registry.keys()
    titles = [(key, registry.get(key)) for key in keys]
    return [(key, d.title_en if lang == "en" else d.title) for key, d in titles]


def _percent(value: float, largest: float) -> float:
    if value <= 0 or largest <= 0:
        return 0.0
    return max(1.5, round(100.0 * value / largest, 1))


def _bars(groups: Sequence[GroupRow], name: Callable[[GroupRow], str]) -> list[Bar]:
    largest = max((g.open for g in groups), default=0)
    return [
        Bar(
            name(g),
            g.open,
            _percent(g.open, largest),
            round(100.0 * g.overdue / g.open, 1) if g.open else 0.0,
        )
        for g in groups
    ]


def _amounts(items: Sequence[tuple[str, float, str]]) -> list[Bar]:
    largest = max((value for _, value, _ in items), default=0.0)
    return [Bar(name, value, _percent(value, largest), kind=kind) for name, value, kind in items]


def figures_of(backlog: Backlog, registry: ProcessRegistry, lang: str) -> Figures:
    """The dashboard's figures of ``backlog`` named in ``lang`` ("id" or "en"); whose court
    and "not assigned" are left to the templates' catalog (a court bar's name is its key, an
    unassigned consultant's is empty)."""
    english = lang == "en"
    processes: dict[str, str] = {}
    states: dict[tuple[str, str], str] = {}
    keys = {row.process for row in backlog.by_state} | {row.process for row in backlog.dwell}
    keys |= {g.key for g in backlog.by_process} | {r.process for r in backlog.after_certificate}
    for key in keys:
        try:
            definition = registry.get(key)
        except UnknownProcess:
            processes[key] = key
            continue
        processes[key] = definition.title_en if english else definition.title
        for name, state in definition.states.items():
            states[(key, name)] = state.label_en if english else state.label
    ages = [
        (label.replace(" hari", " days") if english else label, backlog.age_buckets.get(label, 0))
        for label, _days in AGE_BUCKETS
    ]
    return Figures(
        backlog,
        processes,
        states,
        _bars(backlog.by_process, lambda g: processes.get(g.key, g.name)),
        _bars(backlog.by_consultant, lambda g: g.name if g.key else ""),
        _bars(backlog.by_regency, lambda g: g.name or g.key),
        _amounts([(label, float(n), "age") for label, n in ages]),
        _amounts([(c, round(backlog.waiting_by_court.get(c, 0.0), 1), c) for c in COURTS]),
        sorted(backlog.dwell, key=lambda row: -row.held_days),
    )


def _stage_rows(f: Figures) -> list[list[object]]:
    return [_stage_row(f, s) for s in f.backlog.by_state]


def _stage_row(f: Figures, s: StateRow) -> list[object]:
    average = round(s.waiting_days / s.open, 1) if s.open else ""
    return [
        s.process,
        s.state,
        f.stage(s.process, s.state),
        s.court,
        s.open,
        s.overdue,
        s.overdue_law,
        s.overdue_target,
        s.deadline_kind or "",
        average,
    ]


def _group_rows(groups: Sequence[GroupRow]) -> list[list[object]]:
    return [[g.key, g.name, g.open, g.overdue, g.overdue_law, g.overdue_target] for g in groups]


def _dwell_rows(f: Figures) -> list[list[object]]:
    return [
        [
            d.process,
            d.state,
            f.stage(d.process, d.state),
            d.court,
            d.stays,
            round(d.median_days, 1),
            round(d.p90_days, 1),
            round(d.held_days, 1),
        ]
        for d in f.dwell
    ]


_GROUP_HEADER = ["key", "name", "open", "overdue", "overdue_law", "overdue_target"]
TABLES: dict[str, tuple[list[str], Callable[[Figures], list[list[object]]]]] = {
    "stages": (
        [
            *("process", "state", "label", "court", "open", "overdue", "overdue_law"),
            *("overdue_target", "deadline_kind", "average_days_waiting"),
        ],
        _stage_rows,
    ),
    "processes": (_GROUP_HEADER, lambda f: _group_rows(f.backlog.by_process)),
    "consultants": (_GROUP_HEADER, lambda f: _group_rows(f.backlog.by_consultant)),
    "regencies": (_GROUP_HEADER, lambda f: _group_rows(f.backlog.by_regency)),
    "ages": (
        ["age", "open"],
        lambda f: [[label, f.backlog.age_buckets.get(label, 0)] for label, _ in AGE_BUCKETS],
    ),
    "dwell": (
        ["process", "state", "label", "court", "stays", "median_days", "p90_days", "held_days"],
        _dwell_rows,
    ),
    "courts": (
        ["court", "waiting_days"],
        lambda f: [[c, round(f.backlog.waiting_by_court.get(c, 0.0), 1)] for c in COURTS],
    ),
    "after_certificate": (
        ["process", "check", "certificates", "due_within_30_days", "past_due"],
        lambda f: [
            [r.process, r.check, r.certificates, r.due_soon, r.past_due]
            for r in f.backlog.after_certificate
        ],
    ),
}
"""The CSV export's tables: name -> (header, rows of the figures)."""


def table_rows(figures: Figures, table: str) -> tuple[list[str], list[list[object]]]:
    """The header and rows of the CSV table ``table`` (one of ``TABLES``)."""
    header, rows = TABLES[table]
    return header, rows(figures)
