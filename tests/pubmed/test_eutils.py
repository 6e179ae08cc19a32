"""The E-utilities client against a local server that misbehaves on purpose."""

from __future__ import annotations

import logging
import time

import pytest

from evidence.config import ConfigError, Settings, load_settings
from evidence.pubmed.eutils import EutilsClient, EutilsError, RateLimiter, error_in_body
from tests.conftest import make_client, needs_shared
from tests.eutils_server import EUTILS_FIXTURES

SECRET = "SECRETKEY0123456789abcdef"


def test_live_run_needs_an_email():
    with pytest.raises(ConfigError, match="NCBI_EMAIL"):
        EutilsClient(load_settings({}))


def test_settings_from_environment():
    s = load_settings({"NCBI_EMAIL": "a@b.org", "NCBI_API_KEY": SECRET, "EVIDENCE_EUTILS_URL": "http://127.0.0.1:1/x"})
    assert (s.email, s.base_url, s.requests_per_second) == ("a@b.org", "http://127.0.0.1:1/x/", 10)
    assert SECRET not in repr(s)
    assert load_settings({"NCBI_EMAIL": "a@b.org"}).requests_per_second == 3


def test_every_request_is_a_post_with_tool_and_email(server, client):
    result = client.esearch("dry needling")
    list(client.fetch_pubmed(list(result.ids)[:3]))
    assert server.state.requests and all(r.method == "POST" for r in server.state.requests)
    for r in server.state.requests:
        assert r.params["tool"] == "evidence-dry-needling-tracker" and r.params["email"] == "tester@example.org"
        assert "api_key" not in r.params


def test_esearch_uses_history_server(server, client):
    result = client.esearch("dry needling")
    assert server.state.requests[0].params["usehistory"] == "y"
    assert result.webenv == server.state.webenv and result.query_key == "1"
    assert result.count == len(server.state.search_ids) == len(result.ids)


@pytest.mark.parametrize(
    "failure", ["429", "429-retry-after", "500", "502", "503", "drop", "slow", "truncate", "short-body"]
)
def test_transient_failures_are_retried(server, failure):
    server.state.slow_seconds = 1.5
    client = make_client(server, timeout=0.5)
    server.state.plan["esearch"] = [failure]
    result = client.esearch("dry needling")
    assert result.count == len(server.state.search_ids)
    assert len(server.state.requests) == 2


def test_retry_after_is_honoured(server):
    waits = []
    client = make_client(server)
    client._sleep = waits.append
    server.state.plan["esearch"] = ["429-retry-after", "503"]
    client.esearch("x")
    assert waits[0] == 1.0  # the server's Retry-After: 1
    assert waits[1] == pytest.approx(0.02)  # exponential backoff: base 0.01 * 2**1


def test_gives_up_after_max_attempts_with_a_clear_error(server):
    client = make_client(server, max_attempts=3)
    server.state.plan["esearch"] = ["503"] * 5
    with pytest.raises(EutilsError, match="esearch failed after 3 attempts: HTTP 503"):
        client.esearch("x")
    assert len(server.state.requests) == 3


@pytest.mark.parametrize("body", ["error-body", "error-list"])
def test_http_200_error_bodies_are_failures_not_zero_results(server, client, body):
    needs_shared()
    server.state.plan["esearch"] = [body]
    with pytest.raises(EutilsError, match="error body"):
        client.esearch("x")
    assert len(server.state.requests) == 1  # a permanent error is not retried


def test_error_detection_on_recorded_bodies():
    needs_shared()
    b = EUTILS_FIXTURES / "biopython"
    assert error_in_body((b / "esummary8.xml").read_bytes()) == "Neither query_key nor id specified"
    assert "PhraseNotFound" in error_in_body((b / "esearch8.xml").read_bytes())
    both = error_in_body((b / "epost3.xml").read_bytes())
    assert both.startswith("Empty ID list; Nothing to store; Some IDs have invalid value")
    assert error_in_body((b / "espell.xml").read_bytes()) is None  # espell's empty <ERROR/>
    assert error_in_body((b / "esearch2.xml").read_bytes()) is None


class RecordingLimiter(RateLimiter):
    """The real limiter on the real clock, recording when it lets each request go and each sleep it takes
    (the client's side: unlike the server's arrival times, these cannot bunch up under machine load)."""

    def __init__(self):
        self.granted: list[float] = []
        self.sleeps: list[float] = []
        super().__init__(sleep=self._sleep_and_record)

    def _sleep_and_record(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        time.sleep(seconds)

    def wait(self, per_second: int) -> None:
        super().wait(per_second)
        self.granted.append(self._times[-1])  # the permit's own time on the limiter's clock


def _run_through_limiter(server, n: int, api_key: str | None = None) -> RecordingLimiter:
    limiter = RecordingLimiter()
    client = make_client(server, api_key=api_key)
    client.limiter = limiter
    for _ in range(n):
        client.esearch("x")
    assert len(server.state.requests) == n
    return limiter


def test_rate_limit_without_key_three_per_second(server):
    limiter = _run_through_limiter(server, 7)
    times = limiter.granted
    assert min(times[i + 3] - times[i] for i in range(len(times) - 3)) >= 1.0  # never 4 in one second
    assert times[-1] - times[0] >= 2.0 and limiter.sleeps


def test_rate_limit_with_key_ten_per_second(server):
    limiter = _run_through_limiter(server, 21, api_key=SECRET)
    times = limiter.granted
    assert min(times[i + 10] - times[i] for i in range(len(times) - 10)) >= 1.0  # never 11 in one second
    assert min(times[i + 9] - times[i] for i in range(len(times) - 9)) < 1.0  # but 10 do go in one (never at 3/s)
    assert all(r.params["api_key"] == SECRET for r in server.state.requests)


def test_rate_limiter_window_on_a_fake_clock():
    now = [0.0]
    sleeps = []

    def sleep(s):
        sleeps.append(s)
        now[0] += s

    limiter = RateLimiter(clock=lambda: now[0], sleep=sleep)
    stamps = []
    for _ in range(7):
        limiter.wait(3)
        stamps.append(now[0])
    assert stamps[:3] == [0.0, 0.0, 0.0] and stamps[3] >= 1.0 and stamps[6] >= 2.0


def test_efetch_batches_of_200_by_post(server, client):
    ids = list(server.state.search_ids)
    with pytest.raises(ValueError, match="at least 200"):
        list(client.fetch_pubmed(ids, batch_size=100))
    batches = list(client.fetch_pubmed(ids))
    assert sum(len(b.records) for b in batches) == len(ids)
    efetches = [r for r in server.state.requests if r.utility == "efetch"]
    assert len(efetches) == -(-len(ids) // 200)
    assert all(len(r.params["id"].split(",")) <= 200 for r in efetches)


def test_missing_records_are_asked_again_then_reported(server, client):
    ids = list(server.state.search_ids)[:5]
    server.state.plan["efetch"] = ["missing:2"]
    (batch,) = client.fetch_pubmed(ids)
    assert [r["pmid"] for r in batch.records] == ids and batch.missing == ()
    server.state.plan["efetch"] = ["missing:2", "missing:2"]
    (batch,) = client.fetch_pubmed(ids)
    assert batch.missing == tuple(ids[3:])
    unknown = ["1", "2"]  # PMIDs the server does not hold: NCBI answers "ID list is empty"
    (batch,) = client.fetch_pubmed(ids[:1] + unknown)
    assert batch.missing == ("1", "2") and len(batch.records) == 1


def test_history_fetch_and_expired_webenv_falls_back_to_ids(server, client):
    needs_shared()
    result = client.esearch("x")
    server.state.plan["efetch"] = ["expired"]
    batches = list(client.fetch_pubmed(list(result.ids), history=result))
    assert sum(len(b.records) for b in batches) == len(result.ids)
    efetches = [r.params for r in server.state.requests if r.utility == "efetch"]
    assert "WebEnv" in efetches[0] and "id" in efetches[1]


def test_api_key_never_in_logs_or_errors(server, caplog):
    client = make_client(server, api_key=SECRET, max_attempts=2)
    server.state.plan["esearch"] = ["429", "429"]
    caplog.set_level(logging.DEBUG)
    with pytest.raises(EutilsError) as info:
        client.esearch("x")
    assert SECRET not in str(info.value)
    assert SECRET not in caplog.text
    assert SECRET not in repr(client.settings)


def test_redaction_of_a_body_that_echoes_the_key():
    client = EutilsClient(Settings(email="a@b.org", api_key=SECRET))
    assert client._redact(f'{{"api-key":"{SECRET}"}}') == '{"api-key":"***"}'
