"""GET /api/realtime/events: what a socket missed, for a client coming back after a drop."""

from __future__ import annotations

from typing import Annotated

from leadengine_contracts.events import CatchUpItem, CatchUpPage
from litestar import Controller, get
from litestar.params import Parameter

from leadengine_api.api_docs import USER_ERRORS, problems
from leadengine_api.injected import Caller, Context
from leadengine_api.problems import ApiError
from leadengine_api.realtime.event_log import EventLogUnavailable

__all__ = ["RealtimeController"]

MAX_CATCH_UP = 500

Since = Annotated[
    int, Parameter(ge=0, description="The highest `seq` the client has applied (0: none).")
]
Limit = Annotated[int, Parameter(ge=1, le=MAX_CATCH_UP, description="At most this many items.")]


class RealtimeController(Controller):
    path = "/api/realtime"
    tags = ["realtime"]

    @get("/events", operation_id="listRealtimeEvents", responses={**USER_ERRORS, **problems(503)})
    async def list_events(
        self, principal: Caller, context: Context, since: Since = 0, limit: Limit = 100
    ) -> CatchUpPage:
        """The caller's tenant's events with `seq` above `since`, oldest first, exactly as they
        were emitted. Any role. `truncated`: some are no longer kept; reload through REST."""
        try:
            replay = await context.realtime.log.replay(principal.tenant_id, since, limit)
        except EventLogUnavailable as error:
            raise ApiError(503, "REALTIME_UNAVAILABLE", "the event log cannot be read") from error
        first_kept = replay.last_seq + 1 if replay.oldest_kept is None else replay.oldest_kept
        return CatchUpPage(
            items=[CatchUpItem(seq=e.seq, event=e.event, data=e.data) for e in replay.events],
            last_seq=replay.last_seq,
            truncated=first_kept > since + 1 or since > replay.last_seq,
        )
