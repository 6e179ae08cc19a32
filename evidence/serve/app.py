"""The web application: the checker's page, ``POST /api/check`` and the built report, on Starlette,
run by uvicorn (:func:`serve`).

Routes
------
``GET /``
    The page (``static/index.html``, its script and style under ``/static/``): paste a draft or choose a file, see every claim highlighted in
    place with its verdict, certainty, why and the wording to use instead, its claim id linked to the
    claim's page in the report; buttons download the annotated draft as .docx and as HTML.
``POST /api/check?format=json|html|docx`` (default ``json``)
    The body is JSON ``{"text": "..."}`` or a multipart (or URL-encoded) form with a ``text``
    field or a ``file`` (a chosen file wins over text). ``json``: the findings, the same list with
    the same keys as ``check-wording --format json`` on the same text or file
    (:mod:`evidence.serve.checker`); ``html``: the annotated page; ``docx``: the annotated document.
``GET /report/...``
    The built report (``data/derived/report``), read-only.

Errors are JSON ``{"error": "..."}``, never a traceback: 400 for a draft that cannot be read
(empty, unknown extension, broken or oversized .docx, bad JSON, no draft at all), 404, 405, 413
for a body over :data:`MAX_BODY` bytes (told by Content-Length or counted while it streams in),
503 when a check runs over the time limit, 500 (details only in the server's log) for a bug; the
server keeps serving.

Load: each check runs in a worker thread (at most :data:`WORKERS` at once, the others wait), so
the event loop keeps accepting requests; a request waits at most ``time_limit`` seconds for its
check (the thread then finishes on its own and its answer is dropped).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evidence.config import ConfigError, DataPaths
from evidence.serve.checker import DOCX_TYPE, FORMATS, Checker, Submission

MAX_BODY = 5 * 1024 * 1024
TIME_LIMIT = 60.0
WORKERS = 4
STATIC = Path(__file__).parent / "static"
MEDIA_TYPES = {"json": "application/json", "html": "text/html; charset=utf-8", "docx": DOCX_TYPE}
log = logging.getLogger(__name__)


class BodyLimit:
    """ASGI middleware: 413 for a request body over ``limit`` bytes, from its Content-Length before
    reading, or while reading when it has none (chunked) or understates it."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit():
            await _error(400, "the Content-Length header is not a number")(scope, receive, send)
            return
        if int(declared) > self.limit:
            await _error(413, self._too_large())(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise HTTPException(413, self._too_large())
            return message

        await self.app(scope, counted, send)

    def _too_large(self) -> str:
        return f"the request body is over {self.limit // 2**20} MB; send a shorter draft"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _submission(request: Request) -> Submission:
    """The draft in the request (see the module docstring); ConfigError when there is none."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            payload = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise ConfigError('the request body is not valid JSON; send {"text": "..."}') from None
        if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
            raise ConfigError('send JSON {"text": "..."} with the draft as a string')
        return Submission.pasted_text(payload["text"])
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        async with request.form(max_files=1, max_fields=10, max_part_size=MAX_BODY) as form:
            upload, text = form.get("file"), form.get("text")
            if isinstance(upload, UploadFile) and upload.filename:
                return Submission.upload(upload.filename, await upload.read())
        if isinstance(text, str):
            return Submission.pasted_text(text)
        raise ConfigError("no draft: send a text field or a file")
    raise ConfigError('send JSON {"text": "..."} or a multipart form with a text field or a file')


def _attachment(submission: Submission) -> str:
    """Content-Disposition of an annotated .docx: ``NAME-checked.docx`` (``draft-checked.docx`` for
    pasted text), an ASCII fallback and the UTF-8 name (RFC 6266)."""
    name = f"{'draft' if submission.pasted else Path(submission.name).stem}-checked.docx"
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def create_app(checker: Checker, time_limit: float = TIME_LIMIT, workers: int = WORKERS) -> Starlette:
    """The application for ``checker``'s data (see the module docstring for the routes)."""
    limiter = anyio.CapacityLimiter(workers)

    async def check(request: Request) -> Response:
        fmt = request.query_params.get("format", "json")
        if fmt not in FORMATS:
            raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        submission = await _submission(request)
        report_url = f"{request.base_url}report/"
        try:
            with anyio.fail_after(time_limit):
                body = await anyio.to_thread.run_sync(
                    checker.render, submission, fmt, report_url, abandon_on_cancel=True, limiter=limiter
                )
        except TimeoutError:
            return _error(503, f"the check took longer than {time_limit:g} s; check a shorter part of the draft")
        headers = {"Content-Disposition": _attachment(submission)} if fmt == "docx" else {}
        return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def bad_input(request: Request, exc: Exception) -> Response:
        return _error(400, str(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _error(exc.status_code, str(exc.detail))

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return _error(500, "internal error; the server's log has the details")

    return Starlette(
        routes=[
            Route("/api/check", check, methods=["POST"]),
            Mount("/report", StaticFiles(directory=checker.report, html=True, check_dir=False), name="report"),
            Route("/", page, methods=["GET", "HEAD"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[Middleware(BodyLimit)],
        exception_handlers={ConfigError: bad_input, HTTPException: http_error, Exception: server_error},
    )


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` (port 0: a free one), listening; OSError when taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def serve(paths: DataPaths, host: str, port: int, echo: Callable[[str], None] = print) -> int:
    """``python -m evidence serve``: load the data (ConfigError when the verdicts are not built), bind,
    say where it listens (and warn when that is not loopback), then serve until interrupted."""
    import uvicorn

    checker = Checker.from_paths(paths)
    sock = listening_socket(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    echo(f"Checking drafts at http://{shown}:{bound}/ (the report at http://{shown}:{bound}/report/); Ctrl+C stops")
    if not is_loopback(host):
        echo(
            f"WARNING: listening on {host}, not loopback: anyone who can reach this address can use the "
            "checker and read the report (there is no login)"
        )
    if not (checker.report / "index.html").is_file():
        echo(f"note: no built report at {checker.report}; run `python -m evidence report` to serve it")
    server = uvicorn.Server(uvicorn.Config(create_app(checker), log_level="warning", timeout_keep_alive=5))
    server.run(sockets=[sock])
    return 0
