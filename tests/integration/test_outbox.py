"""The outbox as a durable queue, on SQLite and PostgreSQL: who may claim a row, leases, backoff,
failure, retry, the relay's batches, and history that is never sent."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.support import Office, drive
from workers import outbox
from workflow.errors import InvalidInput, NotFound, TriggerNotAllowed
from workflow.ledger import OUTBOX

LEASE = 60.0


def _rows(office: Office) -> list[dict[str, object]]:
    with office.db.connect() as conn:
        return [dict(r) for r in conn.execute(select(OUTBOX).order_by(OUTBOX.c.id)).mappings()]


def _one_row(office: Office) -> int:
    """An application opened and moved once: its outbox rows; the first one's id."""
    app = office.workflow.open_application(office.nib, "trademark", office.consultant)
    drive(office, app, "start_document_preparation")
    first: int = _rows(office)[0]["id"]  # type: ignore[assignment]
    return first


def test_a_transition_writes_pending_rows_that_carry_its_deadline(office: Office) -> None:
    app = office.workflow.open_application(office.nib, "trademark", office.consultant)
    result = drive(office, app, "start_document_preparation")
    rows = [r for r in _rows(office) if r["audit_seq"] == result.audit_seq]
    assert rows and {r["status"] for r in rows} == {"pending"}
    assert all(r["attempts"] == 0 and r["available_at"] == r["created_at"] for r in rows)
    deadline = result.deadline.isoformat() if result.deadline else None
    assert deadline is not None  # document preparation has one, so the payload must carry it
    payload = {
        "application_id": app,
        "seq": result.audit_seq,
        "trigger": "start_document_preparation",
        "from": "INTAKE",
        "to": "DOC_PREPARATION",
        "deadline": deadline,
        "actor": office.consultant,
        "note": "",
    }
    assert [r["payload"] for r in rows] == [payload] * len(rows)
    assert {r["user_id"] for r in rows} == {None}  # addressed by the application, not a user
    assert sorted(str(r["kind"]) for r in rows) == [
        "email_umkm",
        "notify_consultant",
        "render_packet",
    ]


def test_a_row_is_claimed_once_and_a_duplicate_delivery_gets_nothing(office: Office) -> None:
    row_id = _one_row(office)
    now = office.clock()
    first = outbox.claim(office.db, row_id, None, now, LEASE)
    assert first is not None and first.attempts == 1
    assert outbox.claim(office.db, row_id, None, now, LEASE) is None  # held
    assert outbox.complete(office.db, first, now, {"outcome": "sent"})
    assert outbox.claim(office.db, row_id, None, now + timedelta(hours=2), LEASE) is None  # done
    row = next(r for r in _rows(office) if r["id"] == row_id)
    assert row["status"] == "done" and row["result"] == {"outcome": "sent"}


def test_concurrent_claims_of_one_row_give_it_to_exactly_one(office: Office) -> None:
    row_id = _one_row(office)
    now = office.clock()
    won: list[object] = []
    barrier = threading.Barrier(6)

    def grab() -> None:
        barrier.wait()
        won.append(outbox.claim(office.db, row_id, None, now, LEASE))

    threads = [threading.Thread(target=grab) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(held is not None for held in won) == 1


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_complete(office: Office) -> None:
    row_id = _one_row(office)
    now = office.clock()
    old = outbox.claim(office.db, row_id, None, now, LEASE)
    assert old is not None
    assert outbox.claim(office.db, row_id, None, now + timedelta(seconds=LEASE - 1), LEASE) is None
    new = outbox.claim(office.db, row_id, None, now + timedelta(seconds=LEASE + 1), LEASE)
    assert new is not None and new.attempts == 2
    assert not outbox.complete(office.db, old, now, {"outcome": "late"})
    assert outbox.complete(office.db, new, now, {"outcome": "sent"})


def test_a_failure_backs_off_then_fails_after_the_last_attempt(office: Office) -> None:
    row_id = _one_row(office)
    now = office.clock()
    held = outbox.claim(office.db, row_id, None, now, LEASE)
    assert held is not None
    status = outbox.fail(office.db, held, now, "SMTP down", max_attempts=2, base_backoff=30)
    row = next(r for r in _rows(office) if r["id"] == row_id)
    assert status == "pending" and row["last_error"] == "SMTP down"
    wait = (row["available_at"] - now).total_seconds()  # type: ignore[operator]
    assert 15 <= wait <= 45  # 30 s with jitter
    assert outbox.claim(office.db, row_id, None, now, LEASE) is None  # still backing off
    later = now + timedelta(seconds=46)
    again = outbox.claim(office.db, row_id, None, later, LEASE)
    assert again is not None and again.attempts == 2
    assert outbox.fail(office.db, again, later, "SMTP down", max_attempts=2, base_backoff=30) == (
        "failed"
    )
    assert outbox.claim(office.db, row_id, None, later + timedelta(days=1), LEASE) is None


def test_backoff_doubles_with_jitter_and_is_capped_at_an_hour() -> None:
    import random

    rng = random.Random(1)
    for attempts, base in ((1, 30.0), (2, 60.0), (3, 120.0), (12, 3600.0)):
        delays = [outbox.backoff_seconds(attempts, 30, rng) for _ in range(200)]
        assert base * 0.5 <= min(delays) and max(delays) <= base * 1.5
        assert max(delays) - min(delays) > base * 0.5  # jittered, not one value


def test_retry_puts_failed_rows_back_and_refuses_others_by_name(office: Office) -> None:
    row_id = _one_row(office)
    now = office.clock()
    held = outbox.claim(office.db, row_id, None, now, LEASE)
    assert held is not None
    outbox.fail(office.db, held, now, "bad", max_attempts=1, base_backoff=1, permanent=True)
    other = int(_rows(office)[1]["id"])  # type: ignore[call-overload]
    with pytest.raises(
        InvalidInput, match=rf"only failed rows can be retried; #{other} is pending"
    ):
        outbox.retry(office.db, [row_id, other], now)
    with pytest.raises(NotFound, match="no outbox row 99999"):
        outbox.retry(office.db, [99999], now)
    assert next(r for r in _rows(office) if r["id"] == row_id)["status"] == "failed"  # untouched
    assert outbox.retry(office.db, None, now) == [row_id]
    row = next(r for r in _rows(office) if r["id"] == row_id)
    assert row["status"] == "pending" and row["attempts"] == 0
    assert outbox.claim(office.db, row_id, None, now, LEASE) is not None


def test_the_relay_takes_only_rows_nobody_picked_up_and_never_the_same_twice(
    office: Office,
) -> None:
    _one_row(office)
    now = office.clock()
    ids = [int(r["id"]) for r in _rows(office)]  # type: ignore[call-overload]
    _, taken = outbox.claim_batch(office.db, now, grace=30, lease=LEASE)
    assert taken == []  # new rows: their own dispatch after commit is still on its way
    later = now + timedelta(seconds=31)
    token, taken = outbox.claim_batch(office.db, later, grace=30, lease=LEASE)
    assert taken == ids
    assert outbox.claim_batch(office.db, later, grace=30, lease=LEASE)[1] == []  # leased
    # the relay's message claims with its token; a stale duplicate without it gets nothing
    assert outbox.claim(office.db, ids[0], None, later, LEASE) is None
    assert outbox.claim(office.db, ids[0], token, later, LEASE) is not None
    outbox.release(office.db, ids[1:], token)  # broker down: back to pending at once
    assert outbox.claim_batch(office.db, later, grace=30, lease=LEASE)[1] == ids[1:]


def test_relays_running_at_once_split_the_rows_between_them(office: Office) -> None:
    for nib in (office.nib, office.other_nib):
        app = office.workflow.open_application(nib, "trademark", office.consultant)
        drive(office, app, "start_document_preparation")
    later = office.clock() + timedelta(minutes=5)
    taken: list[list[int]] = []
    barrier = threading.Barrier(4)

    def relay() -> None:
        barrier.wait()
        taken.append(outbox.claim_batch(office.db, later, grace=30, lease=LEASE, limit=3)[1])

    threads = [threading.Thread(target=relay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [i for batch in taken for i in batch]
    assert len(every) == len(set(every)) == len(_rows(office))


def test_history_is_marked_and_never_claimed(office: Office) -> None:
    row_id = _one_row(office)
    now = office.clock()
    assert outbox.mark_historical(office.db, before=now + timedelta(seconds=1)) == len(
        _rows(office)
    )
    assert outbox.claim(office.db, row_id, None, now, LEASE) is None
    assert outbox.claim_batch(office.db, now + timedelta(days=1), grace=0, lease=LEASE)[1] == []
    assert outbox.status_counts(office.db)["historical"]


def test_a_reminder_with_the_same_dedupe_key_is_queued_once(office: Office) -> None:
    now = office.clock()
    with office.db.begin() as conn:
        first = outbox.enqueue(conn, "deadline_reminder", now=now, payload={}, dedupe_key="k:1")
        second = outbox.enqueue(conn, "deadline_reminder", now=now, payload={}, dedupe_key="k:1")
    assert first is not None and second is None
    with office.db.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(OUTBOX)) == 1


def test_listing_refuses_an_unknown_status(office: Office) -> None:
    with pytest.raises(InvalidInput, match="status 'sent': use one of pending, leased, done"):
        outbox.list_rows(office.db, status="sent")
    _one_row(office)
    with office.db.begin() as conn:
        conn.execute(update(OUTBOX).values(status="failed", last_error="x"))
    assert {r["status"] for r in outbox.list_rows(office.db, status="failed")} == {"failed"}


def test_committed_rows_are_dispatched_after_commit_and_a_failing_dispatch_loses_nothing(
    office: Office,
) -> None:
    sent: list[list[int]] = []
    office.workflow.dispatch = lambda ids: sent.append(list(ids))
    app = office.workflow.open_application(office.nib, "trademark", office.consultant)
    opened = [int(r["id"]) for r in _rows(office)]  # type: ignore[call-overload]
    assert sent == [opened]
    with pytest.raises(TriggerNotAllowed):
        office.workflow.advance(app, "approved", office.consultant)
    assert sent == [opened]  # a refused step commits nothing and dispatches nothing

    def broker_down(ids: object) -> None:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    office.workflow.dispatch = broker_down
    result = office.workflow.advance(app, "start_document_preparation", office.consultant)
    assert result.to_state == "DOC_PREPARATION"  # the step itself succeeded
    left = [r for r in _rows(office) if r["audit_seq"] == result.audit_seq]
    assert left and {r["status"] for r in left} == {"pending"}  # for the relay
