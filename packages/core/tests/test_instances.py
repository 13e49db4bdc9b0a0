from leadengine_core.instances import InstanceStatus
from leadengine_core.testing import EntityFactory

make = EntityFactory()


def test_a_qr_is_kept_while_waiting_and_replaced_by_a_newer_one() -> None:
    instance = make.instance()
    expires = make.clock.now()

    assert instance.apply_connection_update(
        InstanceStatus.QR_REQUIRED, make.clock.advance(), qr="qr-1", qr_expires_at=expires
    )
    assert instance.apply_connection_update(InstanceStatus.CONNECTING, make.clock.advance())
    assert (instance.qr, instance.qr_expires_at) == ("qr-1", expires)

    instance.apply_connection_update(InstanceStatus.QR_REQUIRED, make.clock.advance(), qr="qr-2")
    assert instance.qr == "qr-2"


def test_connecting_drops_the_qr_and_records_phone_and_last_seen() -> None:
    instance = make.instance(status=InstanceStatus.QR_REQUIRED, qr="qr-1")
    at = make.clock.advance()

    assert instance.apply_connection_update(InstanceStatus.CONNECTED, at, phone="+5531988887777")

    assert instance.status is InstanceStatus.CONNECTED
    assert (instance.qr, instance.qr_expires_at) == (None, None)
    assert (instance.phone_number, instance.last_seen_at, instance.updated_at) == (
        "+5531988887777",
        at,
        at,
    )


def test_the_same_update_twice_is_a_no_op() -> None:
    instance = make.instance()
    at = make.clock.advance()
    instance.apply_connection_update(InstanceStatus.DISCONNECTED, at)

    assert (
        instance.apply_connection_update(InstanceStatus.DISCONNECTED, make.clock.advance()) is False
    )
    assert instance.updated_at == at


def test_the_qr_never_shows_in_repr() -> None:
    instance = make.instance(qr="2@secret-qr-payload")

    assert "secret-qr-payload" not in repr(instance)


def test_a_tombstone_ignores_the_broker() -> None:
    instance = make.instance(status=InstanceStatus.CONNECTED)
    at = make.clock.advance()

    assert instance.tombstone(at) is True
    assert instance.tombstone(make.clock.advance()) is False
    assert instance.apply_connection_update(InstanceStatus.CONNECTED, make.clock.advance()) is False

    assert instance.is_deleted
    assert (instance.deleted_at, instance.status) == (at, InstanceStatus.DISCONNECTED)
