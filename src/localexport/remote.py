"""The test controls of a running server, over its HTTP control API: the same
operations as ``LocalExport(...).controls``, for tests and the CLI.

``token`` (default: the ``LOCALEXPORT_CONTROL_TOKEN`` variable) is sent with every call,
for a server started with a control token."""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote

import httpx


class ControlError(RuntimeError):
    pass


class Unreachable(ControlError):
    """No answer from the server at ``url`` (not started, another port, a firewall)."""

    def __init__(self, url: str, error: httpx.TransportError):
        # "[Errno 111] Connection refused" -> "connection refused"
        self.reason = re.sub(r"^\[Errno -?\d+\]\s*", "", str(error)).strip().lower() or type(error).__name__
        super().__init__(f"cannot reach the server at {url} ({self.reason})")
        self.url = url


class AmbiguousJob(ControlError):
    """An AWS id that names several jobs (of ``accounts``, ``regions``, or kinds of one account)."""

    def __init__(self, message: str, accounts: list[str], regions: list[str]):
        super().__init__(message)
        self.accounts = accounts
        self.regions = regions


class RemoteControls:
    def __init__(self, url: str, timeout: float = 30.0, token: str | None = None):
        self.url = url.rstrip("/")
        token = token if token is not None else os.environ.get("LOCALEXPORT_CONTROL_TOKEN")
        headers = {"X-Localexport-Token": token} if token else {}
        self.http = httpx.Client(base_url=f"{self.url}/_localexport", timeout=timeout, headers=headers)

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise Unreachable(self.url, error) from None

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        if response.status_code == 404 and path.startswith("/control/jobs/"):
            return None
        if response.status_code >= 400:
            raise ControlError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def timing(self) -> dict[str, Any]:
        return self._call("GET", "/control/timing")

    def set_timing(self, mode: str | None = None, delay: float | None = None) -> dict[str, Any]:
        return self._call("POST", "/control/timing", json={"mode": mode, "delay": delay})

    def jobs(self, service: str | None = None, state: str | None = None, account: str | None = None,
             region: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in {"service": service, "state": state, "account": account,
                                    "region": region}.items() if v}
        return self._call("GET", "/control/jobs", params=params)["jobs"]

    def job(self, ident: str, account: str | None = None, region: str | None = None) -> dict[str, Any] | None:
        """A job by engine id or AWS id (None: no such job; AmbiguousJob: say which account or region)."""
        params = {k: v for k, v in {"account": account, "region": region}.items() if v}
        response = self._request("GET", f"/control/jobs/{quote(ident, safe='')}", params=params)
        if response.status_code == 409:
            found = response.json()
            raise AmbiguousJob(found["error"], found["accounts"], found["regions"])
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise ControlError(f"GET /control/jobs/{ident}: {response.status_code} {response.text}")
        return response.json()

    def advance(self, job_id: str) -> dict[str, Any] | None:
        found = self._call("POST", f"/control/jobs/{job_id}/advance")
        return None if found == {"gone": True} else found

    def fail(self, job_id: str, reasons: list[str]) -> bool:
        response = self._request("POST", f"/control/jobs/{job_id}/fail", json={"reasons": reasons})
        if response.status_code not in (200, 409):  # 409: the job had ended; a refusal is not an answer
            raise ControlError(f"POST /control/jobs/{job_id}/fail: {response.status_code} {response.text}")
        return response.status_code == 200

    def fail_next(self, reasons: list[str], kind: str | None = None) -> None:
        self._call("POST", "/control/fail-next", json={"reasons": reasons, "kind": kind})

    def advance_clock(self, seconds: float) -> float:
        return self._call("POST", "/control/clock", json={"advance": seconds})["now"]

    def reset(self, account: str | None = None) -> None:
        self._call("POST", "/control/reset", json={"account": account} if account else {})

    def download_url(self, job_id: str) -> str | None:
        found = self._call("GET", f"/control/jobs/{job_id}/download")
        return found["url"] if found else None

    def console(self, service: str, action: str, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", f"/control/console/{service}/{action}",
                          json={"account": account, "region": region, "params": params})

    def close(self) -> None:
        self.http.close()
