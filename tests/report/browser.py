"""Debian's headless Chromium through Selenium, for the report's browser tests (skipped when it is not
installed), and axe-core (bundled by axe-selenium-python) to check a page's accessibility."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}  # an iPhone 12-14 viewport


def open_chrome(profile: Path):
    """A headless Chromium (1280 x 1600); skips the test when Chromium or Selenium is missing."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip(
            "headless Chromium not installed (/usr/bin/chromium and /usr/bin/chromedriver; "
            "install with `apt-get update && apt-get install -y chromium chromium-driver`)"
        )
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1280,1600",
    ):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def as_phone(driver, on: bool = True) -> None:
    """Emulate a 390 px wide phone screen (or stop emulating)."""
    if on:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    else:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def scrolls_sideways(driver) -> bool:
    """Whether the open page is wider than the screen."""
    return driver.execute_script("return document.documentElement.scrollWidth > document.documentElement.clientWidth")


def serious_violations(driver) -> list[str]:
    """axe-core's serious and critical violations on the open page, one line each (rule, impact, first node)."""
    axe_selenium = pytest.importorskip("axe_selenium_python")
    axe = axe_selenium.Axe(driver)
    axe.inject()
    results = axe.run()
    return [
        f"{v['id']} ({v['impact']}): {v['help']}; e.g. {v['nodes'][0]['target']} of {len(v['nodes'])}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
