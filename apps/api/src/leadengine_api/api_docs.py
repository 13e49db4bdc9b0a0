"""What each operation documents about its errors and its authentication.

Every error is a `Problem` (application/problem+json); listing the statuses a route may answer
lets clients and the contract tests (schemathesis) hold us to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

from leadengine_contracts.problems import Problem
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Operation, Reference, SecurityRequirement

from leadengine_api.problems import PROBLEM_JSON

__all__ = ["PUBLIC", "PUBLIC_ERRORS", "USER_ERRORS", "OptionalBodyOperation", "problems"]

PUBLIC: list[SecurityRequirement] = [{}]
"""`security` of an operation that needs no credential."""


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=HTTPStatus(status).phrase,
            generate_examples=False,
        )
        for status in statuses
    }


PUBLIC_ERRORS = problems(400, 401, 409, 413, 422, 429)
USER_ERRORS = problems(400, 401, 403, 404, 409, 413, 422, 429)


@dataclass
class OptionalBodyOperation(Operation):
    """For handlers whose body may be left out (`data: … | None = None`): Litestar documents
    every request body as required, which would tell clients and contract tests otherwise."""

    def __post_init__(self) -> None:
        if self.request_body is not None and not isinstance(self.request_body, Reference):
            self.request_body.required = False
