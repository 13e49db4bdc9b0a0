import pytest
from leadengine_core.errors import Conflict
from leadengine_core.queues import LastQueue, QueueInUse, ensure_removable, next_order_index
from leadengine_core.testing import EntityFactory

make = EntityFactory()


def test_a_new_queue_goes_after_the_last() -> None:
    assert next_order_index([]) == 0
    queues = [make.queue(order_index=3), make.queue(order_index=0), make.queue(order_index=3)]
    assert next_order_index(queues) == 4


def test_the_last_queue_cannot_be_removed() -> None:
    only, other = make.queue(), make.queue()

    with pytest.raises(LastQueue) as refused:
        ensure_removable(only, [only])
    assert refused.value.code == "LAST_QUEUE"
    assert isinstance(refused.value, Conflict)
    ensure_removable(only, [only, other])


def test_queue_errors_are_conflicts_with_stable_codes() -> None:
    assert issubclass(QueueInUse, Conflict)
    assert QueueInUse.code == "QUEUE_IN_USE"
