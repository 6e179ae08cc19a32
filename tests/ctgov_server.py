"""A local ClinicalTrials.gov API v2 server on 127.0.0.1 for the tests: real HTTP on a free port.

It answers ``GET /api/v2/studies`` and ``GET /api/v2/version`` in the registry's documented JSON
schema (https://clinicaltrials.gov/data-api/about-api/study-data-structure): each study has
``protocolSection`` (identificationModule, statusModule with the date structs, conditionsModule,
designModule.enrollmentInfo, outcomesModule.primaryOutcomes, referencesModule.references) and
``hasResults``; a page has ``studies``, ``nextPageToken`` while more follow, and ``totalCount`` on the
first page when ``countTotal=true``. ``query.cond`` selects the studies whose conditions or title
contain one of its quoted terms (case-insensitive; the registry's condition search covers both);
without it every study is returned.

The studies (``STUDIES``) are real registrations of trials in ``data/curated/studies.csv`` and of the
seed table, with the facts of ``data/curated/registrations.csv`` (see tests/fixtures/README.md for
which facts were added for the tests).

``server.plan`` queues misbehaviours, consumed one per request: ``"429"`` (with ``Retry-After: 7``),
``"500"``, ``"503"``, ``"silent"`` (accepts the request and never answers, until the server stops),
``"malformed"`` (JSON cut in the middle, with a matching Content-Length), ``"no-studies"`` (valid JSON
without a ``studies`` list). Every request is recorded with its path and parameters.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def study(
    nct: str,
    title: str,
    conditions: list[str],
    status: str,
    start: str = "",
    completion: tuple[str, str] | None = None,
    enrollment: tuple[int, str] | None = None,
    primary: tuple[str, ...] = (),
    references: tuple[tuple[str, str], ...] = (),
    has_results: bool = False,
) -> dict:
    """One study object in the v2 schema (only the parts the client asks for in ``fields``)."""
    status_module: dict = {"overallStatus": status}
    if start:
        status_module["startDateStruct"] = {"date": start}
    if completion:
        status_module["completionDateStruct"] = {
            "date": completion[0],
            **({"type": completion[1]} if completion[1] else {}),
        }
    protocol = {
        "identificationModule": {"nctId": nct, "briefTitle": title},
        "statusModule": status_module,
        "conditionsModule": {"conditions": conditions},
        "outcomesModule": {"primaryOutcomes": [{"measure": m} for m in primary]},
        "referencesModule": {"references": [{"pmid": p, "type": t} for p, t in references]},
    }
    if enrollment:
        info = {"count": enrollment[0], **({"type": enrollment[1]} if enrollment[1] else {})}
        protocol["designModule"] = {"enrollmentInfo": info}
    return {"protocolSection": protocol, "hasResults": has_results}


STUDIES = (
    # neck pain: CerezoTellez2016b (registry id in studies.csv; PMID 27582622), Pandya2024, an unmatched one
    study(
        "NCT02219386",
        "Dry Needling of the Trapezius Muscle in Office Workers With Neck Pain",
        [],
        "COMPLETED",
        "2011-01",
        ("2013-12", "ACTUAL"),
        primary=("Subjective pain (VAS)",),
        references=(("27582622", "DERIVED"), ("20000001", "BACKGROUND")),
    ),
    study(
        "NCT04851067",
        "Dry Needling Versus Manual Therapy in Patients With Mechanical Neck Pain: A Randomized Control Trial",
        ["Neck Pain"],
        "UNKNOWN",
        "2021-07-31",
        ("2022-03-31", ""),
        (75, ""),
        ("Neck Disability Index",),
    ),
    study(
        "NCT03844802",
        "Effectiveness of Dry Needling in Chronic Neck Pain.",
        ["Neck Pain"],
        "COMPLETED",
        "2019-03-25",
        ("2023-07-30", ""),
        (58, ""),
    ),
    # plantar heel pain: AlBoloushi2020 (results posted), an unmatched completed one
    study(
        "NCT03236779",
        "A Comparative Study of Two Dry Needling Interventions for Plantar Heel Pain",
        ["Plantar Fascitis", "Myofacial Pain Syndromes", "Trigger Point Pain, Myofascial"],
        "COMPLETED",
        enrollment=(102, "ACTUAL"),
        has_results=True,
    ),
    study(
        "NCT02373618",
        "Dry Needling Versus Conventional Physical Therapy in Patients With Plantar Fasciitis",
        ["Plantar Fasciitis"],
        "COMPLETED",
        "2015-12",
        ("2017-05-17", "ACTUAL"),
        (108, "ESTIMATED"),
        ("Change in Lower Extremity Functional Scale",),
    ),
    # lateral elbow tendinopathy: Bureau2022, an unmatched completed one, a planned one
    study(
        "NCT02710682",
        "Ultrasound-guided Tendon Fenestration Versus Open Surgery for the Treatment of Chronic Lateral "
        "Epicondylosis of the Elbow: a Prospective, Randomized, Single Blind, Pilot Study.",
        [],
        "COMPLETED",
        "2016-06",
        ("2020-07", ""),
        primary=("PRTEE score at 6 months",),
    ),
    study(
        "NCT03167710",
        "Dry Needling, Manipulation and Stretching vs. Manual Therapy, Exercise and Ultrasound for Lateral Epicondylalgia",
        ["Lateral Epicondylitis"],
        "COMPLETED",
        "2017-06-15",
        ("2021-03-15", ""),
        (143, "ACTUAL"),
    ),
    study(
        "NCT07042997",
        "Ultrasound Evaluation of Blind Dry Needling in Lateral Epicondylitis",
        [],
        "NOT_YET_RECRUITING",
        "2025-09-21",
        ("2025-09-23", ""),
        (40, ""),
    ),
)


@dataclass
class FakeCtgov:
    studies: tuple[dict, ...] = STUDIES
    plan: list[str] = field(default_factory=list)
    requests: list[tuple[str, dict]] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)

    def matching(self, cond: str | None) -> list[dict]:
        if not cond:
            return list(self.studies)
        terms = [t.lower() for t in cond.split('"')[1::2]]

        def names(s: dict) -> str:
            protocol = s["protocolSection"]
            conditions = protocol["conditionsModule"]["conditions"]
            return " | ".join([*conditions, protocol["identificationModule"]["briefTitle"]]).lower()

        return [s for s in self.studies if any(t in names(s) for t in terms)]

    def page(self, params: dict) -> bytes:
        found = self.matching(params.get("query.cond"))
        size = int(params.get("pageSize", 10))
        start = int(params["pageToken"].removeprefix("tok-")) if params.get("pageToken") else 0
        body: dict = {"studies": found[start : start + size]}
        if start + size < len(found):
            body["nextPageToken"] = f"tok-{start + size}"
        if params.get("countTotal") == "true" and not params.get("pageToken"):
            body["totalCount"] = len(found)
        return json.dumps(body).encode()


def _handler(state: FakeCtgov):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output quiet
            pass

        def _send(self, status: int, body: bytes, headers: dict | None = None):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def do_GET(self):
            parsed = urllib.parse.urlparse(self.path)
            params = dict(urllib.parse.parse_qsl(parsed.query))
            state.requests.append((parsed.path, params))
            if parsed.path.endswith("/version"):
                return self._send(200, b'{"apiVersion": "2.0.5", "dataTimestamp": "2026-12-05T09:00:00"}')
            action = state.plan.pop(0) if state.plan else ""
            if action == "silent":
                state.stopped.wait()
                self.close_connection = True
                return None
            if action == "429":
                return self._send(429, b'{"message": "Too Many Requests"}', {"Retry-After": "7"})
            if action in ("500", "503"):
                return self._send(int(action), b"<html><body>Server error</body></html>")
            if action == "malformed":
                return self._send(200, state.page(params)[:25])
            if action == "no-studies":
                return self._send(200, b'{"message": "query.cond: unknown parameter"}')
            if not parsed.path.endswith("/studies"):
                return self._send(404, b'{"message": "not found"}')
            return self._send(200, state.page(params))

    return Handler


class CtgovServer:
    """``with CtgovServer() as server:``; ``server.url`` is the API base (``.../api/v2/``)."""

    def __init__(self, studies: tuple[dict, ...] = STUDIES):
        self.state = FakeCtgov(studies)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/api/v2/"

    def __enter__(self) -> CtgovServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.state.stopped.set()
        self.httpd.shutdown()
        self.httpd.server_close()
