"""The ``/_localexport/`` routes: health, signed archive downloads and uploads, and
the test controls over HTTP (what ``LocalExport.controls`` offers in Python).

Who may call what:

- ``health`` is open to anyone: it tells only that the server is up, its services
  and the timing mode.
- ``artifacts/{key}`` (the download and upload URLs the services hand out) is open
  to any host: each URL is HMAC-signed and expires, and SDK users on other machines
  reach the server by whatever name they know it. An upload URL takes one PUT.
- Every other route (``control/...``, and any added later, e.g. a ``ui/``) can
  read, fail and erase every account's jobs, so it is refused to web pages and to
  requests that were not meant for this server:
  - 403 unless ``Host`` is a loopback name (``localhost``, ``*.localhost``,
    ``127.0.0.0/8``, ``[::1]``) or the configured ``host`` (a page on another
    site that rebinds its DNS name to 127.0.0.1 still sends its own name);
  - 403 for a cross-origin browser request (``Origin`` of another host,
    ``Sec-Fetch-Site: cross-site`` or ``same-site``);
  - 401 without ``X-Localexport-Token: <settings.control_token>`` when a token is
    set (``LOCALEXPORT_CONTROL_TOKEN``): the only lock against a caller on the
    network, who can send any ``Host`` it likes;
  - a POST body must be a JSON object sent as ``application/json`` (415 else: a
    form or ``text/plain`` is what a page can post without asking; 400 if malformed).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from . import services
from .aws.errors import AWSError
from .aws.identity import DEFAULT_ACCOUNT, DEFAULT_REGION
from .aws.protocols import serialize_error
from .core.clock import duration
from .core.controls import AmbiguousJob, UnknownAction
from .core.urls import PREFIX, UrlRefused

if TYPE_CHECKING:
    from .app import LocalExport

log = logging.getLogger(__name__)
TOKEN_HEADER = "X-Localexport-Token"
# The names the in-process transports give the app (InProcess, mock_export): allowed only for an
# in-memory instance, which no socket serves.
IN_PROCESS_HOSTS = frozenset({"localexport", "localexport.mock"})
_ANY_ADDRESS = {"", "0.0.0.0", "::"}
MAX_BODY = 1024 * 1024  # control bodies are a few fields; a console action's params at most

# A control endpoint: called on a worker thread (it may run a job, reset an account), with the JSON body.
Endpoint = Callable[[Request, dict[str, Any]], Response]


class _TooLarge(Exception):
    pass


class Refused(Exception):
    """A control call refused with ``status`` and a JSON ``{"error": message}``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _s3_error(status: int, code: str, message: str) -> Response:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>")
    return Response(body, status_code=status, media_type="application/xml")


# -- who may call the controls -------------------------------------------------------------


def host_name(value: str) -> str:
    """The host of a ``Host`` header or URL authority: ``Example.COM:80`` -> ``example.com``, ``[::1]:80`` -> ``::1``."""
    value = value.strip().lower()
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # a bare IPv6 address has several
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):  # browsers and RFC 6761 keep these on the machine
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return (getattr(address, "ipv4_mapped", None) or address).is_loopback


def allowed_hosts(instance: LocalExport) -> Callable[[str], bool]:
    """Whether a host name may reach the controls: loopback, the configured host, in-process names."""
    names = {host_name(name) for name in instance.settings.allowed_hosts}
    if instance.settings.host not in _ANY_ADDRESS:
        names.add(host_name(instance.settings.host))
    if instance.in_memory:
        names |= IN_PROCESS_HOSTS
    return lambda host: is_loopback(host) or host in names


def guard(instance: LocalExport) -> Callable[[Endpoint], Callable[[Request], Awaitable[Response]]]:
    """Wrap a control endpoint ``(request, body)`` in the checks of the module docstring."""
    allowed = allowed_hosts(instance)
    token = (instance.settings.control_token or "").encode()  # an empty token is no token

    def check(request: Request) -> None:
        if not allowed(host_name(request.headers.get("host", ""))):
            raise Refused(403, "the control API answers only requests addressed to this machine "
                               "(Host: localhost, 127.0.0.1, [::1] or the configured host)")
        origin = request.headers.get("origin")
        site = request.headers.get("sec-fetch-site", "").lower()
        if (origin is not None and not allowed(host_name(urlsplit(origin).netloc))) or site in ("cross-site",
                                                                                               "same-site"):
            raise Refused(403, "the control API refuses cross-origin requests")
        given = request.headers.get(TOKEN_HEADER, "").encode()
        if token and not hmac.compare_digest(given, token):
            raise Refused(401, f"the control API needs the header {TOKEN_HEADER} with the server's control token")

    def wrap(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            try:
                check(request)
                body = await _body(request) if request.method == "POST" else {}
                return await anyio.to_thread.run_sync(endpoint, request, body)
            except Refused as refused:
                return JSONResponse({"error": str(refused)}, status_code=refused.status)

        return guarded

    return wrap


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


async def _body(request: Request) -> dict[str, Any]:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise Refused(413, f"a control API body is at most {MAX_BODY} bytes")
    if not raw:
        return {}
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise Refused(415, "a control API body must be JSON, sent with Content-Type: application/json")
    try:
        body = json.loads(raw, parse_constant=_reject_constant)  # NaN and Infinity are not JSON
    except ValueError as error:
        raise Refused(400, f"malformed JSON body: {error}") from None
    if not isinstance(body, dict):
        raise Refused(400, "a control API body must be a JSON object")
    return body


def _seconds(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    try:
        return None if value is None else duration(value, name)
    except (TypeError, ValueError) as error:
        raise Refused(400, str(error)) from None


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise Refused(400, f"{name} must be a string")
    return value


def _reasons(body: dict[str, Any]) -> list[str]:
    reasons = body.get("reasons") or ["Failure injected by the test controls."]
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise Refused(400, "reasons must be a list of strings")
    return reasons


# -- downloads and uploads -----------------------------------------------------------------


def _chunks(body: BinaryIO) -> Iterator[bytes]:
    with body:
        yield from iter(functools.partial(body.read, 1024 * 1024), b"")


def _attachment(name: str) -> str:
    """The Content-Disposition that FileResponse gives a download."""
    quoted = quote(name)
    return f"attachment; filename*=utf-8''{quoted}" if quoted != name else f'attachment; filename="{name}"'


def _used() -> Response:
    return _s3_error(403, "AccessDenied", "This upload URL has already been used.")


# -- the routes ----------------------------------------------------------------------------


def routes(instance: LocalExport) -> list[Route]:
    controls = instance.controls
    runtime = instance.runtime

    def health_answer() -> tuple[int, dict[str, Any]]:
        try:
            runtime.store.ping()
            answer = {"status": "ok", "services": sorted(services.PACKAGES), **controls.timing()}
            queue = runtime.engine.queue
            if queue is not None:  # a distributed instance: what waits, and who would run it
                answer["tasks"] = queue.health()
        except (*runtime.store.errors, OSError) as error:  # the store (a database server) away: said, not a bare 500
            log.warning("health: %s", error)
            first = str(getattr(error, "orig", None) or error).strip().splitlines()[:1]
            return 503, {"status": "unavailable", "reason": f"the store cannot be read: {''.join(first)}"[:500]}
        return 200, answer

    async def health(request: Request) -> Response:  # (the timing may be a store read: off the loop)
        status, answer = await anyio.to_thread.run_sync(health_answer)
        return JSONResponse(answer, status_code=status)

    async def download(request: Request) -> Response:
        key = request.path_params["key"]
        try:
            runtime.urls.verify("GET", key, dict(request.query_params))
        except UrlRefused as refused:
            return _s3_error(403, "AccessDenied", str(refused))
        name = key.rsplit("/", 1)[-1]
        media = "application/json" if name.endswith(".json") else "application/zip"
        artifacts = runtime.artifacts
        try:
            if artifacts.local:
                return FileResponse(artifacts.path(key), media_type=media, filename=name)
            # streamed from the shared store (S3), as every server of the instance can
            size = await anyio.to_thread.run_sync(artifacts.size, key)
            if size is None:
                raise FileNotFoundError(key)
            body = await anyio.to_thread.run_sync(artifacts.open, key)
        except (FileNotFoundError, ValueError):
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        except OSError as error:
            return _s3_error(500, "InternalError", f"We encountered an internal error: {error}. Please try again.")
        return StreamingResponse(_chunks(body), media_type=media,
                                 headers={"content-length": str(size), "content-disposition": _attachment(name)})

    async def upload(request: Request) -> Response:
        key = request.path_params["key"]
        try:
            runtime.urls.verify("PUT", key, dict(request.query_params))
        except UrlRefused as refused:
            return _s3_error(403, "AccessDenied", str(refused))
        if runtime.artifacts.exists(key):  # early, before the body; the exclusive publish is what makes it safe
            return _used()
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        incoming = None
        try:  # disk work on threads, so the loop keeps answering during a big upload
            incoming = await anyio.to_thread.run_sync(runtime.artifacts.incoming, key)
            async for chunk in request.stream():
                size += len(chunk)
                if size > instance.settings.max_body_bytes:
                    raise _TooLarge
                digest.update(chunk)
                await anyio.to_thread.run_sync(incoming.write, chunk)
            await anyio.to_thread.run_sync(incoming.publish, True)
        except _TooLarge:
            return _s3_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
        except FileExistsError:  # another PUT on this URL finished first
            return _used()
        except OSError as error:  # disk full, read-only, ...: the client must not take it for stored
            return _s3_error(500, "InternalError", f"We encountered an internal error: the upload could not be "
                                                   f"stored: {error.strerror or error}. Please try again.")
        finally:
            if incoming is not None:
                await anyio.to_thread.run_sync(incoming.discard)
        return Response(status_code=200, headers={"ETag": f'"{digest.hexdigest()}"'})

    def timing(request: Request, body: dict[str, Any]) -> Response:
        if request.method == "POST":
            try:
                return JSONResponse(controls.set_timing(_text(body, "mode"), _seconds(body, "delay")))
            except ValueError as error:
                raise Refused(400, str(error)) from None
        return JSONResponse(controls.timing())

    def jobs(request: Request, body: dict[str, Any]) -> Response:
        query = request.query_params
        return JSONResponse({"jobs": controls.jobs(*(query.get(k) for k in ("service", "state", "account", "region")))})

    def job_download(request: Request, body: dict[str, Any]) -> Response:
        url = controls.download_url(request.path_params["job_id"], str(request.base_url))
        if url is None:
            return JSONResponse({"error": "no finished archive for this job"}, status_code=404)
        return JSONResponse({"url": url})

    def job(request: Request, body: dict[str, Any]) -> Response:
        """By engine id or AWS id (a Personalize ARN has slashes), in ``?account=`` / ``&region=`` if given."""
        query = request.query_params
        try:
            found = controls.job(request.path_params["job_id"], query.get("account"), query.get("region"))
        except AmbiguousJob as error:
            return JSONResponse({"error": str(error), "accounts": error.accounts, "regions": error.regions},
                                status_code=409)
        return JSONResponse(found) if found else JSONResponse({"error": "no such job"}, status_code=404)

    def advance(request: Request, body: dict[str, Any]) -> Response:
        found = controls.advance(request.path_params["job_id"])
        return JSONResponse(found or {"gone": True})

    def fail(request: Request, body: dict[str, Any]) -> Response:
        ok = controls.fail(request.path_params["job_id"], _reasons(body))
        return JSONResponse({"failed": ok}, status_code=200 if ok else 409)

    def fail_next(request: Request, body: dict[str, Any]) -> Response:
        controls.fail_next(_reasons(body), _text(body, "kind"))
        return JSONResponse({"armed": True})

    def clock(request: Request, body: dict[str, Any]) -> Response:
        try:
            return JSONResponse({"now": controls.advance_clock(_seconds(body, "advance") or 0.0)})
        except ValueError as error:  # past the last date
            raise Refused(400, str(error)) from None

    def console(request: Request, body: dict[str, Any]) -> Response:
        service, action = request.path_params["service"], request.path_params["action"]
        params = body.get("params") or {}
        if not isinstance(params, dict):
            raise Refused(400, "params must be a JSON object")
        try:
            result = controls.console(service, action, _text(body, "account") or DEFAULT_ACCOUNT,
                                      _text(body, "region") or DEFAULT_REGION, params)
        except UnknownAction as error:
            return JSONResponse({"error": str(error)}, status_code=404)
        except AWSError as error:  # as the service would answer it
            status, headers, content = serialize_error(service, error)
            return Response(content, status_code=status, headers=headers)
        return JSONResponse(result)

    def reset(request: Request, body: dict[str, Any]) -> Response:
        controls.reset(_text(body, "account"))
        return JSONResponse({"reset": True})

    base = "/_localexport"
    guarded = guard(instance)
    open_routes = [
        Route(f"{base}/health", health),
        Route(PREFIX + "{key:path}", download, methods=["GET"]),
        Route(PREFIX + "{key:path}", upload, methods=["PUT"]),
    ]
    # everything else is guarded: a route added here is closed to pages and foreign hosts from the start
    control_routes = [
        (f"{base}/control/timing", timing, ["GET", "POST"]),
        (f"{base}/control/jobs", jobs, ["GET"]),
        (f"{base}/control/jobs/{{job_id}}/advance", advance, ["POST"]),
        (f"{base}/control/jobs/{{job_id}}/download", job_download, ["GET"]),
        (f"{base}/control/jobs/{{job_id}}/fail", fail, ["POST"]),
        (f"{base}/control/jobs/{{job_id:path}}", job, ["GET"]),  # after the routes above: it takes any tail
        (f"{base}/control/fail-next", fail_next, ["POST"]),
        (f"{base}/control/clock", clock, ["POST"]),
        (f"{base}/control/reset", reset, ["POST"]),
        (f"{base}/control/console/{{service}}/{{action}}", console, ["POST"]),
    ]
    return open_routes + [Route(path, guarded(endpoint), methods=methods) for path, endpoint, methods in control_routes]
