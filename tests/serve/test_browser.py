"""The checker's page in headless Chromium, driven by the keyboard alone: Tab to each control in order,
type a draft, Enter on the buttons; check a pasted draft and an uploaded .docx and download each
annotated .docx, which has one Word comment per flagged claim (read back with python-docx).

A file input can only be filled by giving it a path (the native file dialog is outside the page), so
the upload step gives the focused input its path, as the dialog would."""

from __future__ import annotations

import io
import time
from pathlib import Path

import docx
import httpx
import pytest

from tests.report.browser import open_chrome
from tests.serve.conftest import DATA

pytestmark = pytest.mark.slow

PASTED = (
    "Dry needling cures tennis elbow, guaranteed.\nIt may reduce neck pain slightly. It flushes lactic acid out.\n"
    "Cupping eases back pain for many people.\n"
)
UPLOADED = [
    "Why our patients choose dry needling",
    "Dry needling eliminates headaches for good.",
    "We are open on Saturdays.",
    "Needling is completely safe with no side effects.",
]


def wait_for(condition, timeout: float = 30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def press(driver, *keys) -> str:
    """Send keys to whatever has the focus; return the id of the element that has it then."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(*keys).perform()
    return driver.switch_to.active_element.get_attribute("id")


def back(driver) -> str:
    """Shift+Tab; the id of the element that has the focus then."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    return driver.switch_to.active_element.get_attribute("id")


def check_and_download(driver, downloads: Path, name: str) -> tuple[int, int, str]:
    """From the focused Check button: Enter, wait for the results (which take the focus), go back to
    the .docx button with Shift+Tab and press Enter; the number of flagged notes shown and of comments
    in the downloaded document, and the status line shown after the check."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    status = driver.find_element(By.ID, "status")
    assert press(driver, Keys.ENTER) == "results" or wait_for(
        lambda: driver.switch_to.active_element.get_attribute("id") == "results"
    )
    shown = wait_for(lambda: "flagged" in status.text and status.text)
    flagged = len(driver.find_elements(By.CSS_SELECTOR, '#results .note[data-flagged="true"]'))
    marks = driver.find_elements(By.CSS_SELECTOR, "#results mark.claim.flagged")
    assert flagged > 0 and marks and all(m.is_displayed() for m in marks)
    assert back(driver) == "download-html"
    assert back(driver) == "download-docx"
    press(driver, Keys.ENTER)
    target = downloads / name
    wait_for(lambda: target.is_file() and target.stat().st_size > 0 and not list(downloads.glob("*.crdownload")))
    return flagged, len(docx.Document(io.BytesIO(target.read_bytes())).comments), shown


def test_paste_upload_and_download_with_the_keyboard_alone(server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    upload = tmp_path / "clinic page.docx"
    document = docx.Document()
    document.add_heading(UPLOADED[0], 1)
    for line in UPLOADED[1:]:
        document.add_paragraph(line)
    document.save(upload)

    driver = open_chrome(tmp_path / "chrome-profile")
    try:
        driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        driver.get(server)
        # focus order: the report link, the text, the file, Check; the download buttons wait for a check
        assert press(driver, Keys.TAB) == ""  # the link to the report (it has no id)
        assert driver.switch_to.active_element.get_attribute("href").endswith("/report/")
        assert press(driver, Keys.TAB) == "draft-text"
        press(driver, PASTED)
        assert press(driver, Keys.TAB) == "draft-file"
        assert press(driver, Keys.TAB) == "check"
        assert driver.find_element(By.ID, "download-docx").get_attribute("disabled")
        flagged, comments, shown = check_and_download(driver, downloads, "draft-checked.docx")
        expected = httpx.post(f"{server}api/check", json={"text": PASTED}).json()
        notes = sum(f["verdict"] == "not checked" for f in expected)  # a "Not checked" comment each
        assert flagged == sum(f["flagged"] for f in expected) and notes == 1 and comments == flagged + notes
        # the cupping sentence is no claim of needling's: the status says it was not checked
        # ... and, a pasted draft being short, that the thorough model checked it
        assert shown.endswith(
            "flagged. 1 sentence(s) with claims about other treatments not checked. "
            "Checked by the rules and the thorough model."
        ), shown

        # the upload: back to the file input (Shift+Tab from the .docx button past Check), choose, check
        assert back(driver) == "check"
        assert back(driver) == "draft-file"
        driver.switch_to.active_element.send_keys(str(upload))
        assert driver.find_element(By.ID, "download-docx").get_attribute("disabled")  # a new draft: check first
        assert press(driver, Keys.TAB) == "check"
        flagged, comments, shown = check_and_download(driver, downloads, "clinic page-checked.docx")
        expected = httpx.post(f"{server}api/check", files={"file": (upload.name, upload.read_bytes())}).json()
        assert comments == flagged == sum(f["flagged"] for f in expected) >= 2 and "not checked" not in shown
        annotated = docx.Document(downloads / "clinic page-checked.docx")
        assert [p.text for p in annotated.paragraphs] == UPLOADED
        assert annotated.paragraphs[0].style.name == "Heading 1"

        # the report links to the checker when served, not when opened from disk
        driver.get(f"{server}report/")
        link = driver.find_element(By.CSS_SELECTOR, "#checker-link a")
        assert link.is_displayed() and link.get_attribute("href") == server
        driver.get((DATA / "derived" / "report" / "index.html").as_uri())
        assert not driver.find_element(By.ID, "checker-link").is_displayed()
    finally:
        driver.quit()
