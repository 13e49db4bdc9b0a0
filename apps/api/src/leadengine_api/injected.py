"""Annotations for what handlers receive by injection, by parameter name.

Injected values are our own objects, so Litestar is told not to validate them (a Protocol
such as `UnitOfWork` cannot be validated at all).
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

from leadengine_core.ports import UnitOfWork
from litestar.di import Dependency
from litestar.params import SkipValidationMarker

from leadengine_api.auth.principal import Principal
from leadengine_api.context import AppContext

__all__ = ["Caller", "Context", "Uow"]

Context: TypeAlias = Annotated[AppContext, SkipValidationMarker(), Dependency(kind="named")]
Uow: TypeAlias = Annotated[UnitOfWork, SkipValidationMarker(), Dependency(kind="named")]
Caller: TypeAlias = Annotated[Principal, SkipValidationMarker(), Dependency(kind="named")]
