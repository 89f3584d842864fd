"""The admin's backlog report as a PDF: a summary, charts and tables of where applications wait.

``render_backlog_report(renderer, backlog, office, lang)`` turns a ``workflow.backlog.Backlog``
into the document ``report/backlog``. The charts are drawn here as SVG and handed to the template
as ``data:`` URIs (the only kind of URL besides packaged assets that the fetcher serves); the
template prints them with ``<img class="chart">`` and keeps autoescaping on. Every piece of text
that ends up in an SVG is escaped and stripped of characters XML cannot hold, since consultant and
regency names come from users.

Charts stay readable with no rows (a "no data" panel), with one value that dwarfs the rest (every
non-zero bar keeps a visible sliver and is labelled with its number) and with many rows (the
largest rows are drawn and the rest are summed into one "others" bar; the tables list them all).
Stage and process names are those the backlog carries; in English they are replaced by the
registry's English names where the registry knows the stage under the same Indonesian name.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import arabic_reshaper
from babel.numbers import format_decimal
from bidi import get_display

from documents.context import OfficeInfo
from documents.formatting import number, tr
from documents.render import RenderedPdf, Renderer
from workflow.backlog import AGE_BUCKETS, Backlog, DwellRow, GroupRow, StateRow
from workflow.processes import ProcessRegistry, UnknownProcess

__all__ = ["TEMPLATE", "render_backlog_report"]

TEMPLATE = "report/backlog"
"""The report's template, ``templates/documents/report/backlog.html.j2``."""

_WIDTH = 760
_FONT = "Sertiflow Sans, DejaVu Sans, sans-serif"
_OPEN_COLOUR = "#5b84b8"
_OVERDUE_COLOUR = "#b8322a"
_AGE_COLOUR = "#1a3d6d"
_COURT_COLOURS = {"umkm": "#d08a1e", "consultant": "#3a8a4f", "agency": "#1a3d6d"}
_COURT_ORDER = ("umkm", "consultant", "agency")
_MAX_BARS = 15
_LABEL_CHARS = 34
_MIN_BAR = 1.5
_CHAR = 7.4  # the width of a digit of the 12-unit chart font, roughly
# Characters XML 1.0 cannot hold (C0 controls but tab/newline, surrogates, U+FFFE/U+FFFF) and
# bidirectional controls that would reorder a chart label.
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")  # Hebrew, Arabic and their forms
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff\u202a-\u202e]")


@dataclass(frozen=True, slots=True)
class StageLine:
    """One row of the open-applications-by-stage table."""

    process: str
    label: str
    court: str
    open: int
    overdue: int
    average_days: float | None
    deadline_kind: str = "-"  # the stage's deadline in words: a legal limit or a target


@dataclass(frozen=True, slots=True)
class GroupLine:
    """One row of the by-process, by-consultant and by-regency tables."""

    name: str
    open: int
    overdue: int
    overdue_percent: float | None


@dataclass(frozen=True, slots=True)
class AmountLine:
    """A named amount and its share of the total (age buckets, waiting by court)."""

    name: str
    amount: float
    percent: float | None


@dataclass(frozen=True, slots=True)
class DwellLine:
    """One row of the dwell-time table."""

    process: str
    label: str
    court: str
    stays: int
    median_days: float
    p90_days: float
    held_days: float


def render_backlog_report(
    renderer: Renderer, backlog: Backlog, office: OfficeInfo, lang: str = "id"
) -> RenderedPdf:
    """The backlog report in ``lang`` ("id" or "en") on ``office``'s letterhead, as a PDF."""
    names = _Names(backlog, lang)
    by_process = [_group(g, names.process(g.key, g.name)) for g in backlog.by_process]
    by_consultant = [_group(g, names.consultant(g)) for g in backlog.by_consultant]
    by_regency = [_group(g, g.name or g.key) for g in backlog.by_regency]
    ages = _shares([(names.age(label), float(n)) for label, n in _age_items(backlog)])
    court_items = _court_items(backlog.waiting_by_court)
    courts = _shares([(names.court(court, long=True), days) for court, days in court_items])
    dwell = [names.dwell(row) for row in sorted(backlog.dwell, key=lambda r: -r.held_days)]
    heaviest = backlog.heaviest_stage
    charts = {
        "process": _bar_chart(by_process, lang),
        "regency": _bar_chart(by_regency, lang),
        "consultant": _bar_chart(by_consultant, lang),
        "age": _column_chart(
            [(line.name, line.amount, _AGE_COLOUR) for line in ages],
            lang,
            unit=("", ""),
        ),
        "court": _column_chart(
            [
                (line.name, line.amount, _COURT_COLOURS.get(court, _AGE_COLOUR))
                for line, (court, _) in zip(courts, court_items, strict=True)
            ],
            lang,
            unit=(" hari-aplikasi", " application-days"),
        ),
    }
    html = renderer.html(
        TEMPLATE,
        None,
        lang,
        report=backlog,
        office=office,
        as_of_time=_local_time(backlog.as_of, office.timezone, lang),
        persen=partial(_percent_text, lang=lang),
        overdue_percent=_percent(backlog.overdue_total, backlog.open_total),
        stages=[names.stage(row) for row in _ordered_states(backlog.by_state)],
        by_process=by_process,
        by_consultant=by_consultant,
        by_regency=by_regency,
        ages=ages,
        dwell=dwell,
        heaviest=None if heaviest is None else names.dwell(heaviest),
        courts=courts,
        charts={key: _data_uri(svg) for key, svg in charts.items()},
        chart_rows=_MAX_BARS,
        charts_cut=max(len(by_process), len(by_regency), len(by_consultant)) > _MAX_BARS,
    )
    return renderer.pdf(html)


# Names ------------------------------------------------------------------------------------------


@cache
def _registry() -> ProcessRegistry:
    return ProcessRegistry()


class _Names:
    """Process, stage, court and consultant names in the report's language."""

    def __init__(self, backlog: Backlog, lang: str) -> None:
        self.lang = lang
        self.titles = {g.key: g.name for g in backlog.by_process if g.name}

    def process(self, key: str, name: str = "") -> str:
        try:
            definition = _registry().get(key)
        except UnknownProcess:
            return name or self.titles.get(key, key)
        if self.lang == "en":
            return definition.title_en
        return name or self.titles.get(key) or definition.title

    def label(self, process: str, state: str, label: str) -> str:
        if self.lang != "en":
            return label or state
        try:
            known = _registry().get(process).states.get(state)
        except UnknownProcess:
            known = None
        if known is not None and known.label == label:
            return known.label_en
        return label or state

    def court(self, court: str, long: bool = False) -> str:
        if long:
            names = {
                "umkm": tr(self.lang, "Pelaku usaha (UMKM)", "Business (UMKM)"),
                "consultant": tr(self.lang, "Konsultan PLUT", "PLUT consultant"),
                "agency": tr(
                    self.lang, "Instansi (BPJPH/LPH/DJKI/LSPro)", "Agencies (BPJPH/LPH/DJKI/LSPro)"
                ),
            }
        else:
            names = {
                "umkm": "UMKM",
                "consultant": tr(self.lang, "Konsultan", "Consultant"),
                "agency": tr(self.lang, "Instansi", "Agency"),
            }
        return names.get(court, court or "-")

    def consultant(self, group: GroupRow) -> str:
        if not group.key:
            return tr(self.lang, "(belum ditugaskan)", "(not assigned)")
        return group.name or group.key

    def age(self, label: str) -> str:
        return label.replace(" hari", " days") if self.lang == "en" else label

    def stage(self, row: StateRow) -> StageLine:
        return StageLine(
            _clean(self.process(row.process)),
            _clean(self.label(row.process, row.state, row.label)),
            self.court(row.court),
            row.open,
            row.overdue,
            row.waiting_days / row.open if row.open else None,
            {
                "law": tr(self.lang, "hukum", "law"),
                "target": tr(self.lang, "target layanan", "service target"),
            }.get(row.deadline_kind or "", "-"),
        )

    def dwell(self, row: DwellRow) -> DwellLine:
        return DwellLine(
            _clean(self.process(row.process)),
            _clean(self.label(row.process, row.state, row.label)),
            self.court(row.court),
            row.stays,
            row.median_days,
            row.p90_days,
            row.held_days,
        )


def _ordered_states(rows: Sequence[StateRow]) -> list[StateRow]:
    """Stages in the registry's order of processes and states; unknown ones last, by name."""
    registry = _registry()
    keys = registry.keys()

    def rank(row: StateRow) -> tuple[int, int, str, str]:
        if row.process not in keys:
            return (len(keys), 0, row.process, row.state)
        states = list(registry.get(row.process).states)
        position = states.index(row.state) if row.state in states else len(states)
        return (keys.index(row.process), position, row.process, row.state)

    return sorted(rows, key=rank)


_ZONES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
"""Indonesia's time zones by the names people read on a clock."""


def _local_time(moment: datetime, timezone: str, lang: str) -> str:
    """``moment`` (naive UTC) on the office's clock: ``14.05 WIT`` (id) or ``14:05 WIT``."""
    zone = ZoneInfo(timezone)
    local = moment.replace(tzinfo=UTC).astimezone(zone)
    name = _ZONES.get(timezone) or local.strftime("%Z")
    return f"{local.strftime('%H.%M' if lang == 'id' else '%H:%M')} {name}"


def _percent_text(value: float | None, lang: str) -> str:
    """A percentage always with one decimal: ``12,5%`` and ``12,0%`` (id), ``12.5%`` (en)."""
    if value is None:
        return "-"
    locale = "en_GB" if lang == "en" else "id_ID"  # as documents.formatting.number
    return format_decimal(round(value, 1), format="#,##0.0", locale=locale) + "%"


def _percent(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _group(group: GroupRow, name: str) -> GroupLine:
    return GroupLine(
        _clean(name) or group.key or "-",
        group.open,
        group.overdue,
        _percent(group.overdue, group.open),
    )


def _age_items(backlog: Backlog) -> list[tuple[str, int]]:
    """The age buckets in order, the known ones first; none when the backlog has no buckets."""
    if not backlog.age_buckets:
        return []
    known = [label for label, _ in AGE_BUCKETS]
    extra = [label for label in backlog.age_buckets if label not in known]
    return [(label, backlog.age_buckets.get(label, 0)) for label in known + extra]


def _court_items(waiting: dict[str, float]) -> list[tuple[str, float]]:
    courts = [c for c in _COURT_ORDER if c in waiting]
    courts += sorted(c for c in waiting if c not in _COURT_ORDER)
    return [(court, waiting[court]) for court in courts]


def _shares(items: Sequence[tuple[str, float]]) -> list[AmountLine]:
    total = sum(amount for _, amount in items)
    return [AmountLine(name, amount, _percent(amount, total)) for name, amount in items]


# Charts -----------------------------------------------------------------------------------------


def _clean(value: str) -> str:
    """``value`` without control and bidi-override characters, its white space collapsed."""
    return " ".join(_UNSAFE.sub("", value).split())


def _text(value: str, limit: int = _LABEL_CHARS) -> str:
    """``value`` cut to ``limit`` characters, safe as SVG character data, right-to-left
    script already joined and in visual order (``_visual``)."""
    clean = _clean(value)
    if len(clean) > limit:
        clean = clean[: limit - 1].rstrip() + "…"
    return escape(_visual(clean))


def _visual(text: str) -> str:
    """``text`` as WeasyPrint must be given it inside SVG: it draws SVG text one character at a
    time, so Arabic letters come out unjoined and left to right. Each letter becomes its joined
    presentation form (arabic-reshaper) and the line is put in display order (python-bidi);
    text without right-to-left letters is returned as it is."""
    if not _RTL.search(text):
        return text
    return str(get_display(arabic_reshaper.reshape(text)))


def _num(value: float, lang: str) -> str:
    return number(round(value), lang)


def _svg(height: float, body: Sequence[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {_WIDTH} {height:.0f}" font-family="{_FONT}" font-size="12">'
        + "".join(body)
        + "</svg>"
    )


def _empty(lang: str) -> str:
    message = tr(lang, "Tidak ada data untuk ditampilkan.", "No data to show.")
    return _svg(
        60,
        [
            f'<rect x="0.5" y="0.5" width="{_WIDTH - 1}" height="59" fill="#f6f8fb" '
            'stroke="#c5cfdc"/>',
            f'<text x="{_WIDTH / 2}" y="35" text-anchor="middle" fill="#555">'
            f"{_text(message, 80)}</text>",
        ],
    )


def _bar_chart(lines: Sequence[GroupLine], lang: str) -> str:
    """Horizontal bars, open applications with their overdue part, one row per group."""
    if not lines:
        return _empty(lang)
    rows = [(line.name, line.open, line.overdue) for line in lines]
    if len(rows) > _MAX_BARS:
        rest = rows[_MAX_BARS - 1 :]
        others = tr(lang, "Lainnya", "Others") + f" ({number(len(rest), lang)})"
        rows = [
            *rows[: _MAX_BARS - 1],
            (others, sum(r[1] for r in rest), sum(r[2] for r in rest)),
        ]
    overdue_word = tr(lang, "lewat", "overdue")
    values = [
        number(opened, lang) + (f" ({number(overdue, lang)} {overdue_word})" if overdue else "")
        for _, opened, overdue in rows
    ]
    label_width, top, pitch, bar = 245.0, 34.0, 24.0, 15.0
    # Room on the right for the longest value, so the longest bar's label stays on the page.
    value_width = min(12 + _CHAR * max(len(value) for value in values), 280.0)
    x0 = label_width + 8
    span = _WIDTH - x0 - value_width
    largest = max(max(r[1] for r in rows), max(r[2] for r in rows), 1)
    height = top + pitch * len(rows) + 6
    body = [
        f'<rect x="{x0}" y="6" width="14" height="11" fill="{_OPEN_COLOUR}"/>',
        f'<text x="{x0 + 20}" y="16" fill="#222">{_text(tr(lang, "Terbuka", "Open"))}</text>',
        f'<rect x="{x0 + 130}" y="6" width="14" height="11" fill="{_OVERDUE_COLOUR}"/>',
        f'<text x="{x0 + 150}" y="16" fill="#222">'
        f"{_text(tr(lang, 'Lewat batas waktu', 'Past the deadline'))}</text>",
        f'<line x1="{x0}" y1="{top - 4}" x2="{x0}" y2="{height - 4}" stroke="#555" '
        'stroke-width="1"/>',
    ]
    for i, ((name, opened, overdue), value) in enumerate(zip(rows, values, strict=True)):
        y = top + i * pitch
        open_width = _length(opened, largest, span)
        overdue_width = _length(overdue, largest, span)
        if i % 2:
            body.append(
                f'<rect x="0" y="{y - 4}" width="{_WIDTH}" height="{pitch}" fill="#f3f5f9"/>'
            )
        body += [
            f'<text x="{label_width}" y="{y + 12}" text-anchor="end" fill="#111">'
            f"{_text(name)}</text>",
            f'<rect x="{x0}" y="{y}" width="{open_width:.2f}" height="{bar}" '
            f'fill="{_OPEN_COLOUR}"/>',
            f'<rect x="{x0}" y="{y}" width="{overdue_width:.2f}" height="{bar}" '
            f'fill="{_OVERDUE_COLOUR}"/>',
            f'<text x="{x0 + max(open_width, overdue_width) + 5:.2f}" y="{y + 12}" '
            f'fill="#111">{_text(value, 40)}</text>',
        ]
    return _svg(height, body)


def _column_chart(items: Sequence[tuple[str, float, str]], lang: str, unit: tuple[str, str]) -> str:
    """Vertical bars with their values above them and their names below."""
    if not items or not any(amount > 0 for _, amount, _ in items):
        return _empty(lang)
    top, plot, bottom = 26.0, 170.0, 40.0
    height = top + plot + bottom
    slot = _WIDTH / len(items)
    width = min(slot * 0.6, 140.0)
    largest = max(amount for _, amount, _ in items)
    base = top + plot
    suffix = tr(lang, *unit)
    body = [
        f'<line x1="0" y1="{base + 0.5}" x2="{_WIDTH}" y2="{base + 0.5}" stroke="#555" '
        'stroke-width="1"/>'
    ]
    for i, (name, amount, colour) in enumerate(items):
        centre = slot * i + slot / 2
        length = _length(amount, largest, plot)
        body += [
            f'<rect x="{centre - width / 2:.2f}" y="{base - length:.2f}" width="{width:.2f}" '
            f'height="{length:.2f}" fill="{colour}"/>',
            f'<text x="{centre:.2f}" y="{base - length - 6:.2f}" text-anchor="middle" '
            f'fill="#111">{_text(_num(amount, lang) + suffix, 24)}</text>',
            f'<text x="{centre:.2f}" y="{base + 18}" text-anchor="middle" fill="#111">'
            f"{_text(name, max(8, int(slot / 7.5)))}</text>",
        ]
    return _svg(height, body)


def _length(value: float, largest: float, span: float) -> float:
    """A bar's length: proportional, but never invisible when the value is not zero."""
    if value <= 0:
        return 0.0
    return max(span * value / largest, _MIN_BAR)


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
