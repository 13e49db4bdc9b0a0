"""`scripts/replay.py` signs like the broker, and replaying a file twice stores nothing twice."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

from leadengine_api.features.inbound.testing import (
    HMAC_SECRET,
    WEBHOOK_KEY,
    WEBHOOK_PATH,
    serve_webhook_api,
)
from leadengine_integrations.normalize import samples

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "replay.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("replay_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


async def test_replaying_a_file_twice_stores_each_event_once(
    database_url: str, tmp_path: Path
) -> None:
    replay = _load_script()
    events = [samples.message_inbound(message_id=f"R{n}", instance="replay-01") for n in range(3)]
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(json.dumps(event) for event in [*events, events[0]]) + "\n")

    async with serve_webhook_api(database_url) as api:
        url = f"{api.http.base_url}{WEBHOOK_PATH}"
        first = await replay.replay(path, url, WEBHOOK_KEY, HMAC_SECRET, 2)
        second = await replay.replay(path, url, WEBHOOK_KEY, HMAC_SECRET, 2)
        unsigned = await replay.replay(path, url, WEBHOOK_KEY, "wrong-secret", 2)
        assert len(await api.inbox()) == 3

    assert (first.sent, first.accepted, first.duplicates, first.failed) == (4, 3, 1, 0)
    assert (second.sent, second.accepted, second.duplicates, second.failed) == (4, 0, 4, 0)
    assert (unsigned.sent, unsigned.failed) == (4, 4)
