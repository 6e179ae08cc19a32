"""The web application's HTTP contract, over HTTP against a real uvicorn server on 127.0.0.1 (a free
port): the same findings as the command line, 413, 400 with a JSON error, escaping, 16 concurrent
checks, the report served read-only, nothing written under data/; the time limit and the start-up
messages in process."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import docx
import httpx
import pandas as pd
import pytest

from evidence.config import DataPaths
from evidence.serve.app import MAX_BODY, create_app, is_loopback, serve
from evidence.serve.checker import MAX_DOCX_PARTS, Checker
from tests.conftest import PROJECT
from tests.serve.conftest import DATA

#: a check can take longer than httpx's 5-second default on a busy machine (a model loading, CI
#: beside other work): a timeout there is no finding of the test
post = partial(httpx.post, timeout=60)
get = partial(httpx.get, timeout=60)

CLINIC_SET = DATA / "curated" / "wording_clinic_style.csv"
DRAFT = (
    "# Dry needling at our clinic\n\n"
    "Dry needling **cures** tennis elbow, guaranteed.\n"
    "It may reduce neck pain slightly. It also flushes lactic acid out of the muscle.\n"
    "- We are open daily.\n"
)


def cli_json(args: list[str], cwd=PROJECT, stdin: str | None = None) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    out = subprocess.run(
        [sys.executable, "-m", "evidence", "--data-dir", str(DATA), "check-wording", "--format", "json", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
    )
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def error_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert "Traceback" not in response.text
    return response.json()["error"]


def test_pasted_text_gives_the_same_findings_as_the_command_line_on_stdin(server):
    expected = cli_json(["-"], stdin=DRAFT)
    assert any(f["flagged"] for f in expected) and any(not f["flagged"] for f in expected)
    as_json = post(f"{server}api/check", json={"text": DRAFT})
    assert as_json.status_code == 200 and as_json.headers["content-type"] == "application/json"
    assert as_json.json() == expected
    as_form = post(f"{server}api/check?format=json", files={"text": (None, DRAFT)})
    assert as_form.json() == expected
    html = "<p>Dry needling <b>cures</b> tennis elbow, guaranteed.</p><ul><li>It eases neck pain.</li></ul>"
    assert post(f"{server}api/check", data={"text": html}).json() == cli_json(["-"], stdin=html)


@pytest.mark.parametrize("name", ["draft.docx", "draft.md", "draft.html"])
def test_an_uploaded_file_gives_the_same_findings_as_the_command_line_on_that_file(server, tmp_path, name):
    path = tmp_path / name
    if name.endswith(".docx"):
        document = docx.Document()
        for line in DRAFT.splitlines()[2:]:
            document.add_paragraph(line.lstrip("- ").replace("**", ""))
        document.save(path)
    else:
        path.write_text(DRAFT if name.endswith(".md") else f"<p>{DRAFT}</p>")
    expected = cli_json([name], cwd=tmp_path)
    assert expected and all(f["file"] == name for f in expected)
    response = post(f"{server}api/check", files={"file": (name, path.read_bytes())})
    assert response.json() == expected


def test_html_escapes_the_draft_and_links_each_claim_to_its_report_page(server):
    text = "Dry needling cures neck pain. <script>alert(1)</script> & <img src=x onerror=alert(2)>\n"
    response = post(f"{server}api/check?format=html", files={"file": ("<b onclick=x>.txt", text.encode())})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<script>alert" not in page and "<img src=x" not in page and "<b onclick=x>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(2)&gt;" in page
    assert "<h2>&lt;b onclick=x&gt;.txt</h2>" in page
    pasted = post(f"{server}api/check?format=html", json={"text": 'Dry needling cures neck pain <b & "x".'})
    assert "Dry needling cures neck pain &lt;b &amp; &quot;x&quot;." in pasted.text and "<b &" not in pasted.text
    links = re.findall(r'href="([^"]+)"', page)
    assert links and all(link.startswith(f"{server}report/claims/") for link in links)
    assert get(links[0]).status_code == 200


def test_docx_format_has_one_comment_per_flagged_claim(server):
    findings = post(f"{server}api/check", json={"text": DRAFT}).json()
    response = post(f"{server}api/check?format=docx", json={"text": DRAFT})
    assert response.status_code == 200
    assert 'filename="draft-checked.docx"' in response.headers["content-disposition"]
    assert len(docx.Document(io.BytesIO(response.content)).comments) == sum(f["flagged"] for f in findings) > 0


def test_a_body_over_5_mb_gets_413(server):
    big = "Dry needling cures neck pain. " * (MAX_BODY // 30 + 10)
    assert "5 MB" in error_of(post(f"{server}api/check", json={"text": big}), 413)

    def chunks():  # no Content-Length: counted as it streams in
        for _ in range(6):
            yield b"x" * 2**20

    chunked = post(f"{server}api/check", content=chunks(), headers={"content-type": "application/json"})
    error_of(chunked, 413)
    assert post(f"{server}api/check", json={"text": DRAFT}).status_code == 200


def _zip(parts: dict[str, int]) -> bytes:
    """A zip archive whose parts hold the given numbers of zero bytes (deflated: a zip bomb when large)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, size in parts.items():
            with archive.open(name, "w") as part:
                for _ in range(size // 2**20):
                    part.write(bytes(2**20))
                part.write(bytes(size % 2**20))
    return buffer.getvalue()


@pytest.mark.parametrize(
    "request_kwargs, says",
    [
        ({"json": {"text": "   \n"}}, "no text"),
        ({"json": {"draft": "x"}}, '{"text"'),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, "not valid JSON"),
        ({"content": b"text", "headers": {"content-type": "text/plain"}}, "multipart"),
        ({"files": {"file": ("draft.docx", b"")}}, "draft.docx: file is empty"),
        ({"files": {"file": ("draft.docx", b"PK\x03\x04 broken")}}, "draft.docx: not a readable .docx"),
        ({"files": {"file": ("draft.pdf", b"%PDF-1.4")}}, "draft.pdf: unknown format; choose a .txt, .md"),
        ({"files": {"file": ("draft.txt", b"\x00\x01binary")}}, "draft.txt: binary file"),
        ({"files": {"file": ("bomb.docx", _zip({"word/document.xml": 2**30}))}}, "bomb.docx: 1,024 MB"),
        ({"files": {"file": ("parts.docx", _zip({f"p{i}.xml": 0 for i in range(MAX_DOCX_PARTS + 1)}))}}, "parts"),
    ],
    ids=[
        "empty-text",
        "no-text-key",
        "bad-json",
        "plain-body",
        "empty-file",
        "broken-docx",
        "pdf",
        "binary",
        "zip-bomb",
        "many-parts",
    ],
)
def test_bad_input_gets_400_with_a_json_error_and_the_server_keeps_serving(server, request_kwargs, says):
    assert says in error_of(post(f"{server}api/check", **request_kwargs), 400)
    assert get(server).status_code == 200


def test_unknown_format_route_and_method(server):
    assert "format" in error_of(post(f"{server}api/check?format=pdf", json={"text": DRAFT}), 400)
    error_of(get(f"{server}no-such-page"), 404)
    error_of(get(f"{server}api/check"), 405)
    error_of(post(f"{server}report/index.html"), 405)
    error_of(get(f"{server}report/../../pyproject.toml"), 404)


def test_the_page_and_the_report_are_served(server):
    page = get(server)
    assert page.status_code == 200 and 'id="check-form"' in page.text and 'for="draft-text"' in page.text
    assert get(f"{server}static/page.js").status_code == 200
    index = get(f"{server}report/")
    assert index.status_code == 200 and "<h1>" in index.text and 'id="checker-link"' in index.text


def _draft_of(size: int, offset: int) -> str:
    """About ``size`` bytes of clinic-style sentences (from the labelled set), starting at row ``offset``."""
    rows = pd.read_csv(CLINIC_SET)["text"].tolist()
    lines, total, i = [], 0, offset
    while total < size:
        lines.append(rows[i % len(rows)])
        total += len(lines[-1]) + 1
        i += 1
    return "\n".join(lines)


def test_16_concurrent_checks_of_20_kb_answer_within_90_seconds(server):
    drafts = [_draft_of(20_000, 13 * i) for i in range(16)]
    start = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(lambda d: post(f"{server}api/check", json={"text": d}, timeout=90), drafts))
    elapsed = time.monotonic() - start
    assert [r.status_code for r in responses] == [200] * 16
    assert all(any(f["flagged"] for f in r.json()) for r in responses)
    assert elapsed < 90, elapsed
    print(f"16 concurrent 20 KB checks: {elapsed:.1f} s")


# ----------------------------------------------------------------------------------- in process


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker.from_paths(DataPaths(DATA))


def test_a_check_over_the_time_limit_gets_503_and_the_app_keeps_serving(checker):
    from starlette.testclient import TestClient

    client = TestClient(create_app(checker, time_limit=0.01))
    slow = client.post("/api/check", json={"text": _draft_of(20_000, 0)})  # about 0.7 s
    assert slow.status_code == 503 and "longer than 0.01 s" in slow.json()["error"]
    assert client.get("/").status_code == 200


def test_a_bug_gets_500_with_a_json_error_and_no_traceback(checker, monkeypatch):
    from starlette.testclient import TestClient

    def broken(*args):
        raise RuntimeError("secret detail of a bug")

    monkeypatch.setattr(Checker, "render", broken)
    client = TestClient(create_app(checker), raise_server_exceptions=False)
    response = client.post("/api/check", json={"text": DRAFT})
    assert response.status_code == 500 and response.json() == {
        "error": "internal error; the server's log has the details"
    }
    assert "secret detail" not in response.text and "Traceback" not in response.text
    assert client.get("/").status_code == 200


def test_start_up_says_where_and_warns_off_loopback(checker, monkeypatch):
    import uvicorn

    served = []

    def run(self, sockets):  # bound and listening, but not served
        served.append(sockets[0].getsockname())
        sockets[0].close()

    monkeypatch.setattr(uvicorn.Server, "run", run)
    for host, warned in (("127.0.0.1", False), ("0.0.0.0", True)):
        lines: list[str] = []
        assert serve(DataPaths(DATA), host, 0, echo=lines.append) == 0
        bound_host, port = served[-1]
        assert bound_host == host and lines[0].startswith(f"Checking drafts at http://{host}:{port}/")
        assert any("anyone who can reach this address" in line for line in lines) == warned
    assert is_loopback("::1") and is_loopback("localhost") and not is_loopback("192.168.1.5")


def test_cli_refuses_a_bad_port_and_data_without_verdicts(tmp_path, capsys):
    from evidence.cli import main

    assert main(["serve", "--port", "70000"]) == 2
    (tmp_path / "curated").mkdir()
    shutil.copy(DATA / "curated" / "claims.yaml", tmp_path / "curated")
    assert main(["serve", "--data-dir", str(tmp_path)]) == 2
    assert "run `python -m evidence analyse` first" in capsys.readouterr().err
