"""Answer botocore clients in-process: no socket, same app, same wire bytes.

``attach(client, instance)`` hooks the client's ``before-send`` event (as moto
does), so the request the SDK built is handed to the ASGI app and the SDK
parses the app's response exactly as it would a network one.
"""

from __future__ import annotations

import io
import threading
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from .app import LocalExport

if TYPE_CHECKING:
    import httpx


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
        self._app = instance.app
        self._base_url = base_url
        self._http: httpx.Client | None = None
        self._making = threading.Lock()

    @property
    def http(self) -> httpx.Client:
        """An httpx client of the app, made at its first request (importing httpx is a tenth of a mock's
        first call, which needs no HTTP when it is not S3's); once, whichever threads ask first."""
        if self._http is None:
            with self._making:
                if self._http is None:
                    import httpx

                    from .asgi_transport import AppTransport

                    self._http = httpx.Client(transport=AppTransport(self._app), base_url=self._base_url)
        return self._http

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
        if self._http is not None:
            self._http.close()
