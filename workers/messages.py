"""The words of every email and in-app notification, in Bahasa Indonesia and English.

Each email is built from a frozen dataclass of plain values (no ORM objects) by one function
that returns an ``Email`` (subject, plain text, HTML). The body of each email is one template in
``templates/emails/`` rendered twice, by a text environment (no escaping) and by an HTML one
(``autoescape=True``): each names its layout macros (``_ui.text.j2``, ``_ui.html.j2``), so the
plain text and the HTML say the same thing and every sentence is written once, both languages
side by side (``tr("Yth.", "Dear")``) so that none can be missing in one of them. Subjects and
in-app notifications are short and written here with the same ``tr``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from documents.formatting import LANGUAGES, long_date, tr

__all__ = [
    "AUDIENCES",
    "BASES",
    "COURTS",
    "EMAILS",
    "REMINDER_KINDS",
    "DeskFacts",
    "DigestItem",
    "Email",
    "ReminderFacts",
    "StatusFacts",
    "desk_email",
    "desk_notification",
    "digest_email",
    "reminder_email",
    "reminder_notification",
    "status_email",
]

EMAILS = Path(__file__).resolve().parent.parent / "templates" / "emails"
"""The email templates, shipped in the top-level ``templates/`` folder like the documents'."""

COURTS = ("umkm", "consultant", "agency")
AUDIENCES = ("umkm", "consultant", "admin")
REMINDER_KINDS = ("before", "overdue", "escalation", "renewal", "surveillance", "expiry")
BASES = ("law", "practice", "agreed", "unconfirmed", "configured")
_TAG = "[PLUT]"
_RENEWAL_MONTHS = 6  # UU 20/2016 Pasal 35: from 6 months before expiry, up to 6 after (surcharge)


@dataclass(frozen=True)
class Email:
    """What one email says: its subject, plain text and HTML."""

    subject: str
    text: str
    html: str


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what} {value!r}: use one of {', '.join(allowed)}")


def _check_url(value: str | None, what: str) -> None:
    if value and not value.startswith(("https://", "http://")):
        raise ValueError(f"{what} {value!r} must be an http(s) address")


@dataclass(frozen=True, kw_only=True)
class StatusFacts:
    """What the UMKM's status email at a transition tells: where the application is, what the
    UMKM must do next and by when, who its consultant is, the signed status link."""

    lang: str
    umkm_name: str
    owner_name: str
    application_id: int
    process_title: str
    trigger_label: str
    stage_label: str
    court: str
    next_step: str
    deadline: date | None
    working_days_left: int | None
    closed: bool
    certificate_number: str | None
    consultant_name: str
    consultant_email: str | None
    office_name: str
    status_url: str
    link_expires_on: date
    packet_attached: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        _check(self.lang, LANGUAGES, "lang")
        _check(self.court, COURTS, "court")
        _check_url(self.status_url, "status_url")


@dataclass(frozen=True, kw_only=True)
class DeskFacts:
    """What a consultant (or an admin) is told when an application lands on their desk or
    changes."""

    lang: str
    recipient_name: str
    application_id: int
    umkm_name: str
    process_title: str
    trigger_label: str
    stage_label: str
    court: str
    actor_name: str
    deadline: date | None
    working_days_left: int | None
    app_url: str
    note: str = ""
    for_admin: bool = False

    def __post_init__(self) -> None:
        _check(self.lang, LANGUAGES, "lang")
        _check(self.court, COURTS, "court")
        _check_url(self.app_url, "app_url")


@dataclass(frozen=True, kw_only=True)
class ReminderFacts:
    """A deadline reminder: ``before`` a deadline, ``overdue``, an ``escalation`` to the
    admins, or a date after certification (trademark ``renewal``, SNI ``surveillance`` audit,
    SPPT SNI ``expiry``). ``working_days`` is what is left (``before``) or how far overdue
    (``overdue``, ``escalation``); ``deadline`` is the due date, or the expiry date for
    ``renewal`` and ``expiry``. ``office_name`` signs what a UMKM receives."""

    lang: str
    recipient_name: str
    audience: str
    kind: str
    application_id: int
    umkm_name: str
    process_title: str
    stage_label: str
    next_step: str
    deadline: date
    working_days: int
    basis: str
    consultant_name: str
    status_url: str | None = None
    link_expires_on: date | None = None
    app_url: str | None = None
    office_name: str = ""

    def __post_init__(self) -> None:
        _check(self.lang, LANGUAGES, "lang")
        _check(self.audience, AUDIENCES, "audience")
        _check(self.kind, REMINDER_KINDS, "kind")
        _check(self.basis, BASES, "basis")
        _check_url(self.status_url, "status_url")
        _check_url(self.app_url, "app_url")


@dataclass(frozen=True)
class DigestItem:
    """One notification of the day, for the daily digest (``at`` in office-local time)."""

    title: str
    body: str
    application_id: int | None
    at: datetime


@dataclass(frozen=True)
class _DigestFacts:
    lang: str
    recipient_name: str
    day: date
    items: Sequence[DigestItem] = field(default_factory=tuple)
    app_url_base: str = ""


def status_email(f: StatusFacts) -> Email:
    """The email a UMKM owner receives at each step of an application."""
    subject = f"{_TAG} {tr(f.lang, 'Permohonan', 'Application')} #{f.application_id}: "
    if f.certificate_number:
        subject += tr(f.lang, "Sertifikat terbit", "Certificate issued")
    else:
        subject += f.stage_label
    return _render("status", f.lang, subject, f=f)


def desk_email(f: DeskFacts) -> Email:
    """The email to a consultant or admin about an application that is now theirs or changed."""
    turn = tr(f.lang, "Giliran Anda", "Your turn") if _own_turn(f) else ""
    head = f"{turn}: " if turn else ""
    subject = f"{_TAG} {head}#{f.application_id} {f.umkm_name} - {f.stage_label}"
    return _render("desk", f.lang, subject, f=f, turn=_turn_sentence(f))


def desk_notification(f: DeskFacts) -> tuple[str, str]:
    """(title, body) of the in-app notification that goes with ``desk_email``."""
    title = f"#{f.application_id} {f.umkm_name}: {f.stage_label}"
    actor = f.actor_name or tr(f.lang, "sistem", "the system")
    body = f"{_turn_sentence(f)} {f.trigger_label} ({actor})."
    return _one_line(title), _one_line(body)


def _own_turn(f: DeskFacts) -> bool:
    return f.court == "consultant" and not f.for_admin


def _turn_sentence(f: DeskFacts) -> str:
    """``Giliran Anda: Verifikasi dokumen, paling lambat 30 Juni 2026 (3 hari kerja lagi).``"""
    lang = f.lang
    if f.court == "consultant":
        who = (
            tr(lang, "Giliran Anda", "Your turn")
            if _own_turn(f)
            else tr(lang, "Giliran konsultan", "The consultant's turn")
        )
        when = _due(f.deadline, f.working_days_left, lang)
        by = f", {tr(lang, 'paling lambat', 'due by')} {when}" if when else ""
        return f"{who}: {f.stage_label}{by}."
    who = tr(lang, "Menunggu UMKM", "Waiting for the UMKM")
    if f.court == "agency":
        who = tr(lang, "Menunggu instansi", "Waiting for the agency")
    when = _due(f.deadline, f.working_days_left, lang)
    limit = tr(lang, "batas waktu", "deadline")
    if f.court == "agency":
        limit = tr(lang, "batas waktu layanan", "service deadline")
    return f"{who} ({f.stage_label}); {limit}: {when}." if when else f"{who} ({f.stage_label})."


def reminder_email(f: ReminderFacts) -> Email:
    """A deadline reminder, an overdue warning or escalation, or a renewal, surveillance or
    expiry reminder, to a UMKM, a consultant or the admins."""
    title, _ = reminder_notification(f)
    return _render(
        "reminder",
        f.lang,
        f"{_TAG} {title}",
        f=f,
        renewal=_renewal_window(f.deadline),
    )


def reminder_notification(f: ReminderFacts) -> tuple[str, str]:
    """(title, body) of the in-app notification that goes with ``reminder_email``."""
    lang, n, app = f.lang, f.working_days, f"#{f.application_id} {f.umkm_name}"
    on = long_date(f.deadline, lang)
    titles = {
        "before": tr(lang, f"Pengingat: {app}", f"Reminder: {app}"),
        "overdue": tr(lang, f"Terlambat: {app}", f"Overdue: {app}"),
        "escalation": tr(lang, f"Eskalasi: {app}", f"Escalation: {app}"),
        "renewal": tr(lang, f"Perpanjangan merek: {app}", f"Trademark renewal: {app}"),
        "surveillance": tr(lang, f"Audit survailen SNI: {app}", f"SNI surveillance audit: {app}"),
        "expiry": tr(lang, f"SPPT SNI berakhir: {app}", f"SPPT SNI expires: {app}"),
    }
    opens, _, grace = _renewal_window(f.deadline)
    bodies = {
        "before": tr(
            lang,
            f"{f.stage_label}: paling lambat {on} ({_days_note(n, lang)}).",
            f"{f.stage_label}: due by {on} ({_days_note(n, lang)}).",
        ),
        "overdue": tr(
            lang,
            f"{f.stage_label}: terlambat {_working_days(n, lang)} (batas waktu {on}).",
            f"{f.stage_label}: {_working_days(n, lang)} overdue (deadline {on}).",
        ),
        "escalation": tr(
            lang,
            f"{f.stage_label}: terlambat {_working_days(n, lang)} sejak {on}; "
            f"konsultan: {f.consultant_name}.",
            f"{f.stage_label}: {_working_days(n, lang)} overdue since {on}; "
            f"consultant: {f.consultant_name}.",
        ),
        "renewal": tr(
            lang,
            f"Merek berakhir {on}; perpanjangan dapat diajukan sejak {long_date(opens, lang)} "
            f"(dengan biaya tambahan sampai {long_date(grace, lang)}).",
            f"The mark expires on {on}; renewal can be filed from {long_date(opens, 'en')} "
            f"(with a surcharge until {long_date(grace, 'en')}).",
        ),
        "surveillance": tr(
            lang, f"Audit survailen paling lambat {on}.", f"Surveillance audit due by {on}."
        ),
        "expiry": tr(
            lang,
            f"SPPT SNI berlaku sampai {on}; ajukan sertifikasi ulang sebelum tanggal itu.",
            f"The SPPT SNI is valid until {on}; apply for recertification before then.",
        ),
    }
    return _one_line(titles[f.kind]), _one_line(bodies[f.kind])


def _renewal_window(expiry: date) -> tuple[date, date, date]:
    """(opens, expiry, last day with a surcharge) of a trademark renewal."""
    months = relativedelta(months=_RENEWAL_MONTHS)
    return expiry - months, expiry, expiry + months


def digest_email(
    lang: str,
    recipient_name: str,
    day: date,
    items: Sequence[DigestItem],
    app_url_base: str,
) -> Email:
    """One email listing a day's notifications; ``app_url_base`` is the address of the
    applications page, to which ``/<id>`` is added for each item."""
    _check(lang, LANGUAGES, "lang")
    _check_url(app_url_base, "app_url_base")
    count = len(items)
    what = tr(lang, "pemberitahuan", "notification" if count == 1 else "notifications")
    subject = tr(lang, "Ringkasan", "Summary for") + f" {long_date(day, lang)}: {count} {what}"
    facts = _DigestFacts(lang, recipient_name, day, tuple(items), app_url_base.rstrip("/"))
    return _render("digest", lang, f"{_TAG} {subject}", f=facts)


def _working_days(n: int, lang: str) -> str:
    """``3 hari kerja`` / ``3 working days`` (``1 working day``)."""
    n = abs(n)
    return tr(lang, f"{n} hari kerja", f"{n} working day" + ("" if n == 1 else "s"))


def _days_note(n: int, lang: str) -> str:
    """What ``n`` working days left means: ``3 hari kerja lagi``, today, or overdue."""
    if n > 0:
        return tr(lang, f"{n} hari kerja lagi", f"{_working_days(n, lang)} left")
    if n == 0:
        return tr(lang, "hari ini hari terakhir", "today is the last day")
    return tr(lang, f"terlambat {_working_days(n, lang)}", f"{_working_days(n, lang)} overdue")


def _due(deadline: date | None, days_left: int | None, lang: str) -> str:
    """``30 Juni 2026 (3 hari kerja lagi)``; the date alone without a count; empty without."""
    if deadline is None:
        return ""
    on = long_date(deadline, lang)
    return on if days_left is None else f"{on} ({_days_note(days_left, lang)})"


def _time(moment: datetime, lang: str) -> str:
    """``08.30`` (Indonesian) or ``08:30``."""
    return moment.strftime("%H.%M" if lang == "id" else "%H:%M")


def _sentence(text: str) -> str:
    """``text`` ending in a full stop (unless it already ends a sentence)."""
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _collapse(value: Any) -> Any:
    """One line: what a user typed can never start a paragraph of its own in the text."""
    if isinstance(value, Markup):
        return Markup(" ".join(value.split()))
    return " ".join(str(value).split())


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(EMAILS),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        keep_trailing_newline=True,
    )
    env.filters["collapse"] = _collapse
    return env


_TEXT = _environment(autoescape=False)
_HTML = _environment(autoescape=True)


def _render(name: str, lang: str, subject: str, **values: Any) -> Email:
    helpers: dict[str, Callable[..., Any]] = {
        "tr": partial(tr, lang),
        "tanggal": partial(long_date, lang=lang),
        "due": partial(_due, lang=lang),
        "days_note": partial(_days_note, lang=lang),
        "working_days": partial(_working_days, lang=lang),
        "time": partial(_time, lang=lang),
        "sentence": _sentence,
    }
    subject = _one_line(subject)
    context = {"lang": lang, "subject": subject, **helpers, **values}
    text = _TEXT.get_template(f"{name}.j2").render(fmt="text", **context)
    html = _HTML.get_template(f"{name}.j2").render(fmt="html", **context)
    return Email(subject=subject, text=_tidy(text), html=html.strip() + "\n")


def _tidy(text: str) -> str:
    """No trailing spaces, at most one empty line in a row, one final newline."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out) + "\n"
