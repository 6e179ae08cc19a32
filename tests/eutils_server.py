"""A local E-utilities server on 127.0.0.1 for the tests: real HTTP on a free port.

It serves real recorded NCBI material from ``../shared/fixtures/eutils/``:

* efetch answers are assembled from the recorded ``PubmedArticle`` elements (the fatcat baseline
  sample of 176 articles plus the biopython and metapub efetch recordings), selected by the ids
  asked for, inside the ``PubmedArticleSet`` envelope of a recorded answer;
* esearch answers follow the recorded ``eSearchResult`` format (biopython ``esearch2.xml``:
  Count, RetMax, RetStart, QueryKey, WebEnv, IdList);
* error bodies are the recorded ones (``esummary8.xml``-style ``<ERROR>``, ``esearch8.xml``'s
  ``ErrorList``, ``transcribed/efetch_error_history_unavailable.xml``, the 429 JSON body).

* einfo (the main job's probe) answers with the recorded ``einfo2.xml``.

``server.plan`` queues misbehaviours per utility, consumed one per request: ``"429"``,
``"429-retry-after"``, ``"404"``, ``"500"``, ``"502"``, ``"503"``, ``"drop"`` (connection closed without an
answer), ``"silent"`` (accepts the request and never answers, until the server stops),
``"slow"`` (answers after ``slow_seconds``), ``"truncate"`` (half the XML, with a
matching Content-Length), ``"short-body"`` (a Content-Length larger than the body sent),
``"error-body"``, ``"error-list"``, ``"expired"`` (history not found), ``"missing:N"`` (leave out
the last N records asked for). ``server.always`` is a misbehaviour for every request of every
utility, einfo included (a proxy that answers 404 or 503 to everything). Every request is recorded
with its time and parameters.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from lxml import etree

from tests.paths import SHARED  # noqa: E402

EUTILS_FIXTURES = SHARED / "fixtures" / "eutils"
PUBMED_FILES = (
    "fatcat/pubmedsample_2019.xml",
    "biopython/pubmed1.xml",
    "biopython/pubmed2.xml",
    "biopython/pubmed4.xml",
    "biopython/pubmed5.xml",
    "biopython/pubmed6.xml",
    "biopython/pubmed7.xml",
    "metapub/36987902.xml",
    "metapub/38329942.xml",
)
_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)


# Hand-written stand-ins for the recorded bodies, used only when ../shared is absent so that a
# clone without it still tests the core paths (same shape as the recordings listed in its README).
_FALLBACK_BODIES = {
    "biopython/einfo2.xml": b'<?xml version="1.0" ?>\n<eInfoResult><DbInfo><DbName>pubmed</DbName></DbInfo></eInfoResult>\n',
    "transcribed/http429_rate_limit_exceeded.json": b'{"error":"API rate limit exceeded","api-key":"192.0.2.1","count":"5","limit":"3"}\n',
    "biopython/esummary8.xml": b'<?xml version="1.0" ?>\n<eSummaryResult><ERROR>Neither query_key nor id specified</ERROR></eSummaryResult>\n',
    "biopython/esearch8.xml": b'<?xml version="1.0" ?>\n<eSearchResult><Count>0</Count><RetMax>0</RetMax><RetStart>0</RetStart><IdList/>'
    b"<ErrorList><PhraseNotFound>abcXYZ</PhraseNotFound></ErrorList></eSearchResult>\n",
    "transcribed/efetch_error_history_unavailable.xml": b'<?xml version="1.0" ?>\n<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>\n',
    "transcribed/efetch_error_empty_id_list.xml": b'<?xml version="1.0" ?>\n<eFetchResult><ERROR>ID list is empty! Possibly it has no correct IDs.</ERROR>'
    b"</eFetchResult>\n",
}


def fixture_body(name: str) -> bytes:
    """A recorded body from ../shared, or its hand-written stand-in when ../shared is absent."""
    path = EUTILS_FIXTURES / name
    return path.read_bytes() if path.exists() else _FALLBACK_BODIES[name]


def recorded_articles() -> dict[str, bytes]:
    """PMID -> the recorded ``<PubmedArticle>`` element, serialised as it was recorded."""
    articles = {}
    for name in PUBMED_FILES:
        root = etree.parse(str(EUTILS_FIXTURES / name), _PARSER).getroot()
        for article in root.iter("PubmedArticle"):
            articles[article.findtext("MedlineCitation/PMID").strip()] = etree.tostring(article)
    return articles


def cloned_articles(template: bytes, first_pmid: int, n: int) -> dict[str, bytes]:
    """``n`` copies of one recorded article under new PMIDs, for tests that need more records
    than the recordings hold (several efetch batches). Test data only."""
    clones = {}
    for pmid in range(first_pmid, first_pmid + n):
        root = etree.fromstring(template, _PARSER)
        root.find("MedlineCitation/PMID").text = str(pmid)
        clones[str(pmid)] = etree.tostring(root)
    return clones


@dataclass
class Request:
    time: float
    utility: str
    method: str
    params: dict[str, str]
    body: bytes = field(repr=False, default=b"")


class FakeEutils:
    """The server's state: records, the current search result, the plan of misbehaviours."""

    def __init__(self, articles: dict[str, bytes]):
        self.articles = dict(articles)
        self.search_ids: list[str] = list(articles)
        self.plan: dict[str, list[str]] = {}
        self.always: str | None = None
        self.requests: list[Request] = []
        self.slow_seconds = 2.0
        self.webenv = "MCID_TEST_0001"
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def take(self, utility: str) -> str | None:
        if self.always:
            return self.always
        with self.lock:
            queue = self.plan.get(utility) or []
            return queue.pop(0) if queue else None

    # -- normal answers --------------------------------------------------------------------
    def esearch(self) -> bytes:
        ids = "".join(f"<Id>{i}</Id>" for i in self.search_ids)
        n = len(self.search_ids)
        return (
            '<?xml version="1.0" encoding="UTF-8" ?>\n'
            '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
            '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
            f"<eSearchResult><Count>{n}</Count><RetMax>{n}</RetMax><RetStart>0</RetStart>"
            f"<QueryKey>1</QueryKey><WebEnv>{self.webenv}</WebEnv><IdList>{ids}</IdList>"
            "<TranslationSet/><QueryTranslation>test</QueryTranslation></eSearchResult>\n"
        ).encode()

    def efetch(self, params: dict[str, str], leave_out: int = 0) -> bytes:
        if "id" in params:
            wanted = [i for i in params["id"].split(",") if i]
        else:
            start, size = int(params.get("retstart", 0)), int(params.get("retmax", 20))
            wanted = self.search_ids[start : start + size]
        found = [self.articles[i] for i in wanted if i in self.articles]
        if leave_out:
            found = found[: max(0, len(found) - leave_out)]
        if not found and "id" in params:
            return fixture_body("transcribed/efetch_error_empty_id_list.xml")
        return (
            b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
            b'1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
            b"<PubmedArticleSet>\n" + b"\n".join(found) + b"\n</PubmedArticleSet>\n"
        )


def _handler(state: FakeEutils):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output quiet
            pass

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str = "text/xml",
            headers: dict | None = None,
            length: int | None = None,
        ):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def _handle(self, method: str):
            parsed = urllib.parse.urlparse(self.path)
            utility = Path(parsed.path).name.removesuffix(".fcgi")
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else b""
            params = dict(urllib.parse.parse_qsl(parsed.query))
            params.update(urllib.parse.parse_qsl(raw.decode()))
            state.requests.append(Request(time.monotonic(), utility, method, params, raw))
            action = state.take(utility) or ""
            if action == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if action == "silent":
                state.stopped.wait()
                self.close_connection = True
                return
            if action == "slow":
                time.sleep(state.slow_seconds)
            if action.startswith("429"):
                headers = {"Retry-After": "1"} if action == "429-retry-after" else {}
                body = fixture_body("transcribed/http429_rate_limit_exceeded.json")
                return self._send(429, body, "application/json", headers)
            if action in ("404", "500", "502", "503"):
                return self._send(int(action), b"<html><body>Server error</body></html>", "text/html")
            if action == "error-body":
                return self._send(200, fixture_body("biopython/esummary8.xml"))
            if action == "error-list":
                return self._send(200, fixture_body("biopython/esearch8.xml"))
            if action == "expired" or (params.get("WebEnv") and params["WebEnv"] != state.webenv):
                return self._send(200, fixture_body("transcribed/efetch_error_history_unavailable.xml"))
            leave_out = int(action.split(":")[1]) if action.startswith("missing:") else 0
            if utility == "einfo":
                body = fixture_body("biopython/einfo2.xml")
            elif utility == "esearch":
                body = state.esearch()
            elif utility == "efetch":
                body = state.efetch(params, leave_out)
            else:
                return self._send(400, b"unknown utility")
            if action == "truncate":
                body = body[: len(body) // 2]
            if action == "short-body":
                self._send(200, body[: len(body) // 2], length=len(body))
                self.close_connection = True
                return
            self._send(200, body)

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

    return Handler


class EutilsServer:
    """Start ``FakeEutils`` on 127.0.0.1 on a free port; use as a context manager."""

    def __init__(self, articles: dict[str, bytes]):
        self.state = FakeEutils(articles)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/entrez/eutils/"

    def __enter__(self) -> EutilsServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.state.stopped.set()
        self.httpd.shutdown()
        self.httpd.server_close()
