"""The dashboard's web server: the standard library's :class:`ThreadingHTTPServer` (a thread
per request; the store's reads are blocking calls that share one
:class:`~tunesmith.store.Store`), serving the page's files from this package and the JSON API
of :mod:`tunesmith.dashboard.api`.

Access: the server binds ``127.0.0.1`` by default and answers only requests whose ``Host`` is
that address (or ``localhost``), so a web page elsewhere can not read it through DNS
rebinding. With a token, every request must carry it: ``Authorization: Bearer TOKEN``, or
``?token=TOKEN`` (the page opened with it sets a cookie, so its own requests carry it); a
request without it gets 401. Another host than the loopback (``--host 0.0.0.0``) needs a
token. The dashboard only reads: no request changes a study.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
import threading
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tunesmith.dashboard.api import Api
from tunesmith.dashboard.params import ApiError, Query

logger = logging.getLogger("tunesmith")

__all__ = ["DashboardServer", "check_bind", "check_token", "make_server"]

#: the page's files: URL path -> (file in tunesmith/dashboard/static, content type)
STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/app.css": ("app.css", "text/css; charset=utf-8"),
    "/static/uPlot.iife.min.js": ("uPlot.iife.min.js", "text/javascript; charset=utf-8"),
    "/static/uPlot.min.css": ("uPlot.min.css", "text/css; charset=utf-8"),
    "/static/uPlot.LICENSE": ("uPlot.LICENSE", "text/plain; charset=utf-8"),
}
_COOKIE = "tunesmith_token"
_TOKEN = re.compile(r"[A-Za-z0-9._~-]{8,}")
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'"
    ),
}
#: endpoint name -> (method of Api, the query parameters it takes); "" is the study summary
_ENDPOINTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "": ("summary", ()),
    "trials": (
        "trials",
        ("status", "min_value", "max_value", "metric", "sort", "limit", "offset", "after"),
    ),
    "curves": ("curves", ("metric", "trials", "limit", "max_points", "after")),
    "best": ("best", ("metric", "max_points", "after")),
    "parallel": ("parallel", ("metric", "limit")),
    "rungs": ("rungs", ()),
    "importance": ("importance", ("metric",)),
    "failures": ("failures", ("lines",)),
    "pareto": ("pareto", ("limit",)),
    "export.csv": ("export_csv", ()),
}
#: endpoints that take the cache's lock themselves (they run long: not under it)
_UNLOCKED = frozenset({"importance", "export_csv"})


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """A ``ValueError`` if ``host`` is not a loopback address and no token is given."""
    if not is_loopback(host) and not token:
        raise ValueError(
            f"serving the dashboard on host={host!r} (not a loopback address) needs a token: "
            "pass --token TOKEN (or set $TUNESMITH_DASHBOARD_TOKEN), or keep the default "
            "--host 127.0.0.1"
        )


def check_token(token: str | None) -> None:
    """A ``ValueError`` unless ``token`` is None or 8 or more of ``A-Z a-z 0-9 . _ ~ -``."""
    if token is None:
        return
    if not isinstance(token, str) or len(token) < 8 or not _TOKEN.fullmatch(token):
        raise ValueError(
            "a dashboard token must be at least 8 characters of A-Z, a-z, 0-9, '.', '_', "
            f"'~', '-' (e.g. from: python -c 'import secrets; print(secrets.token_urlsafe())'), "
            f"but got one of {len(token) if isinstance(token, str) else type(token).__name__} "
            "characters" + ("" if not isinstance(token, str) or len(token) < 8 else " with others")
        )


class DashboardServer(ThreadingHTTPServer):
    """The server: ``api`` answers ``/api/...``; ``token`` (None: none needed) guards every
    request."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: Api, token: str | None):
        self.api = api
        self.token = token
        #: why the store could not be opened at start (its SQLite file does not exist yet)
        self.missing_store: str | None = None
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else str(host)
        return f"http://{shown}:{port}/"

    def serve_in_thread(self) -> threading.Thread:
        """Serve in a daemon thread (tests, notebooks); stop with :meth:`close`."""
        thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="tunesmith-dashboard"
        )
        thread.daemon = True
        thread.start()
        return thread

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        self.api.close()


def make_server(
    storage: str | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    token: str | None = None,
) -> DashboardServer:
    """A :class:`DashboardServer` on the store at ``storage`` (default: the one in
    ``$TUNESMITH_HOME``), bound to ``host:port`` (port 0: any free port)."""
    from tunesmith.cli.common import NoStoreError, open_store

    check_bind(host, token)
    check_token(token)
    try:
        store = open_store(storage)
        missing = None
    except NoStoreError as err:  # served all the same: the first run will create it
        store, missing = None, err.message
    try:
        server = DashboardServer((host, port), Api(storage, store), token)
        server.missing_store = missing
        return server
    except OSError as err:
        if store is not None:
            store.close()
        raise OSError(
            f"cannot serve the dashboard on {host}:{port}: {err.strerror or err}; pick another "
            "port with --port (0: any free one)"
        ) from None
    except BaseException:
        if store is not None:
            store.close()
        raise


def _json_bytes(data: Any) -> bytes:
    from tunesmith.dashboard.cache import finite

    try:
        text = json.dumps(data, allow_nan=False, separators=(",", ":"))
    except ValueError:  # NaN or infinity in a report: null, as JSON has no such numbers
        text = json.dumps(finite(data), allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    server: DashboardServer
    server_version = "tunesmith-dashboard"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("dashboard: " + format, *args)

    # -- answers -----------------------------------------------------------------------------
    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in {**_SECURITY_HEADERS, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        body = _json_bytes({"error": message, "status": status})
        headers = {"WWW-Authenticate": 'Bearer realm="tunesmith"'} if status == 401 else None
        self._send(status, body, "application/json", headers)

    # -- access ------------------------------------------------------------------------------
    def _host_allowed(self) -> bool:
        if self.server.token:
            return True
        host = (self.headers.get("Host") or "").strip()
        if host.startswith("["):
            name = host[1 : host.find("]")] if "]" in host else host
        else:
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        return is_loopback(name)

    def _token_given(self, query: dict[str, list[str]]) -> tuple[str | None, bool]:
        """The token the request carries, and whether it came in the query string."""
        auth = self.headers.get("Authorization") or ""
        if auth.lower().startswith("bearer "):
            return auth[7:].strip(), False
        if "token" in query:
            return query["token"][0], True
        cookie = SimpleCookie(self.headers.get("Cookie") or "")
        if _COOKIE in cookie:
            return cookie[_COOKIE].value, False
        return None, False

    # -- requests ----------------------------------------------------------------------------
    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        try:
            self._get()
        except ApiError as err:
            self._error(err.status, err.message)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as err:  # a bug or a store that fails: a 500 with what happened
            logger.exception("dashboard: %s failed", self.path)
            self._error(500, f"{type(err).__name__}: {err}")

    def _read_only(self) -> None:
        self.close_connection = True  # the request's body is not read
        self._error(405, "the dashboard is read-only: it answers GET and HEAD requests only")

    do_POST = do_PUT = do_DELETE = do_PATCH = _read_only

    def _get(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        if not self._host_allowed():
            raise ApiError(
                403,
                "this dashboard answers requests to its loopback address only (the Host header "
                "names another host); start it with --token to serve other hosts",
            )
        extra: dict[str, str] = {}
        if self.server.token:
            given, in_query = self._token_given(query)
            if given is None or not hmac.compare_digest(
                given.encode("utf-8"), self.server.token.encode("utf-8")
            ):
                raise ApiError(
                    401,
                    "this dashboard needs its token: open the URL it printed at start "
                    "(…/?token=TOKEN), or send the header 'Authorization: Bearer TOKEN'"
                    if given is None
                    else "wrong token",
                )
            if in_query:
                extra["Set-Cookie"] = f"{_COOKIE}={given}; HttpOnly; SameSite=Strict; Path=/"
        path = parts.path
        if path == "/favicon.ico":
            self._send(204, b"", "image/x-icon", extra)
            return
        if path in STATIC:
            name, content_type = STATIC[path]
            body = resources.files("tunesmith.dashboard").joinpath("static", name).read_bytes()
            self._send(200, body, content_type, extra)
            return
        if path == "/api/studies" or path == "/api/studies/":
            Query(query, ())
            self._send(200, _json_bytes(self.server.api.studies(None)), "application/json", extra)
            return
        if not path.startswith("/api/studies/"):
            raise ApiError(
                404,
                f"no such path {path!r}; the API is under /api/studies (see docs/dashboard.md)",
            )
        segments = path[len("/api/studies/") :].split("/")
        if len(segments) > 2:
            raise ApiError(404, f"no such path {path!r}")
        name = unquote(segments[0])
        endpoint = segments[1] if len(segments) == 2 else ""
        if endpoint not in _ENDPOINTS:
            raise ApiError(
                404,
                f"no endpoint {endpoint!r} for a study; there are "
                f"{', '.join(repr(e) for e in _ENDPOINTS if e)}",
            )
        method, allowed = _ENDPOINTS[endpoint]
        checked = Query(query, allowed)
        api = self.server.api
        cache = api.study_cache(name)
        function = getattr(api, method)
        if method in _UNLOCKED:
            data = function(cache, checked)
        else:
            with cache.lock:
                data = function(cache, checked)
        if method == "export_csv":
            extra["Content-Disposition"] = f'attachment; filename="{_safe(name)}.csv"'
            self._send(200, data, "text/csv; charset=utf-8", extra)
        else:
            self._send(200, _json_bytes(data), "application/json", extra)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
