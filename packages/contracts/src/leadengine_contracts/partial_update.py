"""The base of PATCH bodies: absent means unchanged, so null is only a value where it clears."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import ValidationInfo, field_validator, model_validator

from leadengine_contracts.base import WireModel

__all__ = ["PartialUpdate"]


class PartialUpdate(WireModel):
    """Only the fields sent change and at least one must be sent; `null` is refused except
    for the fields named in `clearable`, where it removes the value."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _null_only_where_clearable(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.clearable:
            raise ValueError("omit the field to leave it unchanged; it cannot be null")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self

    def sent(self, field: str) -> bool:
        return field in self.model_fields_set
