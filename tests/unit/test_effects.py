"""Which outbox messages a move emits: a packet when the stage has documents, and one message per
party the transition notifies (the consultant only when someone is assigned)."""

from __future__ import annotations

import pytest

from workflow.ledger import effect_kinds
from workflow.model import Court, Role, State

WITH_PACKET = State("A", "A", "A", Court.UMKM, documents=("guide/halal",))
WITHOUT_PACKET = State("B", "B", "B", Court.UMKM)


@pytest.mark.parametrize(
    ("dest", "notify", "assigned", "kinds"),
    [
        (WITH_PACKET, frozenset(), True, ["render_packet"]),
        (WITHOUT_PACKET, frozenset(), True, []),
        (WITHOUT_PACKET, frozenset({Role.UMKM}), True, ["email_umkm"]),
        (WITHOUT_PACKET, frozenset({Role.CONSULTANT}), True, ["notify_consultant"]),
        (WITHOUT_PACKET, frozenset({Role.CONSULTANT}), False, []),
        (
            WITHOUT_PACKET,
            frozenset({Role.UMKM, Role.ADMIN}),
            False,
            ["email_umkm", "notify_admins"],
        ),
        (WITHOUT_PACKET, frozenset({Role.ADMIN}), True, ["notify_admins"]),
        (
            WITH_PACKET,
            frozenset(Role),
            True,
            ["render_packet", "email_umkm", "notify_consultant", "notify_admins"],
        ),
    ],
)
def test_a_move_emits_one_message_per_party_it_notifies(
    dest: State, notify: frozenset[Role], assigned: bool, kinds: list[str]
) -> None:
    assert effect_kinds(dest, notify, assigned) == kinds
