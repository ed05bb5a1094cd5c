"""The ASGI application: AWS calls on every path, plus ``/_localexport/`` for
health, signed downloads and the test controls."""

from __future__ import annotations

import logging
import secrets
import shutil
from pathlib import Path
from tempfile import mkdtemp
from typing import Any
from urllib.parse import parse_qs

import anyio
import anyio.to_thread
from starlette.applications import Starlette

from . import control_api
from .aws.errors import not_implemented
from .aws.gateway import Gateway, WouldBlock
from .aws.identity import Caller, caller_from
from .aws.signatures import SignatureError, Verifier
from .config import Settings, SetupError
from .core import inline
from .core.artifacts import Artifacts, ArtifactStore
from .core.clock import Clock
from .core.controls import Controls
from .core.embedded_s3 import EmbeddedS3
from .core.ids import Ids
from .core.jobs import JobEngine
from .core.objects import EndpointS3, ObjectStore
from .core.runtime import Limits, RequestContext, Runtime
from .core.shared_state import StoredState
from .core.store import Store
from .core.urls import UrlSigner
from .services import Services

log = logging.getLogger(__name__)


def _secret(data_dir: Path | None, store: Store) -> bytes:
    """The URL-signing key; kept so issued URLs survive restarts: in the data dir, or, on PostgreSQL, in the
    store, which every server of a shared instance reads (a URL signed by one is good at any other)."""
    if store.dialect == "postgresql":
        return bytes.fromhex(store.update_setting("url-signing-key", lambda saved: saved or secrets.token_hex(32)))
    if data_dir is None:
        return secrets.token_bytes(32)
    path = data_dir / "url-signing.key"
    if not path.exists():
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path.read_bytes()


class LocalExport:
    """One localexport instance: runtime, gateway, controls and the ASGI app."""

    def __init__(self, settings: Settings | None = None, *, in_memory: bool = False, clock: Clock | None = None,
                 ids: Ids | None = None):
        self.settings = settings or Settings()
        self._temp_root: Path | None = None
        self.in_memory = in_memory  # nothing on disk, no socket: reached only in-process
        if in_memory:
            data_dir = None
            artifacts_root = self._temp_root = Path(mkdtemp(prefix="localexport-"))
            db_url = "sqlite://"
        else:
            data_dir = self.settings.data_dir
            data_dir.mkdir(parents=True, exist_ok=True)
            artifacts_root = data_dir / "artifacts"
            db_url = self.settings.resolved_database_url()
        clock = clock or Clock()
        store = Store(db_url)
        artifacts = ArtifactStore(artifacts_root) if in_memory else _artifact_store(self.settings, artifacts_root)
        if in_memory:
            artifacts.durable = False
        queue = state = None
        if not in_memory and self.settings.uses_workers():
            queue = _task_queue(self.settings, db_url, store)
        if queue is not None or (self.settings.shared_state and not in_memory):
            state = StoredState(store, self.settings.job_mode, self.settings.job_delay)
            clock.share(state)
        engine = JobEngine(store, artifacts, clock, self.settings.job_mode, self.settings.job_delay,
                           self.settings.job_workers, self.settings.job_max_attempts, state=state, queue=queue)
        limits = Limits(self.settings.max_archive_entries, self.settings.max_archive_bytes)
        urls = UrlSigner(_secret(data_dir, store), clock)
        self.runtime = Runtime(store, artifacts, clock, ids or Ids(), engine, urls, limits,
                               objects=_object_store(self.settings, data_dir),
                               options=self.settings.runtime_options())
        self.services = Services(self.runtime)  # each imported at its first use
        self.handlers = self.services.handlers
        self.gateway = Gateway(self._dispatch, self.settings.max_body_bytes, self._claim, self.services.validation,
                               Verifier.load(self.settings.credentials) if self.settings.credentials else None)
        self.controls = Controls(self.runtime, self.services.console_action, self.services.job_name)
        engine.recover()
        self.app = _asgi(self)

    def _dispatch(self, caller: Caller, service: str, operation: str, params: dict[str, Any], base_url: str,
                  request_id: str = ""):
        try:
            handler = self.handlers[service, operation]
        except KeyError:
            raise not_implemented(service, operation) from None
        ctx = RequestContext(self.runtime, caller.account, caller.region, service, operation, base_url, request_id)
        return handler(ctx, params)

    def _claim(self, caller: Caller, service: str, operation: str, params: dict[str, Any]) -> bool:
        claim = self.services.claim(service, operation)
        if claim is None:
            return False
        return claim(RequestContext(self.runtime, caller.account, caller.region, service, operation, ""), params)

    def close(self) -> None:
        self.runtime.engine.close()
        self.runtime.store.close()
        if self._temp_root is not None:  # an in-memory instance leaves nothing behind
            shutil.rmtree(self._temp_root, ignore_errors=True)


def _task_queue(settings: Settings, db_url: str, store: Store):
    from .core.task_queue import TaskQueue

    if not db_url.startswith("postgresql"):
        raise SetupError("jobs run by workers need the PostgreSQL store: set LOCALEXPORT_DATABASE_URL="
                         "postgresql+psycopg://...")
    if settings.s3_endpoint_url is None:
        raise SetupError("a distributed instance (PostgreSQL, jobs run by `localexport worker`) cannot keep S3 "
                         "in one process's memory: set LOCALEXPORT_S3_ENDPOINT_URL to an external S3 (MinIO, AWS, "
                         "a moto server), or LOCALEXPORT_JOB_RUNNER=threads for a single server")
    if not (settings.artifacts_url or "").startswith("s3://"):
        log.warning("jobs run by workers with artifacts in a local folder: every server and worker must share "
                    "that folder (one host); on several hosts set LOCALEXPORT_ARTIFACTS_URL=s3://bucket/prefix")
    return TaskQueue(db_url, store, settings.worker_heartbeat, settings.worker_stalled_after)


def _artifact_store(settings: Settings, default_root: Path) -> Artifacts:
    url = settings.artifacts_url
    if url is None:
        return ArtifactStore(default_root)
    if not url.startswith("s3://"):
        return ArtifactStore(Path(url))
    from .core.artifacts_s3 import S3Artifacts  # boto3's S3 client only where it is used

    return S3Artifacts(url, settings.artifacts_endpoint_url, settings.artifacts_region,
                       settings.artifacts_access_key_id, settings.artifacts_secret_access_key)


def _object_store(settings: Settings, data_dir: Path | None) -> ObjectStore:
    if settings.s3_endpoint_url is None:
        return EmbeddedS3(data_dir)
    return EndpointS3(settings.s3_endpoint_url, settings.s3_region, settings.s3_access_key_id,
                      settings.s3_secret_access_key)


def _asgi(instance: LocalExport):
    from a2wsgi import WSGIMiddleware

    control = Starlette(routes=control_api.routes(instance))
    pages = _console(instance)
    gateway = instance.gateway
    objects = instance.runtime.objects
    # moto's S3 behind a2wsgi (its own threads, so bodies stream and the loop stays free)
    s3 = WSGIMiddleware(objects.wsgi_app(gateway.verifier is not None)) if isinstance(objects, EmbeddedS3) else None
    # AWS calls touch the store and may run a job in immediate mode: on threads, so the loop keeps answering;
    # reads on a store that never waits are answered on the loop (the hop to a thread costs more than they do)
    calls = anyio.CapacityLimiter(instance.settings.call_threads)
    reads_inline = instance.runtime.store.reads_never_wait

    async def app(scope, receive, send):
        if scope["type"] != "http":
            await control(scope, receive, send)
            return
        if scope["path"].startswith("/_localexport/"):
            await (pages if scope["path"].startswith(CONSOLE) else control)(scope, receive, send)
            return
        if s3 is not None:
            caller = _caller(scope)
            if caller.signing_service == "s3":
                account = caller.account
                if gateway.verifier is not None:  # the body streams to moto: its signed hash stands for it
                    try:
                        account = gateway.verifier.verify(scope["method"], _raw_path(scope),
                                                          scope["query_string"].decode("latin-1"),
                                                          _headers(scope), None, s3=True)
                    except SignatureError as refused:
                        await _send(send, refused.status, {"content-type": "application/xml"}, refused.s3_xml())
                        return
                # moto takes the account from this header; ours come from the credentials (never from the client's).
                headers = [h for h in scope["headers"] if h[0].lower() != b"x-moto-account-id"]
                headers.append((b"x-moto-account-id", account.encode()))
                await s3({**scope, "headers": headers}, receive, send)
                return
        chunks = []
        size = 0
        more = True
        while more:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= gateway.max_body:  # past the limit: keep draining, keep nothing, answer 413
                chunks.append(chunk)
            more = message.get("more_body", False)
        headers = _headers(scope)
        if size > gateway.max_body:
            result = gateway.too_large()
        else:
            host = headers.get("host") or f"{scope['server'][0]}:{scope['server'][1]}"
            base_url = f"{scope.get('scheme', 'http')}://{host}"
            request = (scope["method"], _raw_path(scope), scope["query_string"].decode("latin-1"), headers,
                       b"".join(chunks), base_url)
            result = None
            if reads_inline:
                try:
                    with inline.answering():
                        result = gateway.handle(*request, inline=True)
                except WouldBlock:
                    pass
            if result is None:
                result = await anyio.to_thread.run_sync(gateway.handle, *request, limiter=calls)
        await _send(send, result.status, result.headers, result.body if result.has_content else None)

    return app


CONSOLE = "/_localexport/ui"


def _console(instance: LocalExport):
    """The web console, its modules and templates loaded at its first request (nothing of it on the AWS path)."""
    app = None

    async def pages(scope, receive, send):
        nonlocal app
        if app is None:
            from . import console

            app = Starlette(routes=console.routes(instance))
        await app(scope, receive, send)

    return pages


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _raw_path(scope) -> str:
    raw_path = scope.get("raw_path")
    return raw_path.decode("latin-1").split("?", 1)[0] if raw_path else scope["path"]


async def _send(send, status: int, headers: dict[str, str], body: bytes | None) -> None:
    """``body`` None: no content at all (a 204 claiming a length leaves bytes a keep-alive client takes for
    the next answer)."""
    raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    if body is not None:
        raw_headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body or b""})


def _caller(scope) -> Caller:
    authorization = None
    for name, value in scope["headers"]:
        if name.lower() == b"authorization":
            authorization = value.decode("latin-1")
    credential = v2_key = None
    if authorization is None and b"=" in scope["query_string"]:
        query = parse_qs(scope["query_string"].decode("latin-1"))
        credential = query.get("X-Amz-Credential", [None])[0]
        v2_key = query.get("AWSAccessKeyId", [None])[0]
    return caller_from(authorization, credential, v2_key)


def create_app(settings: Settings | None = None):
    """ASGI factory for ``uvicorn --factory localexport.app:create_app``."""
    return LocalExport(settings).app
