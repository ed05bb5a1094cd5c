"""Who may use the console: the control API's rules (control_api.py), in a form a browser can meet.

- 403 unless ``Host`` is allowed, 403 for a cross-origin request: as the control API, on every route;
- a POST must also come from the console's own origin and carry the console's CSRF token (a hidden form
  field or the ``X-Localexport-Csrf`` header): forms are what the console posts, so the control API's
  "JSON only" lock cannot apply, and a page of another site can read neither the token nor the pages;
- with a control token set: the ``X-Localexport-Token`` header, or the cookie the login form sets once the
  token is typed (HttpOnly, SameSite=Strict, an HMAC of the token: the cookie is not the token).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.requests import Request

from ..control_api import TOKEN_HEADER, allowed_hosts, host_name

if TYPE_CHECKING:
    from ..app import LocalExport

COOKIE = "localexport_console"
CSRF_HEADER = "X-Localexport-Csrf"
CSRF_SETTING = "console-csrf-key"  # in the store: every server of a shared instance accepts the others' forms


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Guard:
    def __init__(self, instance: LocalExport):
        self._allowed = allowed_hosts(instance)
        self._token = (instance.settings.control_token or "").encode()  # an empty token is no token
        self._store = instance.runtime.store
        self._csrf: str | None = None

    @property
    def needs_login(self) -> bool:
        return bool(self._token)

    def csrf(self) -> str:
        """The console's form token, made at the first console request (no store write at start-up)."""
        if self._csrf is None:
            self._csrf = self._store.update_setting(CSRF_SETTING, lambda saved: saved or secrets.token_urlsafe(32))
        return self._csrf

    def session(self) -> str:
        return hmac.new(self._token, b"localexport console session", hashlib.sha256).hexdigest()

    def check_origin(self, request: Request) -> None:
        if not self._allowed(host_name(request.headers.get("host", ""))):
            raise Refused(403, "the console answers only requests addressed to this machine "
                               "(Host: localhost, 127.0.0.1, [::1] or the configured host)")
        origin = request.headers.get("origin")
        site = request.headers.get("sec-fetch-site", "").lower()
        if (origin is not None and not self._allowed(host_name(urlsplit(origin).netloc))) or site in ("cross-site",
                                                                                                     "same-site"):
            raise Refused(403, "the console refuses cross-origin requests: open its address directly")

    def check_post(self, request: Request, form_csrf: str | None) -> None:
        origin = request.headers.get("origin")
        own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
        if origin is not None and origin.lower() != own:
            raise Refused(403, "the console accepts forms only from its own pages")
        given = form_csrf or request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.csrf().encode()):
            raise Refused(403, "this form is not from the console's own page (reload the page and try again)")

    def logged_in(self, request: Request) -> bool:
        if not self._token:
            return True
        if hmac.compare_digest(request.headers.get(TOKEN_HEADER, "").encode(), self._token):
            return True
        return hmac.compare_digest(request.cookies.get(COOKIE, "").encode(), self.session().encode())

    def token_matches(self, given: str) -> bool:
        return bool(self._token) and hmac.compare_digest(given.encode(), self._token)
