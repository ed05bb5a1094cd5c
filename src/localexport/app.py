"""The ASGI application: AWS calls on every path, plus ``/_localexport/`` for
health, signed downloads and the test controls."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import shutil
from pathlib import Path
from tempfile import mkdtemp
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from . import services
from .aws.errors import AWSError, not_implemented
from .aws.gateway import Gateway
from .aws.identity import DEFAULT_ACCOUNT, DEFAULT_REGION, Caller, caller_from
from .aws.protocols import serialize_error
from .config import Settings
from .core.artifacts import ArtifactStore
from .core.clock import Clock
from .core.controls import Controls, UnknownAction
from .core.ids import Ids
from .core.jobs import JobEngine
from .core.objects import EmbeddedS3, EndpointS3, ObjectStore
from .core.runtime import Limits, RequestContext, Runtime
from .core.store import Store
from .core.urls import PREFIX, UrlRefused, UrlSigner

log = logging.getLogger(__name__)


def _secret(data_dir: Path | None) -> bytes:
    """The URL-signing key; kept in the data dir so issued URLs survive restarts."""
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
        artifacts = ArtifactStore(artifacts_root)
        engine = JobEngine(store, artifacts, clock, self.settings.job_mode, self.settings.job_delay,
                           self.settings.job_workers, self.settings.job_max_attempts)
        limits = Limits(self.settings.max_archive_entries, self.settings.max_archive_bytes)
        self.runtime = Runtime(store, artifacts, clock, ids or Ids(), engine, UrlSigner(_secret(data_dir), clock), limits,
                               objects=_object_store(self.settings, data_dir),
                               options={"export_part_rows": self.settings.export_part_rows})
        services.install(self.runtime)
        registry = services.operations().items()
        self.handlers = {(name, op): fn for name, ops in registry for op, fn in ops.handlers.items()}
        self._claims = {(name, op): fn for name, ops in registry for op, fn in ops.claims.items()}
        styles = {name: ops.validation for name, ops in registry if ops.validation is not None}
        self.gateway = Gateway(self._dispatch, self.settings.max_body_bytes, self._claim, styles)
        self.controls = Controls(self.runtime, {(name, action): fn for name, ops in registry
                                                for action, fn in ops.console_actions.items()})
        engine.recover()
        self.app = _asgi(self)

    def _dispatch(self, caller: Caller, service: str, operation: str, params: dict[str, Any], base_url: str,
                  request_id: str = ""):
        handler = self.handlers.get((service, operation))
        if handler is None:
            raise not_implemented(service, operation)
        ctx = RequestContext(self.runtime, caller.account, caller.region, service, operation, base_url, request_id)
        return handler(ctx, params)

    def _claim(self, caller: Caller, service: str, operation: str, params: dict[str, Any]) -> bool:
        claim = self._claims.get((service, operation))
        if claim is None:
            return False
        return claim(RequestContext(self.runtime, caller.account, caller.region, service, operation, ""), params)

    def close(self) -> None:
        self.runtime.engine.close()
        self.runtime.objects.save()
        self.runtime.store.engine.dispose()
        if self._temp_root is not None:  # an in-memory instance leaves nothing behind
            shutil.rmtree(self._temp_root, ignore_errors=True)


def _object_store(settings: Settings, data_dir: Path | None) -> ObjectStore:
    if settings.s3_endpoint_url is None:
        return EmbeddedS3(data_dir / "embedded-s3.pickle" if data_dir else None)
    return EndpointS3(settings.s3_endpoint_url, settings.s3_region, settings.s3_access_key_id,
                      settings.s3_secret_access_key)


def _embedded_s3():
    """moto's S3 as an ASGI app (its Flask app behind a2wsgi, so bodies stream)."""
    from a2wsgi import WSGIMiddleware
    from moto.server import create_backend_app

    return WSGIMiddleware(create_backend_app("s3"))


def _asgi(instance: LocalExport):
    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        # uvicorn re-raises SIGTERM after its graceful shutdown, before ``serve``'s cleanup: save here
        instance.runtime.objects.save()

    control = Starlette(routes=_control_routes(instance), lifespan=lifespan)
    gateway = instance.gateway
    s3 = _embedded_s3() if instance.settings.s3_endpoint_url is None else None

    async def app(scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/_localexport/"):
            await control(scope, receive, send)
            return
        if s3 is not None:
            caller = _caller(scope)
            if caller.signing_service == "s3":
                # moto takes the account from this header; ours come from the access key.
                account = (b"x-moto-account-id", caller.account.encode())
                await s3({**scope, "headers": [*scope["headers"], account]}, receive, send)
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
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if size > gateway.max_body:
            result = gateway.too_large()
        else:
            host = headers.get("host") or f"{scope['server'][0]}:{scope['server'][1]}"
            base_url = f"{scope.get('scheme', 'http')}://{host}"
            raw_path = scope.get("raw_path")
            path = raw_path.decode("latin-1").split("?", 1)[0] if raw_path else scope["path"]
            result = gateway.handle(scope["method"], path, scope["query_string"].decode("latin-1"), headers,
                                    b"".join(chunks), base_url)
        raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in result.headers.items()]
        if result.has_content:  # a 204 claiming a length leaves bytes a keep-alive client takes for the next answer
            raw_headers.append((b"content-length", str(len(result.body)).encode()))
        await send({"type": "http.response.start", "status": result.status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": result.body if result.has_content else b""})

    return app


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


class _TooLarge(Exception):
    pass


def _s3_error(status: int, code: str, message: str) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(body, status_code=status, media_type="application/xml")


def _control_routes(instance: LocalExport) -> list[Route]:
    controls = instance.controls
    runtime = instance.runtime

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "services": sorted(services.operations()), **controls.timing()})

    async def download(request: Request) -> Response:
        key = request.path_params["key"]
        try:
            runtime.urls.verify("GET", key, dict(request.query_params))
            path = runtime.artifacts.path(key)
        except UrlRefused as refused:
            return _s3_error(403, "AccessDenied", str(refused))
        except (FileNotFoundError, ValueError):
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        name = key.rsplit("/", 1)[-1]
        media = "application/json" if name.endswith(".json") else "application/zip"
        return FileResponse(path, media_type=media, filename=name)

    async def upload(request: Request) -> Response:
        key = request.path_params["key"]
        try:
            runtime.urls.verify("PUT", key, dict(request.query_params))
        except UrlRefused as refused:
            return _s3_error(403, "AccessDenied", str(refused))
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        try:
            with runtime.artifacts.writer(key) as out:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > instance.settings.max_body_bytes:
                        raise _TooLarge
                    digest.update(chunk)
                    out.write(chunk)
        except _TooLarge:
            return _s3_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
        return Response(status_code=200, headers={"ETag": f'"{digest.hexdigest()}"'})

    async def timing(request: Request) -> Response:
        if request.method == "POST":
            body = await _json(request)
            try:
                return JSONResponse(controls.set_timing(body.get("mode"), body.get("delay")))
            except ValueError as error:
                return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse(controls.timing())

    async def jobs(request: Request) -> Response:
        query = request.query_params
        return JSONResponse({"jobs": controls.jobs(query.get("service"), query.get("state"))})

    async def job_download(request: Request) -> Response:
        url = controls.download_url(request.path_params["job_id"], str(request.base_url))
        if url is None:
            return JSONResponse({"error": "no finished archive for this job"}, status_code=404)
        return JSONResponse({"url": url})

    async def job(request: Request) -> Response:
        found = controls.job(request.path_params["job_id"])
        return JSONResponse(found) if found else JSONResponse({"error": "no such job"}, status_code=404)

    async def advance(request: Request) -> Response:
        found = controls.advance(request.path_params["job_id"])
        return JSONResponse(found or {"gone": True})

    async def fail(request: Request) -> Response:
        body = await _json(request)
        reasons = body.get("reasons") or ["Failure injected by the test controls."]
        ok = controls.fail(request.path_params["job_id"], [str(r) for r in reasons])
        return JSONResponse({"failed": ok}, status_code=200 if ok else 409)

    async def fail_next(request: Request) -> Response:
        body = await _json(request)
        reasons = body.get("reasons") or ["Failure injected by the test controls."]
        controls.fail_next([str(r) for r in reasons], body.get("kind"))
        return JSONResponse({"armed": True})

    async def clock(request: Request) -> Response:
        body = await _json(request)
        return JSONResponse({"now": controls.advance_clock(float(body.get("advance", 0)))})

    async def console(request: Request) -> Response:
        body = await _json(request)
        service, action = request.path_params["service"], request.path_params["action"]
        try:
            result = controls.console(service, action, str(body.get("account") or DEFAULT_ACCOUNT),
                                      str(body.get("region") or DEFAULT_REGION), dict(body.get("params") or {}))
        except UnknownAction as error:
            return JSONResponse({"error": str(error)}, status_code=404)
        except AWSError as error:  # as the service would answer it
            status, headers, content = serialize_error(service, error)
            return Response(content, status_code=status, headers=headers)
        return JSONResponse(result)

    async def reset(request: Request) -> Response:
        body = await _json(request)
        controls.reset(body.get("account"))
        return JSONResponse({"reset": True})

    base = "/_localexport"
    return [
        Route(f"{base}/health", health),
        Route(PREFIX + "{key:path}", download, methods=["GET"]),
        Route(PREFIX + "{key:path}", upload, methods=["PUT"]),
        Route(f"{base}/control/timing", timing, methods=["GET", "POST"]),
        Route(f"{base}/control/jobs", jobs),
        Route(f"{base}/control/jobs/{{job_id}}", job),
        Route(f"{base}/control/jobs/{{job_id}}/advance", advance, methods=["POST"]),
        Route(f"{base}/control/jobs/{{job_id}}/download", job_download),
        Route(f"{base}/control/jobs/{{job_id}}/fail", fail, methods=["POST"]),
        Route(f"{base}/control/fail-next", fail_next, methods=["POST"]),
        Route(f"{base}/control/clock", clock, methods=["POST"]),
        Route(f"{base}/control/reset", reset, methods=["POST"]),
        Route(f"{base}/control/console/{{service}}/{{action}}", console, methods=["POST"]),
    ]


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def create_app(settings: Settings | None = None):
    """ASGI factory for ``uvicorn --factory localexport.app:create_app``."""
    return LocalExport(settings).app
