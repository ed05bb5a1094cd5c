"""In-process mode: ``mock_export`` answers botocore clients of the five services with
no socket and no ``endpoint_url``, as moto does.

- botocore: a ``before-send`` handler is put first in botocore's built-in handlers
  when this module is imported, so every client created afterwards (also before
  entering the mock) asks it first.  It answers the five services and S3 (with
  moto's S3 backend, the one ``moto.mock_aws()`` uses too), and only while a
  mock is active; anything else goes on to the next handler or the network.
- Calls of the five services are not signed inside a mock (a ``choose-signer`` handler): the
  Authorization header carries the credential scope the account comes from, and no signature,
  which nothing checks (unless ``LOCALEXPORT_CREDENTIALS`` asks the instance to: then they are).
- Download and upload URLs point at ``http://localexport.mock``; while a mock is
  active, requests and urllib3 (through ``urllib3.HTTPConnectionPool.urlopen``)
  and httpx (through ``httpx.HTTPTransport``, once something imports httpx) reach the app for that host only.
"""

from __future__ import annotations

import functools
import inspect
import io
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit, urlunsplit

import urllib3
import wrapt
from botocore.auth import AUTH_TYPE_MAPS, BaseSigner
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import NoCredentialsError
from botocore.handlers import BUILTIN_HANDLERS
from botocore.model import ServiceId

from .app import LocalExport
from .aws.models import KNOWN
from .config import Settings
from .inprocess import InProcess, aws_response, request_body

if TYPE_CHECKING:
    import httpx

MOCK_HOST = "localexport.mock"
_FAKE_ENV = {"AWS_ACCESS_KEY_ID": "FOOBARKEY", "AWS_SECRET_ACCESS_KEY": "FOOBARSECRET"}
BASE_URL = f"http://{MOCK_HOST}"
# botocore's event names hold the hyphenated service id (``before-send.lex-models-v2.DescribeBot``)
_OURS = frozenset(ServiceId(known.service_id).hyphenize() for known in KNOWN.values()) | {"s3"}
_active: list[mock_export] = []
_lock = threading.RLock()


def _before_send(request: AWSPreparedRequest, event_name: str = "", **_: Any) -> AWSResponse | None:
    """botocore's ``before-send.{service-id}.{Operation}``: ours while a mock is active, else None (next handler)."""
    parts = event_name.split(".")
    if not _active or len(parts) < 2 or parts[1] not in _OURS:
        return None
    # S3 (where Personalize jobs read and write) is answered by the app's embedded S3
    response = _active[-1].wire.send(request) if parts[1] == "s3" else _active[-1].send(request)
    # botocore still calls the later before-send handlers (moto's among them) and keeps the
    # first response; pointing the request at our host makes them pass it by.
    split = urlsplit(request.url)
    request.url = urlunsplit(("http", MOCK_HOST, split.path, split.query, ""))
    return response


BUILTIN_HANDLERS.insert(0, ("before-send", _before_send))


class _ScopeOnly(BaseSigner):
    """SigV4's Authorization header with the credential scope (the account and region are read from it) and
    no signature: nothing checks one inside the mock, and computing it is a fifth of a call's time."""

    REQUIRES_REGION = True

    def __init__(self, credentials, service_name: str, region_name: str):
        self.credentials, self.service_name, self.region_name = credentials, service_name, region_name

    def add_auth(self, request: AWSPreparedRequest) -> None:
        if self.credentials is None:
            raise NoCredentialsError()
        now = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        request.headers["X-Amz-Date"] = now
        if self.credentials.token:
            request.headers["X-Amz-Security-Token"] = self.credentials.token
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.credentials.access_key}/{now[:8]}/{self.region_name}/"
            f"{self.service_name}/aws4_request, SignedHeaders=host;x-amz-date, Signature=unsigned-inside-the-mock")


_SCOPE_ONLY = "localexport-mock-scope-only"
AUTH_TYPE_MAPS[_SCOPE_ONLY] = _ScopeOnly


def _choose_signer(event_name: str = "", signature_version: str | None = None, **_: Any) -> str | None:
    """botocore's ``choose-signer.{service-id}.{Operation}``: plain SigV4 calls of our services (not S3's,
    whose presigned URLs leave the process) go unsigned while a mock that checks no signature is active."""
    parts = event_name.split(".")
    if (signature_version != "v4" or not _active or len(parts) < 2 or parts[1] not in _OURS or parts[1] == "s3"
            or _active[-1].instance.gateway.verifier is not None):
        return None
    return _SCOPE_ONLY


BUILTIN_HANDLERS.insert(0, ("choose-signer", _choose_signer))


def _current() -> mock_export:
    return _active[-1]


# -- HTTP clients ----------------------------------------------------------------------

_original_urlopen = urllib3.connectionpool.HTTPConnectionPool.urlopen
_original_httpx: list[Any] = []  # httpx.HTTPTransport.handle_request as httpx has it, once httpx is imported


def _urlopen(pool, method, url, body=None, headers=None, *args, **kwargs):
    if pool.host != MOCK_HOST or not _active:
        return _original_urlopen(pool, method, url, body, headers, *args, **kwargs)
    if body is not None and not isinstance(body, (bytes, str)):
        body = body.read() if hasattr(body, "read") else b"".join(body)
    response = _current().wire.http.request(method, url, content=body or b"", headers=dict(headers or {}))
    return urllib3.HTTPResponse(body=io.BytesIO(response.content), headers=dict(response.headers),
                                status=response.status_code, reason=response.reason_phrase, preload_content=False,
                                decode_content=False)


def _httpx_handle(transport, request: httpx.Request) -> httpx.Response:
    if request.url.host != MOCK_HOST or not _active:
        return _original_httpx[0](transport, request)
    response = _current().wire.http.request(request.method, str(request.url), content=request.read(),
                                            headers={k: v for k, v in request.headers.items() if k != "host"})
    import httpx  # (imported: the request is one)

    return httpx.Response(response.status_code, headers=response.headers, content=response.content)


def _patch_httpx(on: bool) -> None:
    """httpx's requests for the mock host to the app (``on``), or not. httpx is not imported for a mock (it
    costs a tenth of a first call): a mock active when something imports it patches it then."""
    httpx = sys.modules.get("httpx")
    if httpx is None or not hasattr(httpx, "HTTPTransport"):
        return
    if not _original_httpx:
        _original_httpx.append(httpx.HTTPTransport.handle_request)
    httpx.HTTPTransport.handle_request = _httpx_handle if on else _original_httpx[0]


def _httpx_imported(_module) -> None:
    # under the mocks' lock: a mock starting on another thread meanwhile patches it or sees it patched, never
    # the other way round (no deadlock: a mock's start imports no httpx while it holds the lock)
    with _lock:
        _patch_httpx(bool(_active))


wrapt.register_post_import_hook(_httpx_imported, "httpx")


_saved_session: list[Any] = []


def _patch(on: bool) -> None:
    urllib3.connectionpool.HTTPConnectionPool.urlopen = _urlopen if on else _original_urlopen
    _patch_httpx(on)
    try:
        import boto3
    except ImportError:
        return
    # boto3's default session copied botocore's handlers when it was made, maybe before ours
    # were added: inside the mock a new one is made (as moto does), and the old one comes back after.
    if on:
        _saved_session.append(boto3.DEFAULT_SESSION)
        boto3.DEFAULT_SESSION = None
    elif _saved_session:
        boto3.DEFAULT_SESSION = _saved_session.pop()


# -- the mock ----------------------------------------------------------------------------


class mock_export:
    """Answer lexv2-models, lex-models, personalize, personalize-events, quicksight and s3 in-process.

    A context manager, a function decorator or a class decorator (each ``test*``
    method gets its own).  State is fresh for every entry unless ``keep_state``.
    ``controls`` holds the test controls of the instance in use.
    """

    def __init__(self, *, keep_state: bool = False, job_mode: str = "immediate", job_delay: float = 0.5):
        self.keep_state = keep_state
        self.settings = Settings(job_mode=job_mode, job_delay=job_delay)
        self.instance: LocalExport | None = None
        self.wire: InProcess | None = None

    @property
    def controls(self):
        if self.instance is None:
            raise RuntimeError("mock_export is not active")
        return self.instance.controls

    def send(self, request: AWSPreparedRequest) -> AWSResponse:
        url = urlsplit(request.url)  # (as sent: botocore quoted the path)
        headers = {k.lower(): v.decode("latin-1") if isinstance(v, bytes) else v for k, v in request.headers.items()}
        headers.setdefault("host", url.netloc)  # as it went into the signature (URLs handed out use BASE_URL)
        result = self.instance.gateway.handle(request.method, url.path, url.query, headers, request_body(request),
                                              BASE_URL)
        return aws_response(request, result.status, result.headers, result.body)

    def start(self) -> mock_export:
        with _lock:
            # like moto: clients made inside need credentials, never real ones
            self._env = {k: os.environ.get(k) for k in _FAKE_ENV}
            for key, value in _FAKE_ENV.items():
                os.environ.setdefault(key, value)
            if self.instance is None or not self.keep_state:
                self.instance = LocalExport(self.settings, in_memory=True)
                self.wire = InProcess(self.instance, BASE_URL)
            if not _active:
                _patch(True)
            _active.append(self)
        return self

    def stop(self) -> None:
        with _lock:
            _active.remove(self)
            if not _active:
                _patch(False)
            for key, value in self._env.items():
                if value is None:
                    os.environ.pop(key, None)
            if not self.keep_state and self.instance is not None:
                self.wire.close()
                self.instance.close()
                self.instance = self.wire = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __call__(self, target):
        if inspect.isclass(target):
            for name, member in list(vars(target).items()):
                if name.startswith("test") and callable(member):
                    setattr(target, name, mock_export(keep_state=self.keep_state, job_mode=self.settings.job_mode,
                                                      job_delay=self.settings.job_delay)(member))
            return target

        @functools.wraps(target)
        def wrapper(*args: Any, **kwargs: Any):
            with mock_export(keep_state=self.keep_state, job_mode=self.settings.job_mode,
                             job_delay=self.settings.job_delay):
                return target(*args, **kwargs)

        return wrapper
