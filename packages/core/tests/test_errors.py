import pytest
from leadengine_core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidJid,
    InvalidPhone,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (DomainError, "DOMAIN_ERROR"),
        (NotFound, "NOT_FOUND"),
        (Conflict, "CONFLICT"),
        (InvalidTransition, "INVALID_TRANSITION"),
        (InvalidPhone, "INVALID_PHONE"),
        (InvalidJid, "INVALID_JID"),
        (Forbidden, "FORBIDDEN"),
        (ValidationFailed, "VALIDATION_ERROR"),
    ],
)
def test_each_error_has_its_stable_code(error: type[DomainError], code: str) -> None:
    raised = error("boom", details={"field": "x"})

    assert raised.code == code
    assert (raised.message, str(raised)) == ("boom", "boom")
    assert raised.details == {"field": "x"}


def test_details_default_to_an_own_empty_dict() -> None:
    first, second = NotFound("a"), NotFound("b")
    first.details["k"] = 1

    assert second.details == {}
