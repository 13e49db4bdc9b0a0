"""The one error format of the API: RFC 9457 problem details with a stable `code`."""

from __future__ import annotations

from leadengine_contracts.base import WireModel

__all__ = ["FieldError", "Problem"]


class FieldError(WireModel):
    field: str
    """Dotted path of the offending value (empty when the whole body is wrong)."""
    source: str
    """Where it came from: `body`, `query`, `path` or `header`."""
    message: str


class Problem(WireModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str
    code: str
    """Stable machine-readable error code, e.g. `VALIDATION_ERROR`, `NOT_FOUND`."""
    request_id: str | None = None
    errors: list[FieldError] | None = None
    details: dict[str, object] | None = None
