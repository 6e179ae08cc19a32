"""The web application's tests share one real server: ``python -m evidence serve --port 0`` on the
project's data, started once per module."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import PROJECT

DATA = PROJECT / "data"


def _data_files() -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(DATA)): (p.stat().st_mtime_ns, p.stat().st_size) for p in DATA.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``python -m evidence serve --port 0`` on the project's data; its base URL from what it prints.
    After the module: nothing under data/ was written."""
    before = _data_files()
    log = tmp_path_factory.mktemp("server") / "stderr.txt"
    process = subprocess.Popen(
        [sys.executable, "-m", "evidence", "serve", "--port", "0"],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    try:
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, (line, log.read_text())
        base = match.group(0)
        for _ in range(100):  # uvicorn starts serving just after the address is printed
            try:
                httpx.get(base, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert _data_files() == before, "the server wrote under data/"
