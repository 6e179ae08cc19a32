"""NCBI E-utilities client: the project's only network boundary.

Every request goes through ``EutilsClient._post``, which

* waits for the process-wide rate limiter (3 requests in any second without an API key,
  10 with one: NCBI's published limits),
* sends ``tool`` and ``email`` (and ``api_key`` when set) in a POST body with a timeout,
* retries with exponential backoff on HTTP 429 and 5xx, dropped connections, timeouts and
  truncated bodies, waiting as long as ``Retry-After`` says when the server sends it
  (NCBI's 429 body is JSON even when XML was asked for),
* stops at the run's deadline (``Deadline``, when the client has one): a request's timeout is cut
  to the time left, no backoff sleeps past it, and once it has passed no request is sent
  (``DeadlineExceeded``),
* treats an HTTP-200 body that carries a non-empty ``<ERROR>`` or an ``<ErrorList>`` as a
  failure, never as "zero results" (espell's empty ``<ERROR/>`` is not an error).

Why not ``Bio.Entrez`` for the requests (Biopython 1.88): its URLs are hard-coded (no local
test server), it sets no request timeout, it retries 429 and 5xx at once without a pause and
does not read ``Retry-After``. Why not urllib3's ``Retry`` inside the HTTP adapter: its retries
happen out of the rate limiter's sight and it cannot retry a truncated body or an HTTP-200
error body. It still parses ``Retry-After`` here (seconds or an HTTP date).

The API key is never logged and is redacted from every message this module raises.

Functions and classes
---------------------
Deadline          one total time limit for a run, on top of the per-request timeout
NoAnswer          the error when no attempt got an answer (E-utilities not reached), as opposed to an
                  answer that is an error (``EutilsError``)
RateLimiter       sliding one-second window, shared by the whole process (``RATE_LIMITER``)
EutilsClient      ``esearch(term)`` -> SearchResult; ``fetch_pubmed(ids, history=...)`` -> batches;
                  ``probe()`` -> None when NCBI answers, else why not
"""

from __future__ import annotations

import collections
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import requests
from lxml import etree
from urllib3.util import Retry

from evidence.config import MIN_BATCH_SIZE, Settings
from evidence.pubmed.parser import PubmedXMLError, parse_pubmed_xml

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 5.0
_ERROR = re.compile(rb"<ERROR>\s*(.*?)\s*</ERROR>", re.S)
_ERROR_LIST = re.compile(rb"<ErrorList>(.*?)</ErrorList>", re.S)
_SAFE_XML = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)


class EutilsError(RuntimeError):
    """E-utilities failed (after retries, or with an error body)."""


class HistoryExpired(EutilsError):
    """The WebEnv/query_key is no longer on NCBI's history server ("Unable to obtain query")."""


class EmptyIdList(EutilsError):
    """efetch found none of the ids it was given ("ID list is empty")."""


class DeadlineExceeded(EutilsError):
    """The run's deadline has passed, or a wait would pass it: no further request is sent."""


class NoAnswer(EutilsError):
    """Every attempt ended without an answer (connection refused or dropped, timeouts): E-utilities
    was not reached, as opposed to answering with an error."""


class Deadline:
    """One total time limit for a run: ``remaining()`` seconds are left of ``seconds`` from now.

    The E-utilities client cuts each request's timeout to the time left and never sleeps past it;
    the update loop starts no search once it has passed.
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


class _Retryable(Exception):
    """An attempt failed in a way worth retrying; ``wait`` is the server's Retry-After, if any;
    ``answered``: the server answered (an error status, a truncated body), rather than not at all."""

    def __init__(self, reason: str, wait: float | None = None, answered: bool = True):
        super().__init__(reason)
        self.wait = wait
        self.answered = answered


class RateLimiter:
    """At most ``n`` calls of ``wait(n)`` in any window of one second (a sliding window).

    Thread-safe; the process shares one instance, ``RATE_LIMITER``, so that two clients in one
    process together stay within NCBI's limit.
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

    def wait(self, per_second: int) -> None:
        with self._lock:
            while True:
                now = self._clock()
                while self._times and now - self._times[0] >= self._window:
                    self._times.popleft()
                if len(self._times) < per_second:
                    self._times.append(now)
                    return
                self._sleep(self._window - (now - self._times[0]) + 0.005)


RATE_LIMITER = RateLimiter()


@dataclass(frozen=True)
class SearchResult:
    """An esearch answer: the total count, the ids returned and the history-server handle."""

    count: int
    ids: tuple[str, ...]
    webenv: str | None
    query_key: str | None
    query_translation: str


@dataclass(frozen=True)
class FetchedBatch:
    """One efetch batch: the records returned, in the order asked for, and the ids still missing."""

    requested: tuple[str, ...]
    records: tuple[dict, ...]
    missing: tuple[str, ...]


def error_in_body(body: bytes) -> str | None:
    """The error an HTTP-200 E-utilities body carries, or None.

    A non-empty ``<ERROR>`` element or an ``<ErrorList>`` with content is an error; espell's empty
    ``<ERROR/>`` and a ``<WarningList>`` are not.
    """
    head = body if len(body) < 65536 else body[:65536]
    errors = [m.decode("utf-8", "replace").strip() for m in _ERROR.findall(head) if m.strip()]
    if errors:
        return "; ".join(errors)
    match = _ERROR_LIST.search(head)
    if match and match.group(1).strip():
        items = re.findall(rb"<(\w+)>(.*?)</\1>", match.group(1), re.S)
        return "; ".join(f"{k.decode()}: {v.decode('utf-8', 'replace')}" for k, v in items) or "ErrorList"
    return None


def parse_esearch(body: bytes) -> SearchResult:
    """Read an eSearchResult; raise ``_Retryable`` if it is truncated."""
    try:
        root = etree.fromstring(body, _SAFE_XML)
    except etree.XMLSyntaxError as exc:
        raise _Retryable(f"truncated or malformed esearch answer: {exc}") from exc
    count = root.findtext("Count")
    if root.tag != "eSearchResult" or count is None:
        raise EutilsError(f"unexpected esearch answer (root element {root.tag!r}, no Count)")
    return SearchResult(
        count=int(count),
        ids=tuple(i.text.strip() for i in root.findall("IdList/Id") if i.text),
        webenv=root.findtext("WebEnv"),
        query_key=root.findtext("QueryKey"),
        query_translation=root.findtext("QueryTranslation") or "",
    )


def parse_efetch(body: bytes) -> list[dict]:
    """Records of a PubMed efetch answer; raise ``_Retryable`` if the XML is truncated."""
    try:
        return list(parse_pubmed_xml(body))
    except PubmedXMLError as exc:
        if "declares entities" in str(exc):
            raise
        raise _Retryable(f"truncated or malformed efetch answer: {exc}") from exc


class EutilsClient:
    """A client for E-utilities with NCBI's etiquette and a retry policy; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        session: requests.Session | None = None,
        limiter: RateLimiter = RATE_LIMITER,
        sleep: Callable[[float], None] = time.sleep,
        deadline: Deadline | None = None,
    ):
        self.settings = settings
        self.deadline = deadline
        self.email = settings.require_email()
        self.session = session or requests.Session()
        self.limiter = limiter
        self._sleep = sleep
        self.requests_made = 0

    # -- one request, with retries -------------------------------------------------------
    def _redact(self, text: str) -> str:
        key = self.settings.api_key
        return text.replace(key, "***") if key else text

    def _params(self, params: dict) -> dict:
        full = {**params, "tool": self.settings.tool, "email": self.email}
        if self.settings.api_key:
            full["api_key"] = self.settings.api_key
        return full

    def _timeout(self, utility: str) -> float:
        """The per-request timeout, cut to the time left before the deadline."""
        if self.deadline is None:
            return self.settings.timeout
        return min(self.settings.timeout, self.deadline.check(utility))

    def _attempt(self, utility: str, params: dict) -> bytes:
        self.limiter.wait(self.settings.requests_per_second)
        timeout = self._timeout(utility)
        self.requests_made += 1
        url = self.settings.base_url + utility + ".fcgi"
        try:
            response = self.session.post(url, data=self._params(params), timeout=timeout)
            body = response.content
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}", answered=False) from None
        if response.status_code == 429 or response.status_code >= 500:
            header = response.headers.get("Retry-After")
            wait = Retry().parse_retry_after(header) if header else None
            raise _Retryable(f"HTTP {response.status_code}: {body[:200]!r}", wait)
        if response.status_code >= 400:
            raise EutilsError(f"{utility}: HTTP {response.status_code}: {body[:300]!r}")
        expected = response.headers.get("Content-Length")
        if expected and expected.isdigit() and int(expected) != len(body):
            raise _Retryable(f"truncated body: {len(body)} of {expected} bytes")
        message = error_in_body(body)
        if message:
            if "Unable to obtain query" in message:
                raise HistoryExpired(f"{utility}: {message}")
            if "ID list is empty" in message:
                raise EmptyIdList(f"{utility}: {message}")
            raise EutilsError(f"{utility}: HTTP 200 with an error body: {message}")
        return body

    def _post(self, utility: str, params: dict, parse: Callable[[bytes], object]):
        """POST to one utility and parse the body, retrying transient failures."""
        last, answered = "", False
        for attempt in range(1, self.settings.max_attempts + 1):
            try:
                return parse(self._attempt(utility, params))
            except _Retryable as exc:
                last, answered = self._redact(str(exc)), exc.answered
                if attempt == self.settings.max_attempts:
                    break
                backoff = min(self.settings.backoff_max, self.settings.backoff_base * 2 ** (attempt - 1))
                delay = exc.wait if exc.wait is not None else backoff
                if self.deadline is not None and delay >= self.deadline.remaining():
                    raise DeadlineExceeded(
                        f"{utility}: {last}; the next attempt would come after the run's "
                        f"deadline of {self.deadline.seconds:g} s"
                    ) from None
                log.warning("%s attempt %d failed (%s); retrying in %.1f s", utility, attempt, last, delay)
                self._sleep(delay)
            except EutilsError as exc:
                raise type(exc)(self._redact(str(exc))) from None
        error = EutilsError if answered else NoAnswer
        raise error(f"{utility} failed after {self.settings.max_attempts} attempts: {last}")

    def probe(self, timeout: float = PROBE_TIMEOUT) -> str | None:
        """None when E-utilities answers one einfo request within ``timeout`` seconds, else why not
        (it was not reached). One attempt, no retries: the main job asks this once before it
        decides between a refresh and the committed snapshot.

        Raises ``EutilsError`` when the answer is an HTTP error status (4xx, 5xx): E-utilities, or a
        proxy in front of it, is reached but refuses, so a refresh would fail too."""
        self.limiter.wait(self.settings.requests_per_second)
        self.requests_made += 1
        try:
            response = self.session.post(
                self.settings.base_url + "einfo.fcgi", data=self._params({"db": "pubmed"}), timeout=timeout
            )
        except requests.RequestException as exc:
            return self._redact(f"no answer from {self.settings.base_url} within {timeout:g} s ({type(exc).__name__})")
        if response.status_code >= 400:
            raise EutilsError(self._redact(f"einfo: {self.settings.base_url} answered HTTP {response.status_code}"))
        return None

    # -- the utilities ------------------------------------------------------------------
    def esearch(self, term: str, retmax: int = 9999, db: str = "pubmed") -> SearchResult:
        """Search with the history server on; returns up to ``retmax`` ids (PubMed caps at 9,999)."""
        params = {"db": db, "term": term, "retmax": retmax, "usehistory": "y"}
        return self._post("esearch", params, parse_esearch)

    def _efetch(self, params: dict) -> list[dict]:
        return self._post("efetch", {"db": "pubmed", "retmode": "xml", **params}, parse_efetch)

    def _efetch_ids(self, ids: Sequence[str]) -> list[dict]:
        try:
            return self._efetch({"id": ",".join(ids)})
        except EmptyIdList:
            return []

    def fetch_pubmed(
        self, ids: Sequence[str], batch_size: int = MIN_BATCH_SIZE, history: SearchResult | None = None
    ) -> Iterator[FetchedBatch]:
        """Fetch PubMed records in batches, by POST.

        When ``ids`` are exactly the ids of ``history`` (a whole search result), batches are
        fetched from the history server (WebEnv/query_key, retstart/retmax); otherwise by id.
        An expired history ("Unable to obtain query") falls back to fetching by id. Ids that a
        batch does not return are asked for once more; those still absent are reported as missing.
        """
        if batch_size < MIN_BATCH_SIZE:
            raise ValueError(f"batch_size must be at least {MIN_BATCH_SIZE}, got {batch_size}")
        ids = [str(i) for i in ids]
        use_history = bool(history and history.webenv and history.query_key and list(history.ids) == ids)
        for start in range(0, len(ids), batch_size):
            batch = ids[start : start + batch_size]
            records: list[dict] = []
            if use_history:
                try:
                    records = self._efetch(
                        {
                            "WebEnv": history.webenv,
                            "query_key": history.query_key,
                            "retstart": start,
                            "retmax": len(batch),
                        }
                    )
                except HistoryExpired as exc:
                    log.warning("%s; fetching by id instead", exc)
                    use_history = False
            if not use_history:
                records = self._efetch_ids(batch)
            found = {r["pmid"]: r for r in records if not r["deleted"]}
            missing = [p for p in batch if p not in found]
            if missing:
                found.update((r["pmid"], r) for r in self._efetch_ids(missing) if not r["deleted"])
                missing = [p for p in batch if p not in found]
                if missing:
                    log.warning("efetch did not return %d PMID(s): %s", len(missing), ", ".join(missing))
            yield FetchedBatch(tuple(batch), tuple(found[p] for p in batch if p in found), tuple(missing))
