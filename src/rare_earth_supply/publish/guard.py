"""What stands between a request and the data browser: a Host check, a path check, quiet errors.

Datasette's own error handler prints a rich traceback with locals for every failing request,
synchronously on the event loop (most of a second each), so a burst of bad requests stalls every
reader. Here a failing request costs one short log line. Requests whose Host header is not this
machine's loopback name are refused (a DNS-rebinding page cannot read the browser through a
victim's browser), and malformed paths (`//etc/passwd`, `..`, NUL) are 404 before Datasette sees
them, instead of the 500 its router gives.
"""
from __future__ import annotations

import logging
from typing import Awaitable, Callable
from urllib.parse import unquote

log = logging.getLogger("rare_earth_supply.serve")
Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]
LOG_CHARS = 200  # a logged path is cut here: a request cannot fill the log
PLUGIN = "rare-earth-supply-quiet-errors"


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """Host header values that name this server: the loopback address or `localhost`, with its port."""
    names = {host, "localhost"}
    hosts = {f"{name}:{port}" for name in names}
    if port == 80:
        hosts |= names
    return frozenset(hosts)


def malformed(path: str) -> bool:
    """A path no page of the browser has: not absolute, `//` at the start, a NUL or backslash, `.`/`..` segments."""
    decoded = unquote(path)
    if not path.startswith("/") or path.startswith("//") or "\x00" in decoded or "\\" in decoded:
        return True
    return any(segment in (".", "..") for segment in decoded.split("/"))


async def _plain(send: Send, status: int, text: str) -> None:
    body = (text + "\n").encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class Guard:
    """ASGI middleware: refuse foreign Host headers (421) and malformed paths (404); never raise to the server."""

    def __init__(self, app: Callable, hosts: frozenset[str]):
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if _header(scope, b"host") not in self.hosts:
            log.warning("refused a request for another host: %.*s", LOG_CHARS, _header(scope, b"host"))
            await _plain(send, 421, "this server answers only for its own loopback address")
            return
        if malformed(path):
            await _plain(send, 404, "not found")
            return
        started = False

        async def tracked(message: dict) -> None:
            nonlocal started
            started = started or message.get("type") == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:  # noqa: BLE001 - one line in the log, a 500 to the client, the loop goes on
            log.warning("%s %.*s failed: %s", scope.get("method"), LOG_CHARS, path, type(exc).__name__)
            if not started:
                await _plain(send, 500, "internal error")


def _status(exception: Exception) -> tuple[int, str, str | None]:
    """HTTP status, message and title for an exception raised inside Datasette."""
    from datasette.utils.asgi import Base400
    from datasette.views.base import DatasetteError
    if isinstance(exception, Base400):
        return exception.status, str(exception.args[0]) if exception.args else "bad request", None
    if isinstance(exception, DatasetteError):
        return exception.status, str(exception.message), exception.title
    return 500, "internal error", None


def quiet_datasette_errors() -> None:
    """Swap Datasette's default `handle_exception` hook (a traceback with locals per error) for one that
    renders the same error page and logs one line for a server error only. Once per process."""
    from datasette import Response, hookimpl
    from datasette.plugins import pm
    if pm.has_plugin(PLUGIN):
        return

    class QuietErrors:
        @staticmethod
        @hookimpl
        def handle_exception(datasette, request, exception):
            async def inner():
                status, message, title = _status(exception)
                if status >= 500:
                    log.warning("%s %.*s failed: %s", request.method, LOG_CHARS, request.path, type(exception).__name__)
                info = {"ok": False, "error": message, "status": status, "title": title}
                if request.path.split("?")[0].endswith(".json"):
                    return Response.json(info, status=status)
                page = await datasette.render_template([f"{status}.html", "error.html"], info, request=request)
                return Response.html(page, status=status)
            return inner

    default = pm.get_plugin("datasette.handle_exception")
    if default is not None:
        pm.unregister(default)
    pm.register(QuietErrors, name=PLUGIN)
