"""What each kind of outbox row does when a worker delivers it.

Every handler is idempotent, keyed by its outbox row: a packet is issued by its inputs (asking
again returns the stored one), a notification is unique per (row, user), an email carries a
Message-ID derived from the row and the recipient, and a recipient already emailed for a row
(``notification.emailed_at``) is skipped on a retry. A handler returns what it did; that is
stored on the row. A person without an email address is recorded as such, never retried.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update

from documents import issue_packet, read_stored
from workers.context import WorkerContext
from workers.mail import Attachment, InvalidAddress, compose, message_id, sender_address
from workers.messages import (
    DeskFacts,
    DigestItem,
    Email,
    ReminderFacts,
    StatusFacts,
    desk_email,
    desk_notification,
    digest_email,
    reminder_email,
    reminder_notification,
    status_email,
)
from workers.outbox import DONE, LEASED, PENDING, Claim
from workers.people import Case, Person, active_admins, load_case, load_person
from workflow.audit import OPEN
from workflow.ledger import OUTBOX, USERS
from workflow.model import Court, Phase, State
from workflow.persistence.database import dialect_insert, reading
from workflow.persistence.schema import Notification, table

__all__ = ["HANDLERS", "NOTIFICATIONS", "Handler", "NotYet", "StepView", "status_message"]

NOTIFICATIONS = table(Notification)
Handler = Callable[[WorkerContext, Claim], dict[str, Any]]
_PACKET_PATIENCE = timedelta(minutes=10)


class NotYet(Exception):
    """The effect depends on another that has not happened yet: try again in a few seconds,
    without counting it as a failed attempt."""

    retry_after = 3.0


_AFTER_CERTIFICATE_BASIS = {"renewal": "law", "surveillance": "practice", "expiry": "law"}
"""UU 20/2016 Pasal 35 sets the renewal window; surveillance follows the LSPro's scheme."""
_REMINDER_KINDS = {
    "deadline_reminder": "before",
    "deadline_overdue": "overdue",
    "deadline_escalation": "escalation",
}


class StepView:
    """The transition an outbox row tells of, as its messages describe it."""

    def __init__(self, case: Case, payload: Mapping[str, Any]) -> None:
        definition = case.definition
        self.state: State = definition.states[payload["to"]]
        self.trigger = str(payload["trigger"])
        rule = definition.transition(self.trigger, payload.get("from") or "")
        self.label = rule.label if rule is not None else ""
        if self.trigger == OPEN:
            self.label = "Permohonan dibuka"
        deadline = payload.get("deadline")
        self.deadline = date.fromisoformat(deadline) if deadline else None
        self.actor = str(payload.get("actor") or "")
        self.note = str(payload.get("note") or "")

    def trigger_label(self, lang: str) -> str:
        """What happened, in ``lang`` (transitions are labelled in Indonesian only)."""
        if lang == "en":
            return "Application opened" if self.trigger == OPEN else f"Now: {self.state.label_en}"
        return self.label

    def stage_label(self, lang: str) -> str:
        """The new stage's name in ``lang``."""
        return self.state.label_en if lang == "en" else self.state.label

    def next_step(self, lang: str) -> str:
        """What the UMKM must do next, in ``lang``."""
        return self.state.hint_en if lang == "en" else self.state.hint


def _process_title(case: Case, lang: str) -> str:
    return case.definition.title_en if lang == "en" else case.definition.title


def status_message(
    ctx: WorkerContext, case: Case, step: StepView, lang: str, *, packet_attached: bool
) -> Email:
    """The UMKM's status email for ``step`` (also what ``sertiflow mail preview`` prints)."""
    url, expires_on = ctx.status_url(case.umkm_id)
    consultant = case.assignee
    return status_email(
        StatusFacts(
            lang=lang,
            umkm_name=case.umkm_name,
            owner_name=case.owner_name,
            application_id=case.application_id,
            process_title=_process_title(case, lang),
            trigger_label=step.trigger_label(lang),
            stage_label=step.stage_label(lang),
            court=step.state.court.value,
            next_step=step.next_step(lang),
            deadline=step.deadline,
            working_days_left=ctx.working_days_until(step.deadline),
            closed=step.state.phase is Phase.CLOSED,
            certificate_number=case.certificate_number
            if step.state.phase is Phase.CERTIFIED
            else None,
            consultant_name=consultant.full_name if consultant else "",
            consultant_email=consultant.email if consultant else None,
            office_name=ctx.settings.office_name,
            status_url=url,
            link_expires_on=expires_on,
            packet_attached=packet_attached,
            note=step.note,
        )
    )


def _send(
    ctx: WorkerContext,
    claim: Claim,
    name: str,
    address: str,
    email: Email,
    attachments: Sequence[Attachment] = (),
    lang: str = "id",
) -> str:
    """Send one email; its Message-ID. Raises InvalidAddress for an undeliverable address.
    Dated when its row was written, so a retried send is the same message."""
    mid = message_id(claim.id, address, ctx.mail_domain)
    message = compose(
        sender=sender_address(ctx.settings),
        to_name=name,
        to_address=address,
        subject=email.subject,
        text=email.text,
        html=email.html,
        message_id=mid,
        attachments=attachments,
        date=claim.created_at,
        lang=lang,
    )
    ctx.mailer.send(message, address)
    return mid


def _load(ctx: WorkerContext, claim: Claim) -> Case:
    if claim.application_id is None:
        raise ValueError(f"outbox row #{claim.id} ({claim.kind}) names no application")
    with reading(ctx.db).connect() as conn:
        return load_case(conn, ctx.workflow.registry, claim.application_id)


def render_packet(ctx: WorkerContext, claim: Claim) -> dict[str, Any]:
    """Issue the packet of the stage the transition entered."""
    assert claim.application_id is not None
    stored = issue_packet(ctx.db, ctx.settings, claim.application_id, claim.payload["to"])
    return {
        "code": stored.code,
        "sha256": stored.content_hash,
        "pages": stored.pages,
        "outcome": stored.outcome,
    }


def email_umkm(ctx: WorkerContext, claim: Claim) -> dict[str, Any]:
    """Tell the UMKM owner what happened, what to do next and by when; the packet attached
    when it is the UMKM's to sign."""
    case = _load(ctx, claim)
    if not case.umkm_email:
        return {"outcome": "no_address", "detail": f"UMKM {case.umkm_name} has no email address"}
    step = StepView(case, claim.payload)
    attachments: list[Attachment] = []
    if step.state.court is Court.UMKM and step.state.documents:
        attachments.append(_packet_attachment(ctx, claim, case, step))
    email = status_message(ctx, case, step, case.language, packet_attached=bool(attachments))
    try:
        mid = _send(ctx, claim, case.owner_name, case.umkm_email, email, attachments, case.language)
    except InvalidAddress as error:
        return {"outcome": "invalid_address", "detail": str(error)}
    return {
        "outcome": "sent",
        "to": case.umkm_email,
        "message_id": mid,
        "attachments": len(attachments),
    }


def _packet_attachment(ctx: WorkerContext, claim: Claim, case: Case, step: StepView) -> Attachment:
    """The stage's packet, as the same step's ``render_packet`` row issued it.

    Rendering it here as well would lay the same pages out twice at the same moment (measured:
    in every such step, 1.3 s of a worker process thrown away), so while that row is still on
    its way the email waits for it; a packet in another language, or one whose row failed or
    is long overdue, is issued here."""
    with reading(ctx.db).connect() as conn:
        packet_row = conn.execute(
            select(OUTBOX.c.status, OUTBOX.c.result).where(
                OUTBOX.c.application_id == case.application_id,
                OUTBOX.c.audit_seq == claim.audit_seq,
                OUTBOX.c.kind == "render_packet",
            )
        ).first()
    code: str
    if packet_row is not None and packet_row.status == DONE and case.language == "id":
        code, content_hash = packet_row.result["code"], packet_row.result["sha256"]
    elif (
        packet_row is not None
        and packet_row.status in (PENDING, LEASED)
        and case.language == "id"
        and ctx.now() - claim.created_at < _PACKET_PATIENCE
    ):
        raise NotYet(f"the packet of step {claim.audit_seq} is still being issued")
    else:
        stored = issue_packet(
            ctx.db, ctx.settings, case.application_id, step.state.name, case.language
        )
        code, content_hash = stored.code, stored.content_hash
    data = read_stored(ctx.settings, content_hash)
    return Attachment(f"paket-{case.application_id}-{code}.pdf", data)


def _notify(
    ctx: WorkerContext,
    claim: Claim,
    people: Sequence[Person],
    notification: Callable[[Person], tuple[str, str]],
    email: Callable[[Person], Email],
) -> dict[str, Any]:
    """An in-app notification for each person, and an email unless they take the daily digest.

    The notification row is unique per (outbox row, user) and records when it was emailed, so
    a retry after a failure half-way emails only those not yet emailed."""
    report: dict[str, list[str]] = {
        "notified": [],
        "emailed": [],
        "digest": [],
        "no_address": [],
        "invalid_address": [],
    }
    now = ctx.now()
    for person in people:
        title, body = notification(person)
        with ctx.db.begin() as conn:
            conn.execute(
                dialect_insert(conn)(NOTIFICATIONS)
                .values(
                    user_id=person.id,
                    outbox_id=claim.id,
                    application_id=claim.application_id,
                    kind=claim.kind,
                    title=title[:300],
                    body=body,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["outbox_id", "user_id"])
            )
            emailed = conn.scalar(
                select(NOTIFICATIONS.c.emailed_at).where(
                    NOTIFICATIONS.c.outbox_id == claim.id, NOTIFICATIONS.c.user_id == person.id
                )
            )
        report["notified"].append(person.username)
        if person.daily_digest:
            report["digest"].append(person.username)
            continue
        if not person.email:
            report["no_address"].append(person.username)
            continue
        if emailed is None:
            try:
                _send(ctx, claim, person.full_name, person.email, email(person))
            except InvalidAddress:
                report["invalid_address"].append(person.username)
                continue
            with ctx.db.begin() as conn:
                conn.execute(
                    update(NOTIFICATIONS)
                    .where(
                        NOTIFICATIONS.c.outbox_id == claim.id,
                        NOTIFICATIONS.c.user_id == person.id,
                    )
                    .values(emailed_at=ctx.now())
                )
        report["emailed"].append(person.username)
    return {"outcome": "notified", **{k: v for k, v in report.items() if v}}


def _full_name(ctx: WorkerContext, username: str) -> str:
    with reading(ctx.db).connect() as conn:
        name = conn.scalar(select(USERS.c.full_name).where(USERS.c.username == username))
    return str(name or username)


def _desk(ctx: WorkerContext, claim: Claim, case: Case, for_admin: bool) -> DeskFacts:
    step = StepView(case, claim.payload)
    lang = "id"
    return DeskFacts(
        lang=lang,
        recipient_name="",
        application_id=case.application_id,
        umkm_name=case.umkm_name,
        process_title=_process_title(case, lang),
        trigger_label=step.trigger_label(lang),
        stage_label=step.stage_label(lang),
        court=step.state.court.value,
        actor_name=_full_name(ctx, step.actor),
        deadline=step.deadline,
        working_days_left=ctx.working_days_until(step.deadline),
        app_url=ctx.app_url(case.application_id),
        note=step.note,
        for_admin=for_admin,
    )


def _desk_effect(for_admin: bool) -> Handler:
    def handler(ctx: WorkerContext, claim: Claim) -> dict[str, Any]:
        case = _load(ctx, claim)
        if for_admin:
            with reading(ctx.db).connect() as conn:
                people = active_admins(conn, ctx.settings.delivery.system_user)
        elif case.assignee is None:
            return {"outcome": "no_assignee"}
        else:
            people = [case.assignee]
        facts = _desk(ctx, claim, case, for_admin)

        def named(person: Person) -> DeskFacts:
            return replace(facts, recipient_name=person.full_name)

        return _notify(
            ctx,
            claim,
            people,
            lambda p: desk_notification(named(p)),
            lambda p: desk_email(named(p)),
        )

    handler.__doc__ = (
        "Tell the admins what happened." if for_admin else "Tell the assigned consultant."
    )
    return handler


def _reminder(ctx: WorkerContext, claim: Claim, case: Case, kind: str) -> ReminderFacts:
    payload = claim.payload
    state = case.definition.states.get(str(payload.get("state") or case.state))
    lang = case.language
    due = payload.get("deadline") or payload.get("due")
    deadline = date.fromisoformat(due) if due else (case.deadline or ctx.today())
    url, expires_on = ctx.status_url(case.umkm_id)
    left = ctx.working_days_until(deadline) or 0
    return ReminderFacts(
        lang=lang,
        recipient_name=case.owner_name,
        audience="umkm",
        kind=kind,
        application_id=case.application_id,
        umkm_name=case.umkm_name,
        process_title=_process_title(case, lang),
        stage_label=(state.label_en if lang == "en" else state.label) if state else "",
        next_step=(state.hint_en if lang == "en" else state.hint) if state else "",
        deadline=deadline,
        working_days=abs(left),
        basis=str(payload.get("basis") or _AFTER_CERTIFICATE_BASIS.get(kind, "unconfirmed")),
        consultant_name=case.assignee.full_name if case.assignee else "",
        status_url=url,
        link_expires_on=expires_on,
        app_url=ctx.app_url(case.application_id),
        office_name=ctx.settings.office_name,
    )


def _staff_version(facts: ReminderFacts, person: Person, audience: str) -> ReminderFacts:
    return replace(
        facts,
        lang="id",
        recipient_name=person.full_name,
        audience=audience,
        status_url=None,
        link_expires_on=None,
    )


def reminder(ctx: WorkerContext, claim: Claim) -> dict[str, Any]:
    """Remind whoever holds the ball of a deadline (before, overdue), or escalate to the
    admins; renewal, surveillance and expiry notices go to the UMKM and its consultant."""
    case = _load(ctx, claim)
    if claim.kind == "renewal_reminder":
        kind = {"trademark_renewal": "renewal", "sni_surveillance": "surveillance"}.get(
            str(claim.payload.get("what")), "expiry"
        )
    else:
        kind = _REMINDER_KINDS[claim.kind]
    facts = _reminder(ctx, claim, case, kind)
    result: dict[str, Any] = {}
    court = str(claim.payload.get("court") or "umkm")
    to_umkm = kind in ("renewal", "surveillance", "expiry") or (
        kind != "escalation" and court == Court.UMKM.value
    )
    if to_umkm:
        if not case.umkm_email:
            result["umkm"] = "no_address"
        else:
            try:
                email = reminder_email(facts)
                result["umkm"] = _send(
                    ctx, claim, case.owner_name, case.umkm_email, email, lang=facts.lang
                )
            except InvalidAddress as error:
                result["umkm"] = f"invalid_address: {error}"
    if kind == "escalation":
        with reading(ctx.db).connect() as conn:
            people = active_admins(conn, ctx.settings.delivery.system_user)
        audience = "admin"
    else:
        people = [case.assignee] if case.assignee else []
        audience = "consultant"
    staff = _notify(
        ctx,
        claim,
        people,
        lambda p: reminder_notification(_staff_version(facts, p, audience)),
        lambda p: reminder_email(_staff_version(facts, p, audience)),
    )
    return {**result, **staff}


def digest(ctx: WorkerContext, claim: Claim) -> dict[str, Any]:
    """One email with the day's notifications of a user who asked for a daily digest."""
    if claim.user_id is None:
        raise ValueError(f"outbox row #{claim.id} (digest) names no user")
    with reading(ctx.db).connect() as conn:
        person = load_person(conn, claim.user_id)
        rows = conn.execute(
            select(
                NOTIFICATIONS.c.id,
                NOTIFICATIONS.c.title,
                NOTIFICATIONS.c.body,
                NOTIFICATIONS.c.application_id,
                NOTIFICATIONS.c.created_at,
            )
            .where(
                NOTIFICATIONS.c.user_id == person.id,
                NOTIFICATIONS.c.digested_at.is_(None),
                NOTIFICATIONS.c.created_at <= claim.created_at,
            )
            .order_by(NOTIFICATIONS.c.id)
        ).all()
    if not rows:
        return {"outcome": "nothing"}
    if not person.email:
        return {"outcome": "no_address", "items": len(rows)}
    day = date.fromisoformat(str(claim.payload.get("day") or ctx.today().isoformat()))
    items = [DigestItem(r.title, r.body, r.application_id, ctx.local(r.created_at)) for r in rows]
    email = digest_email("id", person.full_name, day, items, f"{ctx.settings.public_url}/aplikasi")
    try:
        mid = _send(ctx, claim, person.full_name, person.email, email)
    except InvalidAddress as error:
        return {"outcome": "invalid_address", "detail": str(error)}
    with ctx.db.begin() as conn:
        conn.execute(
            update(NOTIFICATIONS)
            .where(NOTIFICATIONS.c.id.in_([r.id for r in rows]))
            .values(digested_at=ctx.now())
        )
    return {"outcome": "sent", "items": len(rows), "message_id": mid}


HANDLERS: dict[str, Handler] = {
    "render_packet": render_packet,
    "email_umkm": email_umkm,
    "notify_consultant": _desk_effect(for_admin=False),
    "notify_admins": _desk_effect(for_admin=True),
    "deadline_reminder": reminder,
    "deadline_overdue": reminder,
    "deadline_escalation": reminder,
    "renewal_reminder": reminder,
    "consultant_digest": digest,
}
"""Every outbox kind and what delivers it; a test checks the engine and sweeps emit no other."""
