import pytest
from leadengine_contracts.base import WireModel
from pydantic import ValidationError


class Sample(WireModel):
    ticket_id: str
    unread_count: int = 0


def test_wire_is_camel_case_both_ways() -> None:
    sample = Sample.model_validate({"ticketId": "t-1", "unreadCount": 3})
    assert sample.ticket_id == "t-1"
    assert sample.model_dump() == {"ticketId": "t-1", "unreadCount": 3}
    assert Sample.model_validate_json(sample.model_dump_json()) == sample


def test_python_names_are_accepted_too() -> None:
    assert Sample(ticket_id="t-2").model_dump(mode="json") == {"ticketId": "t-2", "unreadCount": 0}


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        Sample.model_validate({"ticketId": "t", "tenantId": "other"})


def test_schema_uses_wire_names() -> None:
    assert set(Sample.model_json_schema(by_alias=True)["properties"]) == {"ticketId", "unreadCount"}
