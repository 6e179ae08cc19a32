"""The main job and the static HTML report, built into a temporary copy of ``data/``.

The static checks parse the pages with lxml; the browser test (marked ``slow``) opens them in
Debian's headless Chromium through Selenium and is skipped when Chromium is not installed.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd
import pytest
import yaml
from lxml import html as lxml_html

from evidence.config import DataPaths
from evidence.curation.claims import load_claims
from evidence.curation.inputs import load_inputs
from evidence.curation.searches import load_search_definitions
from evidence.jobs.analyse import change_log_path, compute
from evidence.jobs.main import run_main_job
from evidence.pubmed.status import Snapshot
from evidence.pubmed.store import PubmedStore
from evidence.report.render import ReportInputs, build_report, verdict_changes
from evidence.tables import read_csv
from evidence.vocab import QuestionId
from tests.conftest import PROJECT, copy_data
from tests.report.browser import open_chrome


def report_files(paths: DataPaths) -> dict[str, bytes]:
    """Every file of the report except the notebook exports, by relative path."""
    root = paths.derived / "report"
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] != "notebooks"
    }


def report_inputs(paths: DataPaths, previous: pd.DataFrame | None = None) -> ReportInputs:
    """What the main job hands the report, computed here from the files of ``paths``."""
    inputs = load_inputs(paths)
    derived = compute(inputs).as_written()
    return replace(
        ReportInputs.of_run(inputs, derived, Snapshot.read(PubmedStore(paths.pubmed)), paths.figures, previous),
        change_log=read_csv(change_log_path(paths)),
    )


def pages(paths: DataPaths) -> list[Path]:
    return sorted((paths.derived / "report").rglob("*.html"))


@pytest.fixture(scope="module")
def claims(built):
    return load_claims(built.curated / "claims.yaml")


@pytest.fixture(scope="module")
def condition_ids(built) -> list[str]:
    return load_search_definitions(built.searches).ids


def parse(path: Path):
    return lxml_html.fromstring(path.read_bytes())


def test_claims_table_groups_by_type_with_problems_first(built, claims):
    from evidence.report.render import CLAIM_TYPES
    from evidence.vocab import PROBLEM_VERDICTS

    doc = parse(built.derived / "report" / "index.html")
    rows = doc.xpath('//table[@id="claims-table"]/tbody/tr[@class="claim"]')
    assert sorted(r.get("data-claim") for r in rows) == sorted(c.id for c in claims)
    statements = {c.id: c.statement for c in claims}
    assert all(r.xpath("string(td[1]/a)") == statements[r.get("data-claim")] for r in rows)  # words, not ids
    verdicts = read_csv(built.derived / "claim_verdicts.csv").set_index("claim_id")["verdict"]
    assert all(r.get("data-verdict") == verdicts[r.get("data-claim")] for r in rows)
    groups = doc.xpath('//table[@id="claims-table"]/tbody[@class="claim-group"]')
    types = [g.get("data-type") for g in groups]
    assert types == [t for t in CLAIM_TYPES if t in {c.type for c in claims}]
    by_id = {c.id: c for c in claims}
    for group in groups:
        ids = [r.get("data-claim") for r in group.xpath('tr[@class="claim"]')]
        assert {by_id[i].type for i in ids} == {group.get("data-type")}
        problem = [verdicts[i] in PROBLEM_VERDICTS for i in ids]
        assert problem == sorted(problem, reverse=True), f"{group.get('data-type')}: a problem after a non-problem"
    # without JavaScript every row shows and the filter form stays hidden
    assert not any(r.get("hidden") is not None for r in rows)
    assert doc.xpath('//form[@id="claim-filters"]')[0].get("hidden") is not None


def test_claims_name_their_documents_by_title(built, claims):
    titles = read_csv(built.curated / "documents.csv").set_index("document")["title"]
    doc = parse(built.derived / "report" / "index.html")
    rows = {r.get("data-claim"): r for r in doc.xpath('//tr[@class="claim"]')}
    for claim in claims:
        files = {o.document for o in claim.occurrences}
        row = rows[claim.id]
        assert set(row.get("data-documents").split()) == files
        shown = [" ".join(d.text_content().split()) for d in row.xpath("td[4]/div")]
        assert sorted(shown) == sorted(titles[f] for f in files)
        assert not any(f in row.xpath("string(td[4])") for f in files), "a file name instead of a title"
    options = doc.xpath('//select[@id="filter-document"]/option[@value!=""]')
    assert {o.get("value"): o.text for o in options} == {f: titles[f] for f in titles.index}


def test_evidence_map_cells_follow_the_questions(built, condition_ids):
    """ "Does it work" cells use only sham, no-treatment and usual-care comparisons; add-on and head-to-head
    comparisons have a column each; a cell names its certainty in words and its studies and participants."""
    from evidence.report.render import DOES_IT_WORK, OTHER_COLUMNS
    from evidence.vocab import DOMAINS, direction

    doc = parse(built.derived / "report" / "index.html")
    questions = read_csv(built.derived / "questions.csv")
    questions = questions[questions["k"].astype(int) > 0]
    final = read_csv(built.derived / "certainty.csv").set_index("question_id")["final"]
    findings = read_csv(built.curated / "review_findings.csv")
    rows = doc.xpath('//table[@id="evidence-map"]/tbody/tr[@data-condition]')
    assert [r.get("data-condition") for r in rows] == condition_ids
    marks = {True: "\u25b2", False: "\u25bc", None: "\u25c6"}
    columns = [(DOES_IT_WORK, d) for d in DOMAINS] + [((c,), None) for c, _ in OTHER_COLUMNS]
    ranks = ["very_low", "low", "moderate", "high"]
    checked = set()
    for row in rows:
        cid = row.get("data-condition")
        cells = row.xpath("td")
        assert len(cells) == len(columns)
        for (comparators, domain), cell in zip(columns, cells):
            mine = questions[(questions["condition_id"] == cid) & questions["comparator_type"].isin(comparators)]
            theirs = findings[(findings["condition_id"] == cid) & findings["comparator_type"].isin(comparators)]
            if domain:
                mine, theirs = mine[mine["outcome_domain"] == domain], theirs[theirs["outcome_domain"] == domain]
            classes = cell.get("class").split()
            if not mine.empty:
                hrefs = cell.xpath("a/@href")
                assert len(hrefs) == 1 and hrefs[0].startswith(f"conditions/{cid}.html#q-")
                best = mine[mine["question_id"].map(lambda q: QuestionId.parse(q).anchor) == hrefs[0].split("#")[1]]
                assert len(best) == 1, (cid, domain)
                b = best.iloc[0]
                assert b.comparator_type in comparators
                checked.add(b.comparator_type)
                assert f"certainty-{final[b.question_id]}" in classes
                assert cell.xpath("string(a/span[@class='map-cert'])") == final[b.question_id].replace("_", " ")
                assert cell.xpath("string(a/span[@class='map-n'])") == f"k {b.k} \u00b7 n {b.n_participants}"
                assert (
                    cell.xpath("string(a/span[contains(@class, 'mark')])")
                    == marks[direction(float(b.estimate), float(b.ci_low), float(b.ci_high))]
                )
                assert f"size-{b.effect_class or 'unclassified'}" in cell.xpath("a/span[1]/@class")[0]
                levels = {final[q] for q in mine["question_id"]}
                assert ranks.index(final[b.question_id]) == max(ranks.index(level) for level in levels)
            elif not theirs.empty:
                assert "map-reviews" in classes and cell.xpath("a/@href") == [f"conditions/{cid}.html#reviews"]
                trials = [int(x) for x in theirs["n_trials"] if x]
                assert cell.xpath("string(a/span[@class='map-n'])").startswith(f"k {max(trials) if trials else 'n/r'} ")
            else:
                assert "map-gap" in classes and not cell.xpath(".//a")
    assert {"sham", "add_on", "active_other"} <= checked  # each kind of column has data somewhere
    legend = " ".join(doc.xpath('string(//*[@id="map-legend"])').split())
    assert all(word in legend for word in ("very low", "moderate", "favours dry needling", "2 studies"))


def test_one_colour_meaning_for_verdicts(built):
    """A verdict is drawn with its verdict badge everywhere (never in certainty colours), and certainty colours
    are no verdict's colours."""
    import re as regex

    css = (built.report / "style.css").read_text()

    def background(selector: str) -> str:
        return regex.search(regex.escape(selector) + r"[^{]*\{[^}]*background: (#[0-9a-f]+)", css).group(1)

    verdict_colours = {background(f".verdict-{v}") for v in ("supported", "overstated", "contradicted")}
    assert not verdict_colours & {background(f".certainty-{c}") for c in ("high", "moderate", "low", "very_low")}
    index = parse(built.report / "index.html")
    topic_claims = index.xpath('//tbody[@class="map-topics"]//a')
    assert topic_claims and all("verdict" in a.get("class").split() for a in topic_claims)
    for a in topic_claims:
        verdict = next(c for c in a.get("class").split() if c.startswith("verdict-")).removeprefix("verdict-")
        assert a.text_content().startswith(verdict.replace("_", " "))
        assert not any(c.startswith("certainty-") for c in a.get("class").split())


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


def test_claim_pages_show_each_link_with_its_reason_and_source(built, claims):
    """Issue 19, rule 7: every link of the claims register is a row of the claim page's links table,
    with its own reason and a PubMed or DOI link to its source; a hedged claim says how it is hedged."""
    from evidence.curation.claims import EVIDENCE_KINDS, link_sources
    from evidence.curation.schema import load_curated

    curated = load_curated(built.curated)
    report = built.derived / "report"
    for claim in claims:
        doc = parse(report / "claims" / f"{claim.id}.html")
        rows = doc.xpath('//table[@id="claim-links"]/tbody/tr')
        sources = link_sources([claim], curated)[claim.id]
        assert len(rows) == len(sources), claim.id
        for row, source in zip(rows, sources):
            assert row.xpath("string(td[2])") == source.link.reason
            hrefs = row.xpath("td[3]//a/@href")
            expected = (
                f"https://pubmed.ncbi.nlm.nih.gov/{source.pmid}/" if source.pmid else f"https://doi.org/{source.doi}"
            )
            assert expected in hrefs, (claim.id, source.link.ref)
            assert source.cite in row.xpath("string(td[1])")
            assert ("tested this claim" in row.xpath("string(td[1])")) == source.link.tested
            # a safety count or mechanism row says where in its source its numbers stand
            where = row.xpath('string(td[3]//div[contains(@class, "where")])')
            if source.link.kind != "reviews":
                table, key = EVIDENCE_KINDS[source.link.kind]
                frame = getattr(curated, table)
                located = frame.loc[frame[key] == source.link.ref, "source_location"]
                assert all(place in where for place in located if place), (claim.id, source.link.ref)
            else:
                assert where == ""
        made_as = doc.xpath('string(//dt[.="Made as"]/following-sibling::dd[1])')
        assert (claim.hedge_reason in made_as) if not claim.asserted else made_as.startswith("asserted")


def test_condition_pages_say_where_in_its_source_each_number_stands(built):
    """A clinical lead defends a number by finding it in its paper: an included study's row names where its
    extracted outcome data stand, a review finding where in the review it stands."""
    from evidence.curation.schema import load_curated

    curated = load_curated(built.curated)
    doc = parse(built.derived / "report" / "conditions" / "neck_pain.html")
    outcomes = curated.outcomes
    checked = 0
    for row in doc.xpath('//table[@id="included-studies"]/tbody/tr'):
        study = row.get("id").removeprefix("study-")
        where = row.xpath('string(.//div[contains(@class, "where")])')
        places = [p for p in outcomes.loc[outcomes["study_id"] == study, "source_location"] if p]
        assert all(p in where for p in places) and bool(places) == where.startswith("data from: "), study
        checked += bool(places)
    assert checked >= 5
    findings = curated.review_findings
    neck = findings[findings["condition_id"] == "neck_pain"]
    shown = doc.xpath('//table[@id="review-findings"]//div[contains(@class, "where")]/text()')
    assert len(shown) == sum(neck["source_location"] != "") and shown[0].startswith("in the review: ")


def test_a_summary_of_findings_row_names_its_outcome_and_scale(built):
    """Two rows of one part, comparator and follow-up (pain, disability) read as duplicates unless each says
    its outcome and scale."""
    profile = read_csv(built.derived_table("claim_evidence"))
    neck = profile[profile["claim_id"] == "efficacy_neck_pain"]
    doc = parse(built.derived / "report" / "claims" / "efficacy_neck_pain.html")
    assert doc.xpath('//section[@id="summary"]//th/text()')[:3] == ["Part", "Outcome", "Compared with"]
    cells = doc.xpath('//section[@id="summary"]//td[@data-label="Outcome"]/text()')
    assert len(cells) == len(neck) and {"pain", "disability"} <= {c.split(",")[0] for c in cells}
    assert all(scale in cell for cell, scale in zip(cells, neck["scale"]) if scale)


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
        for _element, attribute, link, _ in doc.iterlinks():
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


def test_the_committed_report_has_no_broken_link():
    """Every local link of the committed report leads to a committed file or anchor, the patient documents'
    pages included (they are built from the claims register, so they are committed)."""
    listed = subprocess.run(
        ["git", "ls-files", "data/derived/report"], cwd=PROJECT, capture_output=True, text=True, check=True
    ).stdout.split()
    tracked = {(PROJECT / name).resolve() for name in listed}
    report = (PROJECT / "data" / "derived" / "report").resolve()
    assert report / "index.html" in tracked
    broken = []
    for page in sorted(p for p in tracked if p.suffix == ".html" and "notebooks" not in p.parts):
        for _element, _attribute, link, _ in parse(page).iterlinks():
            url = urlparse(link)
            if url.scheme:
                continue
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            if target not in tracked:
                broken.append(f"{page.relative_to(report)}: {link}")
            elif url.fragment and target.suffix == ".html" and not parse(target).xpath(f'//*[@id="{url.fragment}"]'):
                broken.append(f"{page.relative_to(report)}: {link} (no such anchor)")
    assert broken == [], broken[:10]


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


def test_verdict_changes_are_listed(built, tmp_path):
    current = read_csv(built.derived / "claim_verdicts.csv")
    assert verdict_changes(current, None) is None
    assert verdict_changes(current, current) == []
    previous = current.copy()
    first = previous.loc[0, "claim_id"]
    previous.loc[0, "verdict"] = "contradicted" if current.loc[0, "verdict"] != "contradicted" else "supported"
    previous = pd.concat([previous, pd.DataFrame([{"claim_id": "zz_gone", "verdict": "supported"}])])
    changes = verdict_changes(current, previous)
    assert [c["claim_id"] for c in changes] == [first, "zz_gone"]
    # into a folder of its own: the session's built report stays the main job's for the other tests
    run = report_inputs(built, previous)
    build_report(run, tmp_path / "report")
    text = (tmp_path / "report" / "provenance.html").read_text()
    assert f'href="claims/{first}.html"' in text and "zz_gone" in text
    build_report(replace(run, previous_verdicts=None), tmp_path / "report")
    assert "No previous build to compare with" in (tmp_path / "report" / "provenance.html").read_text()


def test_provenance_without_searches_says_so(built):
    text = (built.derived / "report" / "provenance.html").read_text()
    shown = parse(built.derived / "report" / "provenance.html").text_content()
    definitions = load_search_definitions(built.searches)
    assert all(definitions.query(cid) in shown for cid in definitions.ids)
    if read_csv(built.pubmed / "search_log.csv").empty:
        assert "No PubMed search has been run into this snapshot yet" in text
        assert "python -m evidence update" in text


def test_prisma_flow_adds_up(built, condition_ids):
    from evidence.pubmed.status import prisma_flow

    inputs = load_inputs(built)
    flow = prisma_flow(
        inputs.definitions,
        inputs.curated.studies,
        Snapshot.read(PubmedStore(built.pubmed)),
        read_csv(built.derived / "forest.csv"),
    )
    assert list(flow["condition_id"]) == condition_ids
    assert (flow["screened"] == flow["included"] + flow["excluded"]).all()
    assert (flow["included_with_data"] <= flow["included"]).all()


# ----------------------------------------------------------------------------- the browser test


BROKEN_IMAGES = "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src);"


@pytest.mark.slow
def test_report_in_headless_chromium(built, claims, condition_ids, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    report = built.derived / "report"
    labels = {c.id: c.label for c in load_search_definitions(built.searches).conditions}
    driver = open_chrome(tmp_path / "chrome-profile")
    try:
        driver.get((report / "index.html").as_uri())
        shot = tmp_path / "index.png"
        assert driver.save_screenshot(str(shot))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000

        rows = driver.find_elements(By.CSS_SELECTOR, "#claims-table tr.claim")
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

        # document and type together: the rows left are exactly the claims of that type the document makes
        by_id = {c.id: c for c in claims}
        ids = [r.get_attribute("data-claim") for r in rows]
        mechanisms = {c.id for c in claims if c.type == "mechanism"}

        def makes(document: str) -> set[str]:
            return {c.id for c in claims if c.id in mechanisms and document in {o.document for o in c.occurrences}}

        document = next(
            d
            for d in sorted({o.document for c in claims for o in c.occurrences})
            if 0 < len(makes(d)) < len(mechanisms)
        )  # a choice that hides rows of the same type
        Select(driver.find_element(By.ID, "filter-document")).select_by_value(document)
        Select(driver.find_element(By.ID, "filter-type")).select_by_value("mechanism")
        expected = makes(document)
        assert {i for i, r in zip(ids, rows) if r.is_displayed()} == expected
        heads = driver.find_elements(By.CSS_SELECTOR, "#claims-table tbody.claim-group")
        assert [h.get_attribute("data-type") for h in heads if h.is_displayed()] == ["mechanism"]
        Select(driver.find_element(By.ID, "filter-document")).select_by_value("")
        Select(driver.find_element(By.ID, "filter-type")).select_by_value("")
        # the text search: every word must occur in the row
        search = driver.find_element(By.ID, "filter-text")
        search.send_keys("blood flow")
        shown = {i for i, r in zip(ids, rows) if r.is_displayed()}
        assert shown and shown == {
            i for i, r in zip(ids, rows) if all(w in r.get_attribute("textContent").lower() for w in ("blood", "flow"))
        }
        assert len(shown) < len(rows) and any("blood" in by_id[i].statement.lower() for i in shown)
        search.clear()
        search.send_keys(" ")
        assert all(r.is_displayed() for r in rows)

        # the evidence map: a cell with evidence links to its question on the condition page
        cell = driver.find_element(By.CSS_SELECTOR, "#evidence-map td.map-cell a[href*='#q-']")
        href = cell.get_attribute("href")
        cell.click()
        assert driver.current_url == href
        anchor = href.split("#")[1]
        assert driver.find_element(By.ID, anchor).is_displayed()
        driver.back()

        for cid in condition_ids:
            driver.get((report / "conditions" / f"{cid}.html").as_uri())
            assert driver.title.startswith(labels[cid])
            assert driver.find_element(By.TAG_NAME, "h1").text == labels[cid]
            assert driver.execute_script(BROKEN_IMAGES) == [], cid
            prisma = driver.find_element(By.CSS_SELECTOR, "#prisma img")
            assert driver.execute_script("return arguments[0].naturalWidth", prisma) > 0, cid
        driver.get((report / "provenance.html").as_uri())
        assert driver.title.startswith("Provenance")
    finally:
        driver.quit()


# ----------------------------------------------------------------------------- no placeholder reaches a page

# (pattern, what it means); matched against the whitespace-collapsed text of each element. A "?" counts only
# when it stands for a value (after a space, "=", "(" or at the start: "? trials", "n = ?"); a question mark
# that ends a word, a quote or a bracket ("Is it effective? A review", a URL's "?q=") is prose.
PLACEHOLDERS = [
    (re.compile(r"(?<![\w\"'\u201d)\]])\?"), "a '?' standing for a value"),
    (re.compile(r"\b(nan|NaN|None|null|undefined)\b"), "a missing value printed"),
    (re.compile(r"\(\s*(95% CI\s*)?to\s*\)|\(\s*(95% CI\s*)?to\b|\bto\s*\)"), "an interval with a missing end"),
    (re.compile(r"^the outcome\b", re.I), "an unnamed outcome as a label"),
    (re.compile(r"\bMD -?\d[\d.]* \([^()]*\)(?! on | \(scale not reported\))"), "an MD without its scale"),
]
TEXT_ELEMENTS = "//td|//th|//p|//li|//h1|//h2|//h3|//h4|//dd|//dt|//figcaption|//summary|//caption|//title"


def _is_numeric(element) -> bool:
    return "num" in (element.get("class") or "").split()


def placeholder_problems(page: bytes) -> list[str]:
    """Every placeholder in an HTML page's visible text (scripts and styles left out), and every empty cell in
    a numeric column (a ``num`` header or cell)."""
    doc = lxml_html.fromstring(page)
    for hidden in doc.xpath("//script|//style"):
        hidden.drop_tree()
    problems = []
    for element in doc.xpath(TEXT_ELEMENTS):
        text = " ".join(element.text_content().split())
        problems += [
            f"{what}: ...{text[max(0, m.start() - 50) : m.end() + 30]}..."
            for pattern, what in PLACEHOLDERS
            for m in pattern.finditer(text)
        ]
    for table in doc.xpath("//table"):
        numeric = {i for i, th in enumerate(table.xpath("./thead/tr/th")) if _is_numeric(th)}
        for row in table.xpath("./tbody/tr"):
            column = 0
            for cell in row.xpath("./td|./th"):
                if (column in numeric or _is_numeric(cell)) and not cell.text_content().strip():
                    problems.append(f"an empty numeric cell in row {' '.join(row.text_content().split())[:60]!r}")
                column += int(cell.get("colspan") or 1)
    return problems


def test_the_placeholder_scan_catches_placeholders_and_passes_prose():
    bad = (
        "<table><thead><tr><th>Effect</th><th class='num'>n</th></tr></thead><tbody>"
        "<tr><td>MD -0.49 (-0.84 to -0.13); ? trials</td><td class='num'>3</td></tr>"
        "<tr><td>SMD 0.27 ( to )</td><td class='num'> </td></tr><tr><td>the outcome</td><td>1</td></tr>"
        "<tr><td>MD -0.95 (95% CI -1.88 to -0.02)</td><td class='num'>nan</td></tr></tbody></table>"
        "<p>soreness: ? patients, 88%</p><p>None</p><p>n = ?</p>"
    )
    found = placeholder_problems(f"<html><body>{bad}</body></html>".encode())
    for what in (
        "'?' standing for a value",
        "missing value printed",
        "missing end",
        "unnamed outcome",
        "MD without its scale",
        "empty numeric cell",
    ):
        assert any(what in p for p in found), what
    assert sum("'?'" in p for p in found) == 3
    good = (
        "<h1>Is Dry Needling Effective? A Systematic Review</h1><p>See https://example.org/search?q=needling.</p>"
        "<p>\u201cDoes it work?\u201d they asked (is it?).</p>"
        "<p>MD -0.95 (95% CI -1.88 to -0.02) (scale not reported); "
        "MD 6.00 (95% CI -3.39 to 15.39) on VISA-A 0-100; SMD 0.27 (95% CI not reported); number of trials not "
        "reported</p><table><thead><tr><th class='num'>n</th></tr></thead><tbody><tr><td class='num'>0</td></tr>"
        "</tbody></table><script>var x = null; if (a ? b : c) {}</script><p>Compared with the outcome of ...</p>"
    )
    assert placeholder_problems(f"<html><body>{good}</body></html>".encode()) == []


def test_no_placeholder_on_any_page(built):
    report = built.derived / "report"
    problems = [
        f"{page.relative_to(report)}: {p}" for page in pages(built) for p in placeholder_problems(page.read_bytes())
    ]
    assert problems == [], "\n".join(problems[:20])


def test_pages_name_questions_and_findings_in_words_not_ids(built):
    """No question id (condition:domain:comparator:window) or review finding id (review_id:question) shows in
    the text of a page; page titles are checked in test_tasks."""
    question_id = re.compile(r"\b\w+:\w+:\w+:\w+\b")
    found = []
    for page in pages(built):
        doc = parse(page)
        for hidden in doc.xpath("//script|//style"):
            hidden.drop_tree()
        found += [f"{page.name}: {m}" for m in question_id.findall(doc.text_content())]
    assert found == [], found[:10]


def test_the_achilles_claim_rests_on_dry_needling_evidence(built):
    verdicts = read_csv(built.derived / "claim_verdicts.csv").set_index("claim_id")
    assert "injection" not in verdicts.loc["efficacy_achilles", "effect"]
    findings = read_csv(built.curated / "review_findings.csv")
    assert not ((findings["review_id"] == "Chaudhry2017") & (findings["condition_id"] == "achilles_tendinopathy")).any()


# ----------------------------------------------------------------------------- PRISMA diagrams and exports


def test_each_condition_page_shows_its_prisma_diagram_with_its_numbers(built, condition_ids):
    from lxml import etree

    from evidence.pubmed.status import prisma_flow

    inputs = load_inputs(built)
    flow = prisma_flow(
        inputs.definitions,
        inputs.curated.studies,
        Snapshot.read(PubmedStore(built.pubmed)),
        read_csv(built.derived / "forest.csv"),
    ).set_index("condition_id")
    report = built.derived / "report"
    for cid in condition_ids:
        page = parse(report / "conditions" / f"{cid}.html")
        src = page.xpath('//section[@id="prisma"]//img/@src')
        assert src == [f"../prisma/prisma_{cid}.svg"]
        svg = etree.fromstring(
            (report / "prisma" / f"prisma_{cid}.svg").read_bytes(),
            etree.XMLParser(resolve_entities=False, no_network=True),
        )
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        lines = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
        text = " ".join(lines)
        f = flow.loc[cid]
        assert f"Studies included: n = {f['included']}" in lines
        assert f"Studies excluded: n = {f['excluded']}" in lines
        assert f"n = {f['screened']}" in lines and f"n = {f['identified_other']}" in lines
        assert f"n = {f['included_with_data']}" in text
        if f["searched"]:
            assert f"n = {f['identified_pubmed']}" in lines
        else:
            assert "no PubMed search has been run" in text
            assert "stroke-dasharray" in (report / "prisma" / f"prisma_{cid}.svg").read_text()
        excluded = read_csv(built.curated / "studies.csv")
        reasons = excluded[(excluded["condition_id"] == cid) & (excluded["decision"] == "exclude")]["exclusion_reason"]
        for reason in sorted(set(reasons))[:3]:
            assert " ".join(reason.split()[:2]) in text
        assert placeholder_problems(b"<html><body><p>" + " | ".join(lines).encode() + b"</p></body></html>") == []


def test_exports_parse_back_with_rispy_and_bibtexparser(built, condition_ids):
    bibtexparser = pytest.importorskip("bibtexparser")
    rispy = pytest.importorskip("rispy")
    curated = load_inputs(built).curated
    studies, reviews, findings = curated.studies, curated.reviews, curated.review_findings
    exports = built.derived / "report" / "exports"
    for name in ["all", *condition_ids]:  # trials and reviews in separate files
        if name == "all":
            want_studies = set(studies.loc[studies["decision"] == "include", "study_id"])
            want_reviews = set(reviews["review_id"])
        else:
            mine = (studies["decision"] == "include") & (studies["condition_id"] == name)
            want_studies = set(studies.loc[mine, "study_id"])
            want_reviews = set(findings.loc[findings["condition_id"] == name, "review_id"])
        page = None if name == "all" else parse(built.derived / "report" / "conditions" / f"{name}.html")
        if not want_studies | want_reviews:
            assert not list(exports.glob(f"{name}-*")) and not page.xpath('//section[@id="exports"]')
            continue
        for kind, want in (("trials", want_studies), ("reviews", want_reviews)):
            if not want:
                assert not (exports / f"{name}-{kind}.ris").exists()
                continue
            ris = rispy.loads((exports / f"{name}-{kind}.ris").read_text(encoding="utf-8"))
            assert [r["id"] for r in ris] and {r["id"] for r in ris} == want and len(ris) == len(want)
            library = bibtexparser.parse_string((exports / f"{name}-{kind}.bib").read_text(encoding="utf-8"))
            assert not library.failed_blocks
            assert {e.key for e in library.entries} == want
            by_key = {e.key: e.fields_dict for e in library.entries}
            table = studies if kind == "trials" else reviews
            for r in ris:
                row = table[table["study_id" if kind == "trials" else "review_id"] == r["id"]].iloc[0]
                assert r.get("doi", "") == row["doi"] and r.get("accession_number", "") == row["pmid"]
                assert r.get("title", "") == " ".join(row["title"].split())
                if row["doi"]:
                    assert by_key[r["id"]]["doi"].value == row["doi"]
                if row["year"]:
                    assert by_key[r["id"]]["year"].value == row["year"]
            if page is not None:
                links = set(page.xpath('//section[@id="exports"]//a/@href'))
                assert {f"../exports/{name}-{kind}.ris", f"../exports/{name}-{kind}.bib"} <= links


def test_a_second_main_job_changes_no_byte(built):
    """The session's report is the first run (the tests that read it leave it as the main job wrote it)."""
    first = {p: p.read_bytes() for p in sorted(built.root.rglob("*")) if p.is_file()}
    assert run_main_job(built, execute_notebooks=False, refresh=False) == 0
    second = {p: p.read_bytes() for p in sorted(built.root.rglob("*")) if p.is_file()}
    assert any(p.parent.name == "prisma" for p in first) and any(p.parent.name == "exports" for p in first)
    assert second == first


def test_questions_without_data_show_why_each_other_trial_gives_no_numbers(built):
    questions = read_csv(built.derived / "questions.csv")
    gaps = questions[(questions["k"].astype(int) == 0) & (questions["trial_gaps"] != "")]
    assert len(gaps)  # the extraction coverage record explains gaps for some questions
    for q in gaps.itertuples():
        doc = parse(built.report / "conditions" / f"{q.condition_id}.html")
        item = doc.xpath(f'//section[@id="no-data"]//li[@id="{QuestionId.parse(q.question_id).anchor}"]')[0]
        first_gap = q.trial_gaps.split("; ")[0]
        assert first_gap in " ".join(item.text_content().split())


def test_condition_pages_label_applicability(built):
    studies = read_csv(built.curated / "studies.csv")
    tendon = studies[(studies["decision"] == "include") & (studies["technique"] == "tendon_needling")]
    assert len(tendon)
    for s in tendon.itertuples():
        doc = parse(built.report / "conditions" / f"{s.condition_id}.html")
        row = doc.xpath(f'//tr[@id="study-{s.study_id}"]')[0]
        assert row.get("data-technique") == "tendon_needling"
        assert "tendon needling" in [b.text for b in row.xpath('.//span[contains(@class, "applicability")]')]


@pytest.mark.slow
def test_applicability_filter_in_headless_chromium(built, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    studies = read_csv(built.curated / "studies.csv")
    included = studies[(studies["decision"] == "include") & (studies["condition_id"] == "lateral_elbow_tendinopathy")]
    assert included["technique"].nunique() > 1  # the page offers the filter
    driver = open_chrome(tmp_path / "chrome-profile")
    try:
        driver.get((built.report / "conditions" / "lateral_elbow_tendinopathy.html").as_uri())
        rows = driver.find_elements(By.CSS_SELECTOR, "#included-studies tbody tr")
        assert len(rows) == len(included) and all(r.is_displayed() for r in rows)
        select = Select(driver.find_element(By.CSS_SELECTOR, 'select[data-attribute="technique"]'))
        select.select_by_value("tendon_needling")
        shown = {r.get_attribute("id").removeprefix("study-") for r in rows if r.is_displayed()}
        assert shown == set(included.loc[included["technique"] == "tendon_needling", "study_id"])
        assert 0 < len(shown) < len(rows)
        select.select_by_value("")
        assert all(r.is_displayed() for r in rows)
    finally:
        driver.quit()


def test_each_patient_document_gets_a_committed_page_from_the_claims_register(built, claims):
    """One page per row of documents.csv, built from the register alone: each place the register quotes
    (its locator) once, with every claim made there, its verdict, certainty, whether it must change, the
    wording allowed and a link to the claim page; the claim pages link back. Committed, never git-ignored."""
    from evidence.report.render import NEEDS_REWORDING

    titles = read_csv(built.curated / "documents.csv").set_index("document")["title"]
    verdicts = read_csv(built.derived / "claim_verdicts.csv").set_index("claim_id")
    pages = sorted(p.name for p in (built.report / "documents").glob("*.html"))
    assert pages == sorted(Path(d).stem + ".html" for d in titles.index)
    index = parse(built.report / "index.html")
    linked = {a.get("href"): " ".join(a.text_content().split()) for a in index.xpath('//section[@id="documents"]//a')}
    assert linked == {f"documents/{Path(d).stem}.html": titles[d] for d in titles.index}
    for document, title in titles.items():
        page = parse(built.report / "documents" / f"{Path(document).stem}.html")
        assert page.findtext(".//h1") == title
        places = page.xpath('//article[@class="sentence"]')
        quoted = [p.xpath("string(blockquote)").strip("“”") for p in places]
        made = {(o.locator, c.id) for c in claims for o in c.occurrences if o.document == document}
        assert sorted(quoted) == sorted({locator for locator, _ in made})  # each place once
        shown = set()
        for place, locator in zip(places, quoted):
            for item in place.xpath("ul/li"):
                (href,) = item.xpath("a/@href")
                claim = href.removeprefix("../claims/").removesuffix(".html")
                shown.add((locator, claim))
                v = verdicts.loc[claim]
                text = " ".join(item.text_content().split())
                assert v["verdict"].replace("_", " ") in text
                assert (v["certainty"].replace("_", " ") + " certainty" if v["certainty"] else "not rated") in text
                must = v["verdict"] in NEEDS_REWORDING
                assert item.get("class") == ("flag" if must else "ok") and ("Must change" in text) == must
                assert " ".join(v["allowed_wording"].split()) in text
                back = parse(built.report / "claims" / f"{claim}.html")
                assert back.xpath(f'//section[@id="documents"]//a[@href="../documents/{Path(document).stem}.html"]')
        assert shown == made
        assert page.xpath('string(//section[@id="every-sentence"]//pre)').startswith("python -m evidence check-wording")
    tracked = PROJECT / "data" / "derived" / "report" / "documents" / pages[0]
    assert subprocess.run(["git", "check-ignore", "-q", str(tracked)], cwd=PROJECT).returncode == 1


def test_the_report_never_reads_the_patient_materials(tmp_path, shared):
    """The report is the same on every machine: the main job opens no file of the patient materials (they
    hold third-party text), so a clone without ../shared builds byte-identical pages, and none of its links
    is dead."""
    import sys

    folder = shared("patient-materials", "patient materials")
    materials = (str(folder), str(folder.resolve()))  # as the project names it, and behind a symbolic link
    opened: list[str] = []
    watching = [True]

    def hook(event: str, args: tuple) -> None:
        if watching and event == "open" and isinstance(args[0], (str, Path)) and str(args[0]).startswith(materials):
            opened.append(str(args[0]))

    sys.addaudithook(hook)  # audit hooks cannot be removed: this one stops watching when the test ends
    paths = copy_data(tmp_path / "data")
    try:
        assert run_main_job(paths, execute_notebooks=False, refresh=False) == 0
    finally:
        watching.clear()
    assert opened == []
    assert dead_links(paths.report, {str(p.relative_to(paths.report)) for p in paths.report.rglob("*")}) == []


def dead_links(report: Path, files: set[str]) -> list[str]:
    """Every link (href, src) of the report's pages to a file of the report that is not in ``files``
    (paths relative to the report folder): "page -> target"."""
    dead = []
    for name in sorted(f for f in files if f.endswith(".html")):
        page = lxml_html.parse(str(report / name))
        for link in page.xpath("//@href | //@src"):
            target = urlparse(link)
            if target.scheme or target.netloc or not target.path:
                continue
            resolved = (Path(name).parent / unquote(target.path)).as_posix()
            if os.path.normpath(resolved) not in files:
                dead.append(f"{name} -> {link}")
    return dead


def test_condition_pages_show_the_registry_panel(built):
    summary = read_csv(built.derived_table("registry_summary")).set_index("condition_id")
    for condition in ("neck_pain", "plantar_heel_pain", "lateral_elbow_tendinopathy"):
        page = lxml_html.parse(str(built.report / "conditions" / f"{condition}.html")).getroot()
        panel = page.get_element_by_id("registry")
        facts = dict(zip(panel.xpath(".//dt/text()"), panel.xpath(".//dd/text()")))
        row = summary.loc[condition]
        assert facts["Registered"] == row["registered"] and facts["Unreported"] == row["unreported"]
        assert facts["Ongoing"] == row["ongoing"] and facts["Published"] == row["published"]
        flagged = panel.xpath(".//tr[@data-finding='unreported']/@id")
        assert flagged == [f"registration-{n}" for n in row["unreported_ids"].split("; ") if n]
    neck = lxml_html.parse(str(built.report / "conditions" / "neck_pain.html")).getroot()
    cerezo = neck.get_element_by_id("registration-NCT02219386")
    assert "CerezoTellez2016b" in cerezo.text_content() and "published" in cerezo.text_content()
    # the number links to the registry's record; where it was read is shown apart, named as a copy when it is one
    record, seen = cerezo.xpath(".//td[1]//a")
    assert record.get("href") == "https://clinicaltrials.gov/study/NCT02219386" and record.text == "NCT02219386"
    registry_rows = read_csv(built.derived_table("registry")).set_index("nct_id")
    first_seen = registry_rows.loc["NCT02219386", "source_url"].split(";")[0].strip()
    assert seen.get("href") == first_seen and seen.text in first_seen
    assert ("(not the registry)" in cerezo.xpath("string(.//td[1])")) == ("clinicaltrials.gov" not in seen.text)
    tmd = lxml_html.parse(str(built.report / "conditions" / "tmd.html")).getroot()
    assert "No registration of a dry needling trial recorded" in tmd.get_element_by_id("registry").text_content()


def test_a_claim_page_lists_the_trials_of_its_deciding_review_linked_to_ours(built):
    """Under a deciding review, its own list of included trials (review_trials.csv): each as the review cites
    it, linked to our trial record when we hold it, with where in the review the list stands."""
    from evidence.curation.schema import Curated
    from evidence.report.render import render_pages
    from evidence.vocab import parse_review_finding_id

    inputs = report_inputs(built)
    deciding = {
        c: re.findall(r"deciding evidence: (\S+)", r)
        for c, r in zip(inputs.verdicts["claim_id"], inputs.verdicts["reason"])
    }
    claim, finding = next((c, ids[0]) for c, ids in deciding.items() if ids and ids[0].count(":") == 4)
    review_id, question = parse_review_finding_id(finding)
    studies = inputs.curated.studies
    held = studies[(studies["condition_id"] == question.condition) & (studies["decision"] == "include")].iloc[0]
    where = f"Table 1 of {review_id}"
    listed = pd.DataFrame(
        [
            {"review_id": review_id, "trial": "Trialist 1999", "study_id": "", "source_location": where},
            {
                "review_id": review_id,
                "trial": "Ours et al. 2020",
                "study_id": held["study_id"],
                "source_location": where,
            },
        ]
    )
    curated = Curated({**inputs.curated.tables, "review_trials": listed})
    page = render_pages(replace(inputs, curated=curated), built.report)[f"claims/{claim}.html"]
    (section,) = lxml_html.fromstring(page).xpath('//section[@id="studies"]')
    (trials,) = section.xpath('.//div[contains(@class, "review-trials")]')
    text = " ".join(trials.text_content().split())
    assert "The 2 trials this review includes" in text and "Trialist 1999" in text and where in text
    (link,) = trials.xpath(".//a")
    assert link.text_content() == "Ours et al. 2020"
    assert link.get("href") == f"../conditions/{held['condition_id']}.html#study-{held['study_id']}"
