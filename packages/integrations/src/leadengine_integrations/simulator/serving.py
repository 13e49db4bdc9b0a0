"""Serve any ASGI app with uvicorn on a free loopback port, on a thread of its own.

A thread rather than a task on the caller's loop: the same server then serves sync and async
tests alike, and a session-wide fixture outlives each test's event loop.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import uvicorn

__all__ = ["ServedApp"]

_START_TIMEOUT = 10.0


class ServedApp:
    def __init__(
        self, app: Callable[..., Awaitable[Any]], *, lifespan: Literal["on", "off"] = "on"
    ) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", lifespan=lifespan, timeout_graceful_shutdown=2)
        )
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._listener]},
            name="leadengine-served-app",
            daemon=True,
        )

    def start(self) -> str:
        """Start serving and return the base URL once the server accepts connections."""
        self._listener.bind(("127.0.0.1", 0))
        port = self._listener.getsockname()[1]
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("server did not start")
            time.sleep(0.005)
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=_START_TIMEOUT)
        self._listener.close()
