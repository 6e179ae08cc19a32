"""NCBI E-utilities client: the only module that talks to NCBI.

Every request goes through ``EutilsClient._post``, which uses the shared HTTP layer
(``evidence.http``: rate limiter, total deadline, retries honouring ``Retry-After``, clear errors)
and adds what is NCBI's:

* the process-wide rate limiter ``RATE_LIMITER`` at 3 requests in any second without an API key,
  10 with one (NCBI's published limits),
* ``tool`` and ``email`` (and ``api_key`` when set) in a POST body,
* a truncated XML body is retried like a dropped connection (NCBI's 429 body is JSON even when XML
  was asked for),
* an HTTP-200 body that carries a non-empty ``<ERROR>`` or an ``<ErrorList>`` is a failure, never
  "zero results" (espell's empty ``<ERROR/>`` is not an error).

Why not ``Bio.Entrez`` for the requests (Biopython 1.88): its URLs are hard-coded (no local
test server), it sets no request timeout, it retries 429 and 5xx at once without a pause and
does not read ``Retry-After``.

The API key is never logged and is redacted from every message this module raises.

Functions and classes
---------------------
EutilsError       E-utilities failed (an ``evidence.http.HttpError``); ``HistoryExpired``, ``EmptyIdList``
EutilsClient      ``esearch(term)`` -> SearchResult; ``fetch_pubmed(ids, history=...)`` -> batches;
                  ``probe()`` -> None when NCBI answers, else why not
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import requests
from lxml import etree

from evidence.config import MIN_BATCH_SIZE, Settings
from evidence.http import (
    PROBE_TIMEOUT,
    Deadline,
    HttpError,
    RateLimiter,
    Retryable,
    probe,
    read_response,
    request_timeout,
    with_retries,
)
from evidence.pubmed.parser import PubmedXMLError, parse_pubmed_xml

log = logging.getLogger(__name__)

_ERROR = re.compile(rb"<ERROR>\s*(.*?)\s*</ERROR>", re.S)
_ERROR_LIST = re.compile(rb"<ErrorList>(.*?)</ErrorList>", re.S)
_SAFE_XML = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
# NCBI's limits hold for the whole process: every E-utilities client shares this limiter
RATE_LIMITER = RateLimiter()


class EutilsError(HttpError):
    """E-utilities failed (after retries, or with an error body)."""


class HistoryExpired(EutilsError):
    """The WebEnv/query_key is no longer on NCBI's history server ("Unable to obtain query")."""


class EmptyIdList(EutilsError):
    """efetch found none of the ids it was given ("ID list is empty")."""


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
    """Read an eSearchResult; raise ``Retryable`` if it is truncated."""
    try:
        root = etree.fromstring(body, _SAFE_XML)
    except etree.XMLSyntaxError as exc:
        raise Retryable(f"truncated or malformed esearch answer: {exc}") from exc
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
    """Records of a PubMed efetch answer; raise ``Retryable`` if the XML is truncated."""
    try:
        return list(parse_pubmed_xml(body))
    except PubmedXMLError as exc:
        if "declares entities" in str(exc):
            raise
        raise Retryable(f"truncated or malformed efetch answer: {exc}") from exc


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

    def _attempt(self, utility: str, params: dict) -> bytes:
        self.limiter.wait(self.settings.requests_per_second)
        timeout = request_timeout(self.settings.timeout, self.deadline, utility)
        self.requests_made += 1
        url = self.settings.base_url + utility + ".fcgi"
        _, body = read_response(
            lambda: self.session.post(url, data=self._params(params), timeout=timeout), utility, EutilsError
        )
        message = error_in_body(body)
        if message:
            if "Unable to obtain query" in message:
                raise HistoryExpired(f"{utility}: {message}")
            if "ID list is empty" in message:
                raise EmptyIdList(f"{utility}: {message}")
            raise EutilsError(f"{utility}: HTTP 200 with an error body: {message}")
        return body

    def _post(self, utility: str, params: dict, parse: Callable[[bytes], object]):
        """POST to one utility and parse the body, retrying transient failures (``evidence.http``)."""
        return with_retries(
            lambda: parse(self._attempt(utility, params)),
            utility,
            self.settings,
            self.deadline,
            self._sleep,
            self._redact,
            EutilsError,
        )

    def probe(self, timeout: float = PROBE_TIMEOUT) -> str | None:
        """None when E-utilities answers one einfo request within ``timeout`` seconds (any HTTP
        status counts as an answer), else why not (``evidence.http.probe``)."""
        self.limiter.wait(self.settings.requests_per_second)
        self.requests_made += 1
        url = self.settings.base_url + "einfo.fcgi"
        why = probe(
            lambda t: self.session.post(url, data=self._params({"db": "pubmed"}), timeout=t),
            self.settings.base_url,
            timeout,
        )
        return self._redact(why) if why else None

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
