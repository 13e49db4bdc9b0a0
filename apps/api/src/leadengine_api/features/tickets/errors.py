"""The 422 for one bad field, shaped like Litestar's own validation errors."""

from __future__ import annotations

from typing import Literal

from leadengine_core.errors import ValidationFailed

__all__ = ["invalid_field"]


def invalid_field(
    field: str, message: str, *, source: Literal["body", "query"]
) -> ValidationFailed:
    return ValidationFailed(
        "the request is not valid",
        details={"errors": [{"field": field, "source": source, "message": message}]},
    )
