"""httpx's ASGI transport, run on an event loop of the calling thread: how ``InProcess`` reaches the app."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx


class AppTransport(httpx.BaseTransport):
    """httpx's ASGI transport, run on an event loop of the calling thread (kept for its next calls).

    Starlette's TestClient hands every request to an event loop on another thread and waits for the answer:
    on a small VM that hop alone costs 2-6 ms, ten times the app's own work for a read.  Here the app runs on
    the caller's thread; what it sends to threads (writes, jobs, the embedded S3) still goes to threads."""

    def __init__(self, app: Any):
        self._asgi = httpx.ASGITransport(app=app, raise_app_exceptions=True)
        self._local = threading.local()
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._guard = threading.Lock()

    def _loop(self) -> asyncio.AbstractEventLoop:
        loop = getattr(self._local, "loop", None)
        if loop is None:
            loop = self._local.loop = asyncio.new_event_loop()
            with self._guard:
                self._loops.append(loop)
        return loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        loop = self._loop()

        async def answer() -> tuple[httpx.Response, bytes]:
            response = await self._asgi.handle_async_request(request)
            return response, await response.aread()

        response, content = loop.run_until_complete(answer())
        return httpx.Response(response.status_code, headers=response.headers, content=content, request=request)

    def close(self) -> None:
        with self._guard:
            loops, self._loops = self._loops, []
        for loop in loops:
            if not loop.is_running():
                loop.run_until_complete(loop.shutdown_default_executor())
                loop.close()
