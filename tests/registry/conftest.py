"""Fixtures of the registry tests: a local ClinicalTrials.gov server and a client for it."""

from __future__ import annotations

import pytest

from evidence.config import RegistrySettings
from evidence.http import RateLimiter
from evidence.registry.ctgov import CtgovClient
from tests.ctgov_server import CtgovServer


@pytest.fixture
def ctgov():
    with CtgovServer() as server:
        yield server


def make_registry_client(server: CtgovServer, sleeps: list | None = None, **overrides) -> CtgovClient:
    settings = RegistrySettings(
        base_url=server.url,
        timeout=overrides.pop("timeout", 2.0),
        max_attempts=overrides.pop("max_attempts", 3),
        backoff_base=0.01,
        backoff_max=0.05,
    )
    sleep = sleeps.append if sleeps is not None else (lambda s: None)
    return CtgovClient(settings, limiter=RateLimiter(window=60.0), sleep=sleep, **overrides)
