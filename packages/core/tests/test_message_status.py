import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from leadengine_core.message_status import (
    MessageStatus,
    can_advance,
    next_status,
    status_from_baileys,
)

S = MessageStatus
# (current, incoming) pairs that change the status, written out from the rules:
# forward along PENDING < SENT < DELIVERED < READ < PLAYED, FAILED only over PENDING/SENT,
# and proof of delivery lifts FAILED.
ADVANCES = {
    (S.PENDING, S.SENT),
    (S.PENDING, S.DELIVERED),
    (S.PENDING, S.READ),
    (S.PENDING, S.PLAYED),
    (S.PENDING, S.FAILED),
    (S.SENT, S.DELIVERED),
    (S.SENT, S.READ),
    (S.SENT, S.PLAYED),
    (S.SENT, S.FAILED),
    (S.DELIVERED, S.READ),
    (S.DELIVERED, S.PLAYED),
    (S.READ, S.PLAYED),
    (S.FAILED, S.DELIVERED),
    (S.FAILED, S.READ),
    (S.FAILED, S.PLAYED),
}


@pytest.mark.parametrize(
    ("current", "incoming"), list(itertools.product(S, repeat=2)), ids=lambda s: str(s)
)
def test_every_pair_of_statuses(current: MessageStatus, incoming: MessageStatus) -> None:
    advances = (current, incoming) in ADVANCES

    assert can_advance(current, incoming) is advances
    assert next_status(current, incoming) is (incoming if advances else current)


@pytest.mark.parametrize(
    ("current", "late"),
    [(S.READ, S.DELIVERED), (S.DELIVERED, S.SENT), (S.PLAYED, S.READ), (S.SENT, S.PENDING)],
)
def test_a_late_lower_ack_keeps_the_current_status(
    current: MessageStatus, late: MessageStatus
) -> None:
    assert next_status(current, late) is current


@pytest.mark.parametrize("delivered", [S.DELIVERED, S.READ, S.PLAYED])
def test_an_error_after_delivery_is_ignored(delivered: MessageStatus) -> None:
    assert next_status(delivered, S.FAILED) is delivered


# PENDING < SENT < FAILED < DELIVERED < READ < PLAYED: the order in which a status may only grow.
PROGRESS = [S.PENDING, S.SENT, S.FAILED, S.DELIVERED, S.READ, S.PLAYED]


@given(st.lists(st.sampled_from(list(S)), max_size=20))
def test_status_never_goes_back_under_any_ack_sequence(acks: list[MessageStatus]) -> None:
    status = S.PENDING
    for ack in acks:
        after = next_status(status, ack)
        assert PROGRESS.index(after) >= PROGRESS.index(status)
        status = after
    assert status is max([S.PENDING, *acks], key=PROGRESS.index)


@given(st.permutations([S.SENT, S.DELIVERED, S.READ, S.FAILED, S.PENDING]))
def test_arrival_order_does_not_change_the_outcome(acks: list[MessageStatus]) -> None:
    status = S.PENDING
    for ack in acks:
        status = next_status(status, ack)
    assert status is S.READ


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, S.FAILED),
        (1, S.PENDING),
        (2, S.SENT),
        (3, S.DELIVERED),
        (4, S.READ),
        (5, S.PLAYED),
        ("0", S.FAILED),
        ("3", S.DELIVERED),
        (" 4 ", S.READ),
        ("5n", S.PLAYED),
        ("ERROR", S.FAILED),
        ("PENDING", S.PENDING),
        ("SERVER_ACK", S.SENT),
        ("DELIVERY_ACK", S.DELIVERED),
        ("READ", S.READ),
        ("PLAYED", S.PLAYED),
        ("sent", S.SENT),
        ("delivered", S.DELIVERED),
        ("read", S.READ),
        ("seen", S.READ),
        ("played", S.PLAYED),
        ("failed", S.FAILED),
        ("error", S.FAILED),
        ("pending", S.PENDING),
        ("Delivered", S.DELIVERED),
    ],
)
def test_baileys_acks_are_read_on_the_baileys_scale(value: object, expected: MessageStatus) -> None:
    assert status_from_baileys(value) is expected


@pytest.mark.parametrize(
    "value",
    [
        -1,
        6,
        99,
        "-1",
        "6",
        "18446744073709551615",
        "9" * 5000,
        "",
        "  ",
        "3.0",
        "0x3",
        "three",
        "read-self",
        3.0,
        True,
        False,
        None,
        [3],
        {"status": 3},
    ],
)
def test_anything_else_is_unknown(value: object) -> None:
    assert status_from_baileys(value) is None


@given(st.one_of(st.text(), st.integers(), st.floats(), st.none(), st.binary()))
def test_decoding_never_raises(value: object) -> None:
    assert status_from_baileys(value) in {None, *S}
