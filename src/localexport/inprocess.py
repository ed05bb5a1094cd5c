"""Answer botocore clients in-process: no socket, same app, same wire bytes.

``attach(client, instance)`` hooks the client's ``before-send`` event (as moto
does), so the request the SDK built is handed to the ASGI app and the SDK
parses the app's response exactly as it would a network one.
"""

from __future__ import annotations

import asyncio
import io
import threading
from typing import Any

import httpx
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from .app import LocalExport


class _AppTransport(httpx.BaseTransport):
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


class _Raw:
    """The raw body botocore reads: whole (``stream``) or, for streaming outputs such as
    S3 GetObject, piece by piece (``read``)."""

    def __init__(self, data: bytes):
        self.data = data
        self._reader = io.BytesIO(data)

    def stream(self, **_: Any):
        yield self.data

    def read(self, amt: int | None = None, **_: Any) -> bytes:
        return self._reader.read(amt)


def request_body(request: AWSPreparedRequest) -> bytes:
    """The bytes botocore would send (its body may be bytes, str or a file)."""
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    return body or b""


def aws_response(request: AWSPreparedRequest, status: int, headers: dict, body: bytes) -> AWSResponse:
    """A response botocore parses as if it had come over the network."""
    return AWSResponse(request.url, status, headers, _Raw(body))


class InProcess:
    def __init__(self, instance: LocalExport, base_url: str = "http://localexport"):
        self.http = httpx.Client(transport=_AppTransport(instance.app), base_url=base_url)

    def send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        # the whole body goes at once: a chunked transfer-encoding header (S3 streaming uploads) would lie
        headers = {k: v for k, v in request.headers.items() if k.lower() != "transfer-encoding"}
        response = self.http.request(request.method, request.url, headers=headers, content=request_body(request))
        return aws_response(request, response.status_code, dict(response.headers), response.content)

    def attach(self, client) -> Any:
        client.meta.events.register("before-send", self.send)
        return client

    def get(self, url: str, **kwargs: Any):
        return self.http.get(url, **kwargs)

    def close(self) -> None:
        self.http.close()
