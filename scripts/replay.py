"""Replay an NDJSON file of broker webhook events to a LeadEngine webhook URL.

Each line is one webhook body (an event, an array or `{events: [...]}`), sent as is with the
webhook key (`X-API-Key`) and, when a secret is known, its HMAC-SHA256 (`X-Signature`), exactly
as the broker signs. Keys come from the arguments or from the same settings the API reads
(WHATSAPP_WEBHOOK_API_KEY, WHATSAPP_WEBHOOK_HMAC_SECRET). Replaying twice is safe: the inbox
stores each event once, and the summary counts the second delivery as duplicates.

    uv run python scripts/replay.py events.ndjson --url http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from leadengine_shared.settings import load_settings

WEBHOOK_PATH = "/api/integrations/whatsapp/webhook"
PROGRESS_EVERY = 500


@dataclass(slots=True)
class Summary:
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    failed: int = 0

    def line(self) -> str:
        return (
            f"sent={self.sent} accepted={self.accepted} "
            f"duplicates={self.duplicates} failed={self.failed}"
        )


def headers_for(body: bytes, api_key: str, secret: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "X-API-Key": api_key}
    if secret:
        headers["X-Signature"] = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return headers


def bodies(path: Path) -> Iterator[bytes]:
    with path.open("rb") as lines:
        for line in lines:
            if line.strip():
                yield line.strip()


async def replay(
    path: Path, url: str, api_key: str, secret: str | None, concurrency: int
) -> Summary:
    summary = Summary()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=concurrency * 2)

    async def send(http: httpx.AsyncClient) -> None:
        while (body := await queue.get()) is not None:
            try:
                response = await http.post(
                    url, content=body, headers=headers_for(body, api_key, secret)
                )
                answer = response.json() if response.status_code == 202 else {}
            except (httpx.HTTPError, ValueError) as error:
                print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
                response, answer = None, {}
            summary.sent += 1
            if response is not None and response.status_code == 202:
                summary.accepted += int(answer.get("accepted", 0))
                summary.duplicates += int(answer.get("duplicates", 0))
            else:
                summary.failed += 1
                status = (
                    "no answer"
                    if response is None
                    else f"{response.status_code} {response.text[:200]}"
                )
                print(f"failed: {status}", file=sys.stderr)
            if summary.sent % PROGRESS_EVERY == 0:
                print(f"progress: {summary.line()}", file=sys.stderr)

    async with httpx.AsyncClient(timeout=30) as http:
        senders = [asyncio.create_task(send(http)) for _ in range(concurrency)]
        for body in bodies(path):
            await queue.put(body)
        for _ in senders:
            await queue.put(None)
        await asyncio.gather(*senders)
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="NDJSON: one webhook body per line")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="API base URL")
    parser.add_argument("--path", default=WEBHOOK_PATH, help="webhook path on that URL")
    parser.add_argument("--api-key", help="default: WHATSAPP_WEBHOOK_API_KEY")
    parser.add_argument("--hmac-secret", help="default: WHATSAPP_WEBHOOK_HMAC_SECRET")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    settings = load_settings()
    api_key = args.api_key or (
        settings.whatsapp_webhook_api_key.get_secret_value()
        if settings.whatsapp_webhook_api_key
        else None
    )
    if not api_key:
        print("replay: no webhook key (--api-key or WHATSAPP_WEBHOOK_API_KEY)", file=sys.stderr)
        return 2
    secret = args.hmac_secret or (
        settings.whatsapp_webhook_hmac_secret.get_secret_value()
        if settings.whatsapp_webhook_hmac_secret
        else None
    )
    started = time.perf_counter()
    summary = asyncio.run(
        replay(args.file, args.url.rstrip("/") + args.path, api_key, secret, args.concurrency)
    )
    print(f"{summary.line()} seconds={time.perf_counter() - started:.1f}")
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
