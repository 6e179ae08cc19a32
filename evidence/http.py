"""One HTTP discipline for every remote service the tracker talks to (E-utilities, ClinicalTrials.gov).

Each client builds its requests and reads its answers; this module decides how a request is sent:

* a rate limiter (``RateLimiter``: at most ``n`` requests in any sliding window, shared per service),
* a total deadline for a run (``Deadline``): a request's timeout is cut to the time left
  (``request_timeout``), no backoff sleeps past it, and once it has passed no request is sent
  (``DeadlineExceeded``),
* one answer read with clear failures (``read_response``): HTTP 429 and 5xx, dropped connections,
  timeouts and truncated bodies are worth retrying (``Retryable``, with the server's ``Retry-After``
  when it sends one: seconds or an HTTP date, parsed by urllib3); other 4xx are errors,
* retries with exponential backoff (``with_retries``): ``backoff_base * 2**(attempt - 1)`` seconds,
  at most ``backoff_max``, or what ``Retry-After`` asked for; messages pass through the client's
  ``redact`` so that no secret reaches a log or an exception,
* a probe (``probe``): one request with a short timeout and no retry, None when the service answers.

Why not urllib3's ``Retry`` inside the HTTP adapter: its retries happen out of the rate limiter's
sight and it cannot retry a truncated body or an HTTP-200 answer that a client finds malformed.

Classes and functions
---------------------
HttpError, DeadlineExceeded, Retryable   the failures (clients subclass ``HttpError``)
Deadline, RateLimiter                    the run's time limit and a request rate limit
request_timeout, read_response, with_retries, probe
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

import requests
from urllib3.util import Retry

log = logging.getLogger(__name__)

T = TypeVar("T")
PROBE_TIMEOUT = 5.0


class HttpError(RuntimeError):
    """A remote service failed (after retries, or with an answer that is an error)."""


class DeadlineExceeded(HttpError):
    """The run's deadline has passed, or a wait would pass it: no further request is sent."""


class Retryable(Exception):
    """An attempt failed in a way worth retrying; ``wait`` is the server's Retry-After, if any."""

    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.wait = wait


class RetryPolicy(Protocol):
    """What ``with_retries`` reads from a client's settings."""

    max_attempts: int
    backoff_base: float
    backoff_max: float


class Deadline:
    """One total time limit for a run: ``remaining()`` seconds are left of ``seconds`` from now.

    Clients cut each request's timeout to the time left and never sleep past it; update loops start
    no search once it has passed.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds, self._clock = seconds, clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - self._clock())

    @property
    def passed(self) -> bool:
        return self.remaining() <= 0

    def check(self, what: str) -> float:
        """The seconds left; ``DeadlineExceeded`` naming ``what`` when none are."""
        left = self.remaining()
        if left <= 0:
            raise DeadlineExceeded(f"{what}: the run's deadline of {self.seconds:g} s has passed")
        return left


class RateLimiter:
    """At most ``n`` calls of ``wait(n)`` in any window of ``window`` seconds (a sliding window).

    Thread-safe; each service's clients share one instance, so that two clients in one process
    together stay within the service's limit.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        window: float = 1.0,
    ):
        self._clock, self._sleep, self._window = clock, sleep, window
        self._times: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def wait(self, per_window: int) -> None:
        with self._lock:
            while True:
                now = self._clock()
                while self._times and now - self._times[0] >= self._window:
                    self._times.popleft()
                if len(self._times) < per_window:
                    self._times.append(now)
                    return
                self._sleep(self._window - (now - self._times[0]) + 0.005)


def request_timeout(timeout: float, deadline: Deadline | None, what: str) -> float:
    """The per-request timeout, cut to the time left before the deadline (``DeadlineExceeded`` when none is)."""
    return timeout if deadline is None else min(timeout, deadline.check(what))


def read_response(
    send: Callable[[], requests.Response], what: str, error: type[HttpError] = HttpError
) -> tuple[requests.Response, bytes]:
    """Send one request (``send``) and return the answer with its whole body.

    ``Retryable`` for a dropped connection, a timeout, a body cut short (fewer bytes than its
    Content-Length), HTTP 429 or 5xx (with the seconds its Retry-After asks for); ``error`` for any
    other HTTP 4xx.
    """
    try:
        response = send()
        body = response.content
    except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
        raise Retryable(f"{type(exc).__name__}: {exc}") from None
    if response.status_code == 429 or response.status_code >= 500:
        header = response.headers.get("Retry-After")
        wait = Retry().parse_retry_after(header) if header else None
        raise Retryable(f"HTTP {response.status_code}: {body[:200]!r}", wait)
    if response.status_code >= 400:
        raise error(f"{what}: HTTP {response.status_code}: {body[:300]!r}")
    expected = response.headers.get("Content-Length")
    if expected and expected.isdigit() and int(expected) != len(body):
        raise Retryable(f"truncated body: {len(body)} of {expected} bytes")
    return response, body


def with_retries(
    attempt: Callable[[], T],
    what: str,
    policy: RetryPolicy,
    deadline: Deadline | None = None,
    sleep: Callable[[float], None] = time.sleep,
    redact: Callable[[str], str] = str,
    error: type[HttpError] = HttpError,
) -> T:
    """Call ``attempt`` until it returns, retrying ``Retryable`` failures (policy in the module docstring).

    An ``HttpError`` it raises is raised again with its message redacted; after ``max_attempts``
    failures ``error`` says how many and the last reason; a wait that would pass the deadline raises
    ``DeadlineExceeded`` at once.
    """
    last = ""
    for number in range(1, policy.max_attempts + 1):
        try:
            return attempt()
        except Retryable as exc:
            last = redact(str(exc))
            if number == policy.max_attempts:
                break
            backoff = min(policy.backoff_max, policy.backoff_base * 2 ** (number - 1))
            delay = exc.wait if exc.wait is not None else backoff
            if deadline is not None and delay >= deadline.remaining():
                raise DeadlineExceeded(
                    f"{what}: {last}; the next attempt would come after the run's deadline of {deadline.seconds:g} s"
                ) from None
            log.warning("%s attempt %d failed (%s); retrying in %.1f s", what, number, last, delay)
            sleep(delay)
        except HttpError as exc:
            raise type(exc)(redact(str(exc))) from None
    raise error(f"{what} failed after {policy.max_attempts} attempts: {last}")


def probe(send: Callable[[float], object], where: str, timeout: float = PROBE_TIMEOUT) -> str | None:
    """None when ``send(timeout)`` gets any answer (any HTTP status counts) within ``timeout`` seconds,
    else why not. One attempt, no retries: a job asks this once before it decides between a refresh
    and the committed snapshot."""
    try:
        send(timeout)
    except requests.RequestException as exc:
        return f"no answer from {where} within {timeout:g} s ({type(exc).__name__})"
    return None
