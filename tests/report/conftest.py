"""One built report per test session, shared by the report's static and browser tests."""

from __future__ import annotations

import pytest

from evidence.config import DataPaths
from evidence.jobs.main import run_main_job
from tests.conftest import copy_data
from tests.report.browser import open_chrome


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> DataPaths:
    """The main job, offline and without notebooks, on a copy of data/."""
    paths = copy_data(tmp_path_factory.mktemp("report") / "data")
    assert run_main_job(paths, execute_notebooks=False, refresh=False) == 0
    return paths


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """One headless Chromium for the session's browser tests."""
    driver = open_chrome(tmp_path_factory.mktemp("chrome-profile"))
    yield driver
    driver.quit()
