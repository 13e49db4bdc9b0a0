"""Constrained string types shared by the request models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import BeforeValidator, StringConstraints

__all__ = ["Email", "Flag", "Name", "Number", "Password", "Slug", "WholeNumber"]

Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Password = Annotated[str, StringConstraints(min_length=8, max_length=200)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=100)]


def _exactly(kinds: tuple[type, ...], name: str) -> Callable[[object], object]:
    """Litestar validates bodies with `strict=False`, so pydantic would turn `false` into 0 and
    `"1"` into True; these request types refuse such juggling whatever the call asks for."""

    def check(value: object) -> object:
        if value is None or (isinstance(value, kinds) and not _is_bool_posing(value, kinds)):
            return value
        raise ValueError(f"expected {name}")

    return check


def _is_bool_posing(value: object, kinds: tuple[type, ...]) -> bool:
    return isinstance(value, bool) and bool not in kinds


WholeNumber = BeforeValidator(_exactly((int,), "a whole number"))
"""Metadata for an `int` request field: no booleans, floats or numeric text."""
Number = BeforeValidator(_exactly((int, float), "a number"))
"""Metadata for a `float` request field: no booleans or numeric text."""
Flag = BeforeValidator(_exactly((bool,), "true or false"))
"""Metadata for a `bool` request field: no 0/1 or "yes"."""
