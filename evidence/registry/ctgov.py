"""ClinicalTrials.gov API v2 client: the only module that talks to the registry and reads its JSON.

One search is ``GET {base}studies`` with ``query.intr`` (the intervention), ``query.cond`` (the
condition, an OR of the search definition's terms), ``fields`` (only what is stored),
``pageSize`` and, from the second page on, the ``pageToken`` that the page before gave as
``nextPageToken``; the first page also asks for ``countTotal``. Requests go through
``evidence.http`` (rate limit of ``requests_per_minute`` shared by the process, the run's deadline,
retries on 429 and 5xx honouring ``Retry-After``, dropped connections, timeouts); an answer that is
not JSON is retried like a truncated body, JSON without a ``studies`` list is an error.

Fields read (the registry's study data structure, https://clinicaltrials.gov/data-api/about-api/study-data-structure):
``protocolSection.identificationModule.nctId``, ``.briefTitle``; ``conditionsModule.conditions``;
``statusModule.overallStatus``, ``.startDateStruct.date``, ``.completionDateStruct`` (``date``,
``type`` ACTUAL or ESTIMATED); ``designModule.enrollmentInfo`` (``count``, ``type``);
``outcomesModule.primaryOutcomes[].measure``; ``referencesModule.references[]`` (``pmid``,
``type``); ``hasResults``. Linked PMIDs are those of references typed RESULT or DERIVED (a
publication of the trial, by its investigators or linked by the NCT id it prints); BACKGROUND
references cite other work and are left out.

Functions and classes
---------------------
RegistryError     the registry failed (an ``evidence.http.HttpError``)
studies_params    the query parameters of one page (built apart from sending)
condition_query   a condition's ``query.cond`` from its search definition
parse_page, registration_row   the JSON of one page, one study as a table row
CtgovClient       ``search(intervention, condition)`` -> pages; ``probe()``
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import requests

from evidence.config import RegistrySettings
from evidence.curation.searches import Condition
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

FIELDS = (
    "protocolSection.identificationModule.nctId",
    "protocolSection.identificationModule.briefTitle",
    "protocolSection.conditionsModule.conditions",
    "protocolSection.statusModule.overallStatus",
    "protocolSection.statusModule.startDateStruct",
    "protocolSection.statusModule.completionDateStruct",
    "protocolSection.designModule.enrollmentInfo",
    "protocolSection.outcomesModule.primaryOutcomes",
    "protocolSection.referencesModule.references",
    "hasResults",
)
PAGE_SIZE = 100
PUBLICATION_TYPES = ("RESULT", "DERIVED")
STUDY_URL = "https://clinicaltrials.gov/study/"
LIST_SEP = "; "
# the registry asks for about 50 requests a minute per client; every client of the process shares this
CTGOV_LIMITER = RateLimiter(window=60.0)


class RegistryError(HttpError):
    """ClinicalTrials.gov failed (after retries, or with an answer that is not a page of studies)."""


@dataclass(frozen=True)
class Page:
    """One page of a search: its studies (JSON objects), the token of the next page, the total count
    (on the first page only)."""

    studies: tuple[dict, ...]
    next_token: str | None
    total: int | None


def condition_query(condition: Condition) -> str | None:
    """``query.cond`` for one condition: its free-text and MeSH terms, quoted and ORed (None when it
    has none, as the search of all dry needling trials)."""
    terms = list(dict.fromkeys((*condition.free_text, *condition.mesh)))
    return " OR ".join(f'"{t}"' for t in terms) or None


def studies_params(intervention: str, condition: str | None, page_size: int, token: str | None = None) -> dict:
    """The query parameters of one page of ``GET studies``."""
    params = {"format": "json", "query.intr": intervention, "fields": ",".join(FIELDS), "pageSize": page_size}
    if condition:
        params["query.cond"] = condition
    if token:
        params["pageToken"] = token
    else:
        params["countTotal"] = "true"
    return params


def parse_page(body: bytes) -> Page:
    """A page of ``GET studies``; ``Retryable`` when the body is not JSON (cut short or garbled),
    ``RegistryError`` when it is JSON without a ``studies`` list."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Retryable(f"malformed JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("studies"), list):
        raise RegistryError(f"unexpected answer: no 'studies' list in {body[:200]!r}")
    total = data.get("totalCount")
    return Page(tuple(data["studies"]), data.get("nextPageToken") or None, int(total) if total is not None else None)


def _get(obj: object, *path: str) -> object:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def registration_row(study: dict, condition_id: str, fetched_on: str) -> dict[str, str]:
    """One study of a page as a row of ``store.FETCHED_COLUMNS`` (every cell a string, "" when absent)."""
    protocol = study.get("protocolSection") if isinstance(study, dict) else None
    nct = _get(protocol, "identificationModule", "nctId")
    if not isinstance(nct, str) or not nct:
        raise RegistryError("a study without protocolSection.identificationModule.nctId")
    completion = _get(protocol, "statusModule", "completionDateStruct") or {}
    enrolment = _get(protocol, "designModule", "enrollmentInfo") or {}
    outcomes = _get(protocol, "outcomesModule", "primaryOutcomes") or []
    references = _get(protocol, "referencesModule", "references") or []
    pmids = {str(r["pmid"]) for r in references if r.get("pmid") and r.get("type") in PUBLICATION_TYPES}
    has_results = study.get("hasResults")
    return {
        "nct_id": nct,
        "condition_id": condition_id,
        "origin": "fetched",
        "title": _get(protocol, "identificationModule", "briefTitle") or "",
        "conditions": LIST_SEP.join(_get(protocol, "conditionsModule", "conditions") or []),
        "overall_status": _get(protocol, "statusModule", "overallStatus") or "",
        "start_date": _get(protocol, "statusModule", "startDateStruct", "date") or "",
        "completion_date": completion.get("date", ""),
        "completion_kind": {"ACTUAL": "completion (actual)", "ESTIMATED": "completion (anticipated)"}.get(
            completion.get("type", ""), "completion" if completion.get("date") else ""
        ),
        "enrollment": str(enrolment.get("count", "")),
        "enrollment_type": enrolment.get("type", ""),
        "primary_outcomes": LIST_SEP.join(o["measure"] for o in outcomes if o.get("measure")),
        "has_results": "" if has_results is None else ("true" if has_results else "false"),
        "linked_pmids": LIST_SEP.join(sorted(pmids, key=int)),
        "source_url": STUDY_URL + nct,
        "fetched_on": fetched_on,
    }


class CtgovClient:
    """A client for the ClinicalTrials.gov API v2; see the module docstring."""

    def __init__(
        self,
        settings: RegistrySettings,
        session: requests.Session | None = None,
        limiter: RateLimiter = CTGOV_LIMITER,
        sleep: Callable[[float], None] = time.sleep,
        deadline: Deadline | None = None,
    ):
        self.settings, self.deadline = settings, deadline
        self.session = session or requests.Session()
        self.limiter, self._sleep = limiter, sleep
        self.requests_made = 0

    def _attempt(self, path: str, params: dict) -> bytes:
        self.limiter.wait(self.settings.requests_per_minute)
        timeout = request_timeout(self.settings.timeout, self.deadline, path)
        self.requests_made += 1
        url = self.settings.base_url + path
        headers = {"Accept": "application/json"}
        return read_response(
            lambda: self.session.get(url, params=params, headers=headers, timeout=timeout), path, RegistryError
        )[1]

    def _get(self, path: str, params: dict, parse: Callable[[bytes], Page]) -> Page:
        return with_retries(
            lambda: parse(self._attempt(path, params)),
            path,
            self.settings,
            self.deadline,
            self._sleep,
            str,
            RegistryError,
        )

    def search(self, intervention: str, condition: str | None = None, page_size: int = PAGE_SIZE) -> Iterator[Page]:
        """Every page of one search, following ``nextPageToken`` (a token seen twice is an error)."""
        token, seen = None, set()
        while True:
            page = self._get("studies", studies_params(intervention, condition, page_size, token), parse_page)
            yield page
            if not page.next_token:
                return
            if page.next_token in seen:
                raise RegistryError(f"studies: the registry sent page token {page.next_token!r} twice")
            token = page.next_token
            seen.add(token)

    def probe(self, timeout: float = PROBE_TIMEOUT) -> str | None:
        """None when the registry answers ``GET version`` within ``timeout`` seconds, else why not."""
        self.limiter.wait(self.settings.requests_per_minute)
        self.requests_made += 1
        url = self.settings.base_url + "version"
        return probe(lambda t: self.session.get(url, timeout=t), self.settings.base_url, timeout)
