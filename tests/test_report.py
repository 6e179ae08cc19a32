"""The main job and the static HTML report, built into a temporary copy of ``data/``.

The static checks parse the pages with lxml; the browser test (marked ``slow``) opens them in
Debian's headless Chromium through Selenium and is skipped when Chromium is not installed.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd
import pytest
import yaml
from lxml import html as lxml_html

from evidence.claims import load_claims
from evidence.config import DataPaths
from evidence.inputs import load_inputs
from evidence.mainjob import run_main_job
from evidence.pipeline import compute
from evidence.report import ReportInputs, build_report, verdict_changes
from evidence.searches import load_search_definitions
from evidence.status import Snapshot
from evidence.store import PubmedStore
from evidence.tables import read_csv
from evidence.vocab import QuestionId
from tests.conftest import copy_data

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def report_files(paths: DataPaths) -> dict[str, bytes]:
    """Every file of the report except the notebook exports, by relative path."""
    root = paths.derived / "report"
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).parts[0] != "notebooks"}


def report_inputs(paths: DataPaths, previous: pd.DataFrame | None = None) -> ReportInputs:
    """What the main job hands the report, computed here from the files of ``paths``."""
    inputs = load_inputs(paths)
    return ReportInputs.of_run(inputs, compute(inputs).as_written(), Snapshot.read(PubmedStore(paths.pubmed)),
                               paths.figures, previous)


def pages(paths: DataPaths) -> list[Path]:
    return sorted((paths.derived / "report").rglob("*.html"))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> DataPaths:
    """The main job, offline and without notebooks, on a copy of data/."""
    paths = copy_data(tmp_path_factory.mktemp("report") / "data")
    assert run_main_job(paths, execute_notebooks=False, refresh=False) == 0
    return paths


@pytest.fixture(scope="module")
def claims(built):
    return load_claims(built.curated / "claims.yaml")


@pytest.fixture(scope="module")
def condition_ids(built) -> list[str]:
    return load_search_definitions(built.searches).ids


def parse(path: Path):
    return lxml_html.fromstring(path.read_bytes())


def test_claims_table_has_one_row_per_claim(built, claims):
    doc = parse(built.derived / "report" / "index.html")
    rows = doc.xpath('//table[@id="claims-table"]/tbody/tr')
    assert [r.xpath("string(td[1])").strip() for r in rows] == sorted(c.id for c in claims)
    verdicts = read_csv(built.derived / "claim_verdicts.csv").set_index("claim_id")["verdict"]
    assert all(r.get("data-verdict") == verdicts[r.xpath("string(td[1])").strip()] for r in rows)
    # without JavaScript every row shows and the filter form stays hidden
    assert not any(r.get("hidden") is not None for r in rows)
    assert doc.xpath('//form[@id="claim-filters"]')[0].get("hidden") is not None


def test_every_condition_and_claim_has_a_page(built, claims, condition_ids):
    report = built.derived / "report"
    labels = {c.id: c.label for c in load_search_definitions(built.searches).conditions}
    for cid in condition_ids:
        doc = parse(report / "conditions" / f"{cid}.html")
        assert doc.findtext(".//h1") == labels[cid]
    for claim in claims:
        doc = parse(report / "claims" / f"{claim.id}.html")
        assert doc.findtext(".//h1") == claim.statement
    index = parse(report / "index.html")
    hrefs = set(index.xpath("//a/@href"))
    assert {f"conditions/{cid}.html" for cid in condition_ids} <= hrefs
    assert "provenance.html" in hrefs


def test_condition_pages_show_the_evidence(built):
    report = built.derived / "report"
    studies = read_csv(built.curated / "studies.csv")
    questions = read_csv(built.derived / "questions.csv")
    for cid in sorted(set(studies["condition_id"])):
        text = (report / "conditions" / f"{cid}.html").read_text()
        for s in studies[studies["condition_id"] == cid].itertuples():
            assert f'id="study-{s.study_id}"' in text
            if s.pmid:
                assert f"https://pubmed.ncbi.nlm.nih.gov/{s.pmid}/" in text
    with_data = questions[questions["k"].astype(int) > 0]
    for q in with_data.itertuples():
        doc = parse(report / "conditions" / f"{q.condition_id}.html")
        sources = doc.xpath(f'//*[@id="{QuestionId.parse(q.question_id).anchor}"]//img/@src')
        assert sources and all((report / "conditions" / src).resolve().is_file() for src in sources)
    empty = [c for c in load_search_definitions(built.searches).ids if c not in set(studies["condition_id"])]
    for cid in empty:
        assert "No trials found" in (report / "conditions" / f"{cid}.html").read_text()
    subgroups = read_csv(built.derived / "subgroups.csv")
    for r in subgroups.itertuples():
        page = (report / "conditions" / f"{r.condition_id}.html").read_text()
        assert "Differences between comparator types" in page and r.comparators in page


def test_every_local_link_resolves_and_nothing_loads_from_the_network(built):
    report = built.derived / "report"
    for page in pages(built):
        doc = parse(page)
        assert not doc.xpath("//script[@src]"), f"{page}: external script"
        for element, attribute, link, _ in doc.iterlinks():
            url = urlparse(link)
            if attribute == "src":
                assert not url.scheme.startswith("http") and not link.startswith("//"), f"{page}: {link}"
            if url.scheme in ("http", "https", "mailto", "data"):
                continue
            assert not url.scheme, f"{page}: {link}"
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            assert target.is_file(), f"{page.relative_to(report)}: {link} does not exist"
            assert report in target.parents, f"{page}: {link} leaves the report folder"
            if url.fragment and target.suffix == ".html":
                assert parse(target).xpath(f'//*[@id="{url.fragment}"]'), f"{page}: no anchor for {link}"
        assert b"fetch(" not in page.read_bytes()


def test_rebuild_is_byte_identical(built):
    previous = read_csv(built.derived / "claim_verdicts.csv")
    first = report_files(built)
    build_report(report_inputs(built, previous), built.report)
    assert report_files(built) == first  # the main job's report and a rebuild from the files agree


def test_text_is_escaped(tmp_path):
    paths = copy_data(tmp_path / "data")
    register = yaml.safe_load((paths.curated / "claims.yaml").read_text())
    register["claims"][0]["statement"] = 'Needling <script>alert("x")</script> & more'
    (paths.curated / "claims.yaml").write_text(yaml.safe_dump(register, sort_keys=False))
    assert run_main_job(paths, execute_notebooks=False, refresh=False) == 0
    index = (paths.derived / "report" / "index.html").read_text()
    assert "<script>alert" not in index
    assert "Needling &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in index


def test_verdict_changes_are_listed(built):
    current = read_csv(built.derived / "claim_verdicts.csv")
    assert verdict_changes(current, None) is None
    assert verdict_changes(current, current) == []
    previous = current.copy()
    first = previous.loc[0, "claim_id"]
    previous.loc[0, "verdict"] = "contradicted" if current.loc[0, "verdict"] != "contradicted" else "supported"
    previous = pd.concat([previous, pd.DataFrame([{"claim_id": "zz_gone", "verdict": "supported"}])])
    changes = verdict_changes(current, previous)
    assert [c["claim_id"] for c in changes] == [first, "zz_gone"]
    build_report(report_inputs(built, previous), built.report)
    text = (built.derived / "report" / "provenance.html").read_text()
    assert f'href="claims/{first}.html"' in text and "zz_gone" in text
    build_report(report_inputs(built), built.report)
    assert "No previous build to compare with" in (built.derived / "report" / "provenance.html").read_text()


def test_provenance_without_searches_says_so(built):
    text = (built.derived / "report" / "provenance.html").read_text()
    shown = parse(built.derived / "report" / "provenance.html").text_content()
    definitions = load_search_definitions(built.searches)
    assert all(definitions.query(cid) in shown for cid in definitions.ids)
    if read_csv(built.pubmed / "search_log.csv").empty:
        assert "No PubMed search has been run into this snapshot yet" in text
        assert "python -m evidence update" in text


def test_prisma_flow_adds_up(built, condition_ids):
    from evidence.status import prisma_flow

    inputs = load_inputs(built)
    flow = prisma_flow(inputs.definitions, inputs.curated.studies, Snapshot.read(PubmedStore(built.pubmed)),
                       read_csv(built.derived / "forest.csv"))
    assert list(flow["condition_id"]) == condition_ids
    assert (flow["screened"] == flow["included"] + flow["excluded"]).all()
    assert (flow["included_with_data"] <= flow["included"]).all()


# ----------------------------------------------------------------------------- the browser test

def _chrome(tmp_path: Path):
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip("headless Chromium not installed (/usr/bin/chromium and /usr/bin/chromedriver; "
                    "install with `apt-get update && apt-get install -y chromium chromium-driver`)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", f"--user-data-dir={tmp_path / 'chrome-profile'}", "--window-size=1280,1600"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


BROKEN_IMAGES = "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src);"


@pytest.mark.slow
def test_report_in_headless_chromium(built, claims, condition_ids, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    report = built.derived / "report"
    labels = {c.id: c.label for c in load_search_definitions(built.searches).conditions}
    driver = _chrome(tmp_path)
    try:
        driver.get((report / "index.html").as_uri())
        shot = tmp_path / "index.png"
        assert driver.save_screenshot(str(shot))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000

        rows = driver.find_elements(By.CSS_SELECTOR, "#claims-table tbody tr")
        assert len(rows) == len(claims)
        assert all(r.is_displayed() for r in rows)
        assert driver.find_element(By.ID, "claim-filters").is_displayed()

        verdicts = [r.get_attribute("data-verdict") for r in rows]
        chosen = min(set(verdicts), key=verdicts.count)  # a verdict that leaves other rows to hide
        Select(driver.find_element(By.ID, "filter-verdict")).select_by_value(chosen)
        shown = [r for r in rows if r.is_displayed()]
        assert len(shown) == verdicts.count(chosen) < len(rows)
        assert {r.get_attribute("data-verdict") for r in shown} == {chosen}
        assert f"{len(shown)} of {len(rows)}" in driver.find_element(By.ID, "filter-count").text
        Select(driver.find_element(By.ID, "filter-verdict")).select_by_value("")
        assert all(r.is_displayed() for r in rows)
        assert driver.execute_script(BROKEN_IMAGES) == []

        for cid in condition_ids:
            driver.get((report / "conditions" / f"{cid}.html").as_uri())
            assert driver.title.startswith(labels[cid])
            assert driver.find_element(By.TAG_NAME, "h1").text == labels[cid]
            assert driver.execute_script(BROKEN_IMAGES) == [], cid
        driver.get((report / "provenance.html").as_uri())
        assert driver.title.startswith("Provenance")
    finally:
        driver.quit()


