"""The ``/_localexport/`` routes: health, signed archive downloads and uploads, and
the test controls over HTTP (what ``LocalExport.controls`` offers in Python)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from . import services
from .aws.errors import AWSError
from .aws.identity import DEFAULT_ACCOUNT, DEFAULT_REGION
from .aws.protocols import serialize_error
from .core.controls import UnknownAction
from .core.urls import PREFIX, UrlRefused

if TYPE_CHECKING:
    from .app import LocalExport


class _TooLarge(Exception):
    pass


def _s3_error(status: int, code: str, message: str) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(body, status_code=status, media_type="application/xml")


def routes(instance: LocalExport) -> list[Route]:
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
