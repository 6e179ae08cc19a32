"""The eight tasks of the report's users, each done in headless Chromium from the index in at most three
clicks (issue 22), and the report's accessibility (axe-core) and phone layout (390 px).

Clinical lead: (a) is the heel-pain claim supported, how sure are we and which studies say so; (b) which
claims need rewording and to what; (c) what changed since the last update, and when. Researcher: (d) the
pooled effect for neck pain against sham in the short term with CI, tau², I², prediction interval and forest
plot; (e) every excluded trial with its reason on one page; (f) the included trials as RIS or BibTeX, trials
and reviews in separate files. Marketing: (g) which sentences of the heel-pain document must change, to
what and why; (h) how to check a new sentence.

Every test starts at index.html and follows links by clicking them (``Walk`` counts the clicks). The
report is built once per session (``conftest.built``) and one browser serves every test.
"""

from __future__ import annotations

import functools
import http.server
import threading
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from evidence.curation.claims import load_claims
from evidence.report.render import NEEDS_REWORDING, build_report, in_words
from evidence.tables import read_csv
from evidence.vocab import QuestionId
from tests.conftest import PROJECT
from tests.report.browser import as_phone, scrolls_sideways, serious_violations
from tests.report.test_render import report_inputs

pytestmark = pytest.mark.slow
MAX_CLICKS = 3
HEEL = "plantar_heel_pain"


class Walk:
    """A browser session that starts at a report's index and counts the links clicked."""

    def __init__(self, driver, report: Path):
        from selenium.webdriver.common.by import By

        self.driver, self.by, self.clicks = driver, By, 0
        driver.set_window_size(1280, 1600)
        driver.get((report / "index.html").as_uri())

    def click(self, css: str = "", text: str = "", within=None):
        """Click the link matched by ``css`` or by its exact ``text``; return the element clicked."""
        scope = within or self.driver
        link = (
            scope.find_element(self.by.CSS_SELECTOR, css)
            if css
            else scope.find_element(self.by.XPATH, f'.//a[normalize-space()="{text}"]')
        )
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
        link.click()
        self.clicks += 1
        assert self.clicks <= MAX_CLICKS, "more than three clicks from the index"
        return link

    def find(self, css: str):
        return self.driver.find_element(self.by.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list:
        return self.driver.find_elements(self.by.CSS_SELECTOR, css)

    def text(self, css: str) -> str:
        return " ".join(self.find(css).text.split())


def words(text: str) -> str:
    return " ".join(str(text).split())


@pytest.fixture(scope="module")
def claims(built):
    return {c.id: c for c in load_claims(built.curated / "claims.yaml")}


@pytest.fixture(scope="module")
def verdicts(built) -> pd.DataFrame:
    return read_csv(built.derived / "claim_verdicts.csv").set_index("claim_id")


@pytest.fixture(scope="module")
def heel_claim(claims) -> str:
    (claim,) = [c.id for c in claims.values() if c.type == "efficacy" and c.topic == HEEL]
    return claim


def test_a_is_the_heel_pain_claim_supported_how_sure_and_which_studies(built, browser, claims, verdicts, heel_claim):
    v = verdicts.loc[heel_claim]
    walk = Walk(browser, built.report)
    walk.click(f'#claims-table a[href="claims/{heel_claim}.html"]')
    # the plain-language answer comes first, with the verdict and how sure we are
    assert browser.find_element(walk.by.TAG_NAME, "h1").text == claims[heel_claim].statement
    sections = [s.get_attribute("id") for s in walk.find_all("main > section")]
    assert sections[:2] == ["answer", "studies"]
    answer = walk.text("#answer")
    assert v["verdict"].replace("_", " ") in answer and f"{v['certainty'].replace('_', ' ')} certainty" in answer
    assert words(v["allowed_wording"]) in answer
    # which studies say so: the deciding evidence with its trials, each linked to our trial record
    studies = walk.text("#studies")
    deciding = v["reason"].split("deciding evidence: ")[1].split()[0]
    review_id = deciding.split(":")[0]
    reviews = read_csv(built.curated / "reviews.csv").set_index("review_id")
    assert f"{reviews.loc[review_id, 'first_author']} {reviews.loc[review_id, 'year']}" in studies
    assert "trials this review includes" in studies.lower()
    included = read_csv(built.curated / "studies.csv")
    included = included[(included["condition_id"] == HEEL) & (included["decision"] == "include")]
    links = walk.find_all(f'#studies a[href*="conditions/{HEEL}.html#study-"]')
    assert {a.get_attribute("href").split("#study-")[1] for a in links} == set(included["study_id"])
    target = links[0].get_attribute("href").split("#")[1]
    walk.click(within=walk.find("#studies"), css=f'a[href$="#{target}"]')
    row = walk.find(f"#{target}")
    assert row.is_displayed() and row.tag_name == "tr"


def test_b_which_claims_need_rewording_and_to_what(built, browser, verdicts):
    walk = Walk(browser, built.report)
    walk.click(text="Which claims need rewording, and to what?")
    rows = walk.find_all("#reword-table tbody tr")
    expected = verdicts[verdicts["verdict"].isin(NEEDS_REWORDING)]
    assert len(rows) == len(expected) and len(rows) > 0
    assert f"({len(expected)})" in walk.text("#reword h2")
    for row in rows:
        claim = row.find_element(walk.by.CSS_SELECTOR, "a").get_attribute("href").rsplit("/", 1)[1][: -len(".html")]
        assert row.get_attribute("data-verdict") == expected.loc[claim, "verdict"]
        cell = row.find_element(walk.by.CSS_SELECTOR, "td.wording-cell")
        assert words(cell.text) == words(expected.loc[claim, "allowed_wording"] or cell.text)
    # the problems count of the claims table counts every claim that is not supported
    assert f"{len(expected)} claim(s) need rewording" in walk.text("#claims > p:nth-of-type(2)")
    # the allowed wording is never clipped, on a wide screen or a phone
    for phone in (False, True):
        as_phone(browser, phone)
        browser.refresh()
        clipped = browser.execute_script(
            """return Array.from(document.querySelectorAll('td.wording-cell')).filter(function (c) {
                 var r = c.getBoundingClientRect();
                 return c.scrollWidth > c.clientWidth + 1 || r.right > document.documentElement.clientWidth + 1;
               }).length;"""
        )
        assert clipped == 0, f"{clipped} wording cell(s) clipped (phone: {phone})"
    as_phone(browser, False)


def test_c_what_changed_since_the_last_update_and_when(built, browser, tmp_path, claims, verdicts):
    """A change log with a search run, a changed verdict and a withdrawn study, shown newest update first."""
    log = read_csv(built.derived / "change_log.csv")
    assert log.equals(read_csv(PROJECT / "data" / "derived" / "change_log.csv"))  # no change since the last build
    claim = sorted(claims)[0]
    withdrawn = read_csv(built.derived / "withdrawn.csv").iloc[0]
    extra = pd.DataFrame(
        [
            {"date": "2099-01-02", "kind": "search", "subject": "neck_pain", "before": "", "after": "4 new record(s)",
             "why": "40 record(s) retrieved of 40 found"},
            {"date": "2099-01-02", "kind": "withdrawn", "subject": withdrawn["study_id"], "before": "", "after": "",
             "why": withdrawn["reason"]},
            {"date": "2099-01-02", "kind": "verdict", "subject": claim, "before": "supported",
             "after": verdicts.loc[claim, "verdict"], "why": verdicts.loc[claim, "reason"]},
        ]
    )  # fmt: skip
    report = tmp_path / "report"
    inputs = report_inputs(built)
    build_report(replace(inputs, change_log=pd.concat([log, extra])), report)
    walk = Walk(browser, report)
    assert "Last search:" in walk.text("header .last-search")
    walk.click(text="What changed since the last update, and when?")
    updates = walk.find_all("section.update")
    dates = sorted(set(log["date"]), reverse=True)
    assert [u.get_attribute("id") for u in updates] == [f"update-{d}" for d in ["2099-01-02", *dates]]
    newest = words(updates[0].text)
    assert "Neck pain" in newest and "4 new record(s)" in newest
    assert words(in_words(inputs, verdicts.loc[claim, "reason"])) in newest and withdrawn["reason"] in newest
    walk.click(within=updates[0], css=f'a[href="claims/{claim}.html"]')
    assert browser.find_element(walk.by.TAG_NAME, "h1").text == claims[claim].statement
    assert "Last search:" in walk.text("header .last-search")  # the date of the last search on every page


def test_d_pooled_effect_for_neck_pain_against_sham_in_the_short_term(built, browser):
    question = QuestionId("neck_pain", "pain", "sham", "short")
    q = read_csv(built.derived / "questions.csv").set_index("question_id").loc[str(question)]
    forest = read_csv(built.derived / "forest.csv")
    forest = forest[forest["question_id"] == str(question)]
    walk = Walk(browser, built.report)
    walk.click(text="Pooled effects and forest plots, condition by condition")
    walk.click(within=walk.find("#conditions"), css='a[href="conditions/neck_pain.html"]')
    row = next(r for r in walk.find_all("#sof tbody tr") if "sham" in r.text and "short term" in r.text)
    assert "pain" in row.text.lower()
    walk.click(within=row, css=f'a[href="#{question.anchor}"]')
    article = walk.find(f"#{question.anchor}")
    text = words(article.text)
    assert f"{float(q['estimate']):.2f} (95% CI {float(q['ci_low']):.2f} to {float(q['ci_high']):.2f})" in text
    k = int(q["k"])
    if k >= 2:
        assert f"τ² (between-study variance) {float(q['tau2']):.3f}" in text and "I² (share" in text
        assert "95% prediction interval" in text
    else:  # a single study: shown as a study, no pooled statistics to invent
        assert "none: a single study" in text
    # the studies as numbers: estimate, CI and weight, as in the forest plot
    rows = article.find_elements(walk.by.CSS_SELECTOR, "table.forest-numbers tbody tr")
    assert len(rows) == len(forest) == k
    for r, f in zip(rows, forest.itertuples()):
        assert words(r.text) == f"{f.study_id} {float(f.yi):.2f} {float(f.ci_low):.2f} to {float(f.ci_high):.2f} " + (
            f"{float(f.weight):.1f}%"
        )
    image = article.find_element(walk.by.CSS_SELECTOR, "img")
    assert browser.execute_script("return arguments[0].naturalWidth", image) > 0


def test_e_every_excluded_trial_with_its_reason_on_one_page(built, browser):
    studies = read_csv(built.curated / "studies.csv")
    excluded = studies[studies["decision"] == "exclude"]
    walk = Walk(browser, built.report)
    walk.click(text="Every excluded trial with its reason, on one page")
    rows = walk.find_all("#excluded-studies tbody tr")
    assert len(rows) == len(excluded) > 9
    shown = {r.get_attribute("id") for r in rows}
    assert shown == {f"excluded-{s.condition_id}-{s.study_id}" for s in excluded.itertuples()}
    by_id = {r.get_attribute("id"): words(r.text) for r in rows}
    for s in excluded.itertuples():
        assert words(s.exclusion_reason) in by_id[f"excluded-{s.condition_id}-{s.study_id}"]


def test_f_included_trials_and_reviews_for_reference_managers_in_separate_files(built, browser):
    rispy = pytest.importorskip("rispy")
    curated = read_csv(built.curated / "studies.csv")
    trials = set(curated.loc[curated["decision"] == "include", "study_id"])
    reviews = set(read_csv(built.curated / "reviews.csv")["review_id"])
    walk = Walk(browser, built.report)
    walk.click(text="The included trials and the reviews for reference managers (RIS, BibTeX)")
    hrefs = [a.get_attribute("href") for a in walk.find_all("#exports a[download]")]
    files = {Path(h.removeprefix("file://")).name: Path(h.removeprefix("file://")) for h in hrefs}
    assert set(files) == {"all-trials.ris", "all-trials.bib", "all-reviews.ris", "all-reviews.bib"}
    assert {r["id"] for r in rispy.loads(files["all-trials.ris"].read_text(encoding="utf-8"))} == trials
    assert {r["id"] for r in rispy.loads(files["all-reviews.ris"].read_text(encoding="utf-8"))} == reviews


def test_g_which_sentences_of_the_heel_pain_document_must_change_to_what_and_why(
    built, browser, claims, verdicts, heel_claim
):
    titles = read_csv(built.curated / "documents.csv").set_index("document")["title"]
    documents = [o.document for o in claims[heel_claim].occurrences]
    document = max(set(documents), key=lambda d: (documents.count(d), d))  # the one that says it most
    walk = Walk(browser, built.report)
    walk.click(text="Which sentences of a patient document must change, to what, and why?")
    walk.click(within=walk.find("#documents"), text=titles[document])
    assert browser.find_element(walk.by.TAG_NAME, "h1").text == titles[document]
    assert browser.title.startswith(f"Patient document: {titles[document]}")
    sentences = walk.find_all("#to-change article.sentence")
    assert sentences and f"({len(sentences)})" in walk.text("#to-change h2")
    texts = [s.find_element(walk.by.TAG_NAME, "blockquote").text for s in sentences]
    assert len(texts) == len(set(texts))  # each place once, with all its flags
    # the register's quote of the place, never more of the document's text
    locators = {o.locator for c in claims.values() for o in c.occurrences if o.document == document}
    assert {t.strip("“”") for t in texts} <= locators
    heel = [s for s in sentences if s.find_elements(walk.by.CSS_SELECTOR, f'a[href="../claims/{heel_claim}.html"]')]
    assert heel, "no sentence flagged for the heel-pain claim"
    flag = next(
        li
        for li in heel[0].find_elements(walk.by.CSS_SELECTOR, "li.flag")
        if li.find_elements(walk.by.CSS_SELECTOR, f'a[href="../claims/{heel_claim}.html"]')
    )
    assert "Why:" in flag.text and words(verdicts.loc[heel_claim, "allowed_wording"]) in words(flag.text)
    assert "Must change" in flag.text and verdicts.loc[heel_claim, "verdict"].replace("_", " ") in flag.text
    # the whole text with every sentence flagged: the wording checker's, one command away
    assert walk.text("#every-sentence pre.command").startswith(
        f"python -m evidence check-wording ../shared/patient-materials/{document} "
    )
    walk.click(within=flag, css=f'a[href="../claims/{heel_claim}.html"]')
    back = walk.find_all(f'#documents a[href="../documents/{Path(document).stem}.html"]')
    assert back, "the claim page does not link back to the document"


def test_h_how_to_check_a_new_sentence(built, browser):
    walk = Walk(browser, built.report)
    walk.click(text="How to check a new sentence")
    assert walk.text("#check pre.command") == "python -m evidence serve"
    link = walk.find("#check #checker-link a")
    assert not link.is_displayed() and not link.get_attribute(
        "href"
    )  # opened from disk, the checker is not running: the command only
    # served at /report/ (as `python -m evidence serve` serves it), the link shows and leads to the checker at /
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(built.report.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        (built.report.parent / "index.html").write_text("<title>the checker stands here</title>")
        browser.get(f"{base}/report/index.html#check")
        link = walk.find("#check #checker-link a")
        assert link.is_displayed()
        link.click()
        assert browser.current_url == f"{base}/" and browser.title == "the checker stands here"
    finally:
        server.shutdown()
        server.server_close()
        (built.report.parent / "index.html").unlink()


# ----------------------------------------------------------------------------- accessibility and phones


def test_no_serious_or_critical_accessibility_violation(built, browser, heel_claim):
    browser.set_script_timeout(120)
    pages = ["index.html", f"claims/{heel_claim}.html", f"conditions/{HEEL}.html", "changes.html", "excluded.html"]
    documents = read_csv(built.curated / "documents.csv")["document"]
    pages.append(f"documents/{Path(documents[0]).stem}.html")
    problems = {}
    for page in pages:
        browser.get((built.report / page).as_uri())
        found = serious_violations(browser)
        if found:
            problems[page] = found
    assert problems == {}


def test_skip_link_and_landmarks(built, browser):
    from selenium.webdriver.common.keys import Keys

    browser.get((built.report / "index.html").as_uri())
    body = browser.find_element("tag name", "body")
    body.send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.text == "Skip to the content" and focused.is_displayed()
    focused.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "content"
    for landmark in ("header", "nav", "main", "footer"):
        assert browser.find_elements("css selector", landmark), landmark


def test_no_page_scrolls_sideways_on_a_phone(built, browser):
    pages = sorted(p for p in built.report.rglob("*.html") if "notebooks" not in p.parts)
    as_phone(browser)
    try:
        wide = []
        for page in pages:
            browser.get(page.as_uri())
            if scrolls_sideways(browser):
                wide.append(str(page.relative_to(built.report)))
    finally:
        as_phone(browser, False)
    assert wide == [], f"{len(wide)} of {len(pages)} pages scroll sideways at 390 px: {wide[:10]}"


def test_page_titles_say_what_the_page_is(built):
    """No page is titled by an id or a file name."""
    ids = {p.stem for p in built.report.rglob("*.html")}
    committed = sorted((PROJECT / "data" / "derived" / "report" / "notebooks").glob("*.html"))
    assert committed  # the notebooks' pages (not built in this session: it runs without notebooks)
    for page in [*sorted(built.report.rglob("*.html")), *committed]:
        title = page.read_text(encoding="utf-8").split("<title>")[1].split("</title>")[0]
        name = title.split(" – ")[0]
        assert name not in ids and ".txt" not in name and "_" not in name, f"{page.name}: {title}"
