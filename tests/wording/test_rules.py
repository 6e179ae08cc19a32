"""The wording checker's rules and outputs (table, JSON, CSV, HTML also in Chromium), exit codes, the report
hook, and the labelled sets."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from evidence.config import ConfigError, DataPaths
from evidence.curation.claims import load_claims
from evidence.curation.topics import TOPICS
from evidence.wording import drafts, rules
from tests.conftest import PROJECT
from tests.report.browser import open_chrome
from tests.wording_helpers import (
    ALL,
    HEADACHE_VERY_LOW,
    NECK_LOW,
    SAFE_RARE,
    fixture,
    make_docx,
    register_of,
    set_stdin,
    write,
)

OLD_SET = PROJECT / "data" / "curated" / "wording_labelled.csv"
CLINIC_SET = PROJECT / "data" / "curated" / "wording_clinic_style.csv"


# ---------------------------------------------------------------------------------------------
# outputs, exit codes and the command
# ---------------------------------------------------------------------------------------------

DRAFT = (
    "# Our clinic\n\nDry needling **eliminates** neck pain.\nIt may reduce neck pain slightly.\nWe are open daily.\n"
)


def test_json_csv_and_table(tmp_path):
    claims, verdicts = register_of([NECK_LOW])
    findings = rules.check_files([write(tmp_path, "d.md", DRAFT)], claims, verdicts)
    assert [f.flagged for f in findings] == [True, False]
    records = json.loads(rules.to_json(findings))
    assert {
        "file",
        "sentence",
        "claim_id",
        "topic",
        "strength",
        "verdict",
        "certainty",
        "flagged",
        "reason",
        "suggestion",
        "line",
    } <= set(records[0])
    assert records[0]["flagged"] is True and records[0]["claim_id"] == "neck" and records[0]["index"] == 2
    rows = list(csv.DictReader(io.StringIO(rules.to_csv(findings))))
    assert [r["flagged"] for r in rows] == ["true", "false"] and rows[0]["file"] == str(tmp_path / "d.md")
    table = rules.to_table(findings)
    assert table.splitlines()[0].startswith("FLAG")
    assert table.splitlines()[-1] == (
        "2 claim(s) in 2 sentence(s); 1 of them flagged, in 1 sentence(s); checked by the rules alone"
    )
    assert (
        rules.to_table([f for f in findings if not f.flagged])
        .splitlines()[-1]
        .endswith("; none flagged; checked by the rules alone")
    )
    assert rules.to_table([]) == "no claims found\n"
    # an "ok" line's verdict is read as the register claim's, not the sentence's
    ok_line = next(line for line in table.splitlines() if line.startswith("ok"))
    assert "  neck  register rates that claim " in ok_line, ok_line
    assert "instead: Dry needling may reduce neck pain slightly" in table


OTHER_TREATMENTS_DRAFT = (
    "Our physios offer dry needling.\n"
    "Cupping eases back pain for many people.\n"
    "We also offer sports massage.\n"
    "Massage and dry needling both ease neck pain.\n"
)


def html_body(draft) -> str:
    """The HTML output's part for ``draft`` (after its name), checked against the neck-pain claim."""
    out = io.StringIO()
    rules.run_check_wording([str(draft)], "html", *register_of([NECK_LOW]), out=out)
    return out.getvalue().split(f"<h2>{draft}</h2>", 1)[1]


def test_a_claim_wrapped_over_two_lines_is_found_whole_and_shown_as_one_paragraph(tmp_path):
    text = "Our physiotherapists find that a course of dry needling clears up\nneck pain for good in every patient.\n"
    draft = write(tmp_path, "d.md", text)
    findings = rules.check_files([draft], *register_of([NECK_LOW]))
    neck = next(f for f in findings if f.topic == "neck_pain")
    assert (neck.line, neck.flagged) == (1, True) and {f.line for f in findings} == {1}
    assert neck.sentence.endswith("clears up neck pain for good in every patient.")
    body = html_body(draft)
    assert body.count("<p>") == 1 and "clears up neck pain" in body


def test_html_output_keeps_numbered_and_bulleted_lists_apart(tmp_path):
    body = html_body(write(tmp_path, "d.md", "Steps:\n1. Book a visit\n2. Come in\n- Free parking\n"))
    assert "<ol><li>Book a visit </li><li>Come in </li></ol><ul><li>Free parking </li></ul>" in body


def test_a_page_on_one_source_line_is_reported_on_that_line_with_its_blocks_apart(tmp_path):
    """Minified HTML, or list items typed on one line: each finding is on the line of the file where
    its sentence stands, and the HTML output still shows each item as an item."""
    claims, verdicts = register_of([NECK_LOW])
    page = (
        "<h1>Dry needling</h1><ul><li>It cures neck pain.</li><li>It ends neck pain for good.</li></ul><p>Call us.</p>"
    )
    draft = write(tmp_path, "page.html", "<html><body>\n" + page + "\n</body></html>\n")
    findings = rules.check_files([draft], claims, verdicts)
    assert {(f.line, f.flagged) for f in findings} == {(2, True)} and len({f.index for f in findings}) == 2
    assert all(r["line"] == 2 for r in json.loads(rules.to_json(findings)))
    assert "<ul><li>" in html_body(draft) and html_body(draft).count("<li>") == 2


def test_a_list_after_a_complete_sentence_is_judged_on_its_own_words(tmp_path):
    """A found-by-a-new-user case: the promise of the sentence above a list was read into its items."""
    claims, verdicts = register_of([NECK_LOW])
    draft = write(
        tmp_path,
        "d.md",
        "Dry needling cures neck pain for good.\n\n- Dry needling may reduce neck pain.\n- Our staff are friendly.\n",
    )
    findings = rules.check_files([draft], claims, verdicts)
    assert [(f.line, f.flagged) for f in findings if f.topic == "neck_pain"] == [(1, True), (3, False)]
    assert not [f for f in findings if f.line == 4]


def test_claims_about_other_treatments_are_reported_as_not_checked(tmp_path):
    claims, verdicts = register_of([NECK_LOW])
    draft = write(tmp_path, "d.txt", OTHER_TREATMENTS_DRAFT)
    findings = rules.check_files([draft], claims, verdicts)
    # the cupping claim gets a note, never a flag; a sentence naming needling is judged as always;
    # a sentence that names another treatment but claims nothing gets nothing
    (note,) = [f for f in findings if rules.unchecked(f)]
    assert (note.line, note.topic, note.flagged, note.claim_id) == (2, "pain_relief", False, None)
    assert note.reason.startswith("a claim for cupping, not for dry needling; the checker judges")
    assert [(f.line, f.topic) for f in findings if not rules.unchecked(f)] == [(4, "neck_pain")]
    table = rules.to_table(findings).splitlines()
    assert table[0].startswith("note  ") and "  not checked" in table[0]
    assert table[-1] == (
        "1 claim(s) in 1 sentence(s); 1 of them flagged, in 1 sentence(s); "
        "1 sentence(s) with claims about other treatments, not checked; checked by the rules alone"
    )
    assert json.loads(rules.to_json(findings))[0]["verdict"] == "not checked"
    out = io.StringIO()
    rules.run_check_wording([str(draft)], "html", claims, verdicts, out=out)
    page = out.getvalue()
    assert re.search(r'<mark class="unchecked" data-sentence="2">Cupping eases', page)
    assert '1 claim(s), <span class="flag-count">1</span> flagged; 1 sentence(s) with claims about other' in page


class _Marks(HTMLParser):
    """The highlighted claims and notes of an HTML report."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[dict[str, str]] = []
        self.notes: list[dict[str, str]] = []
        self.sections: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "mark":
            self.marks.append(attrs)
        elif tag == "span" and "note" in (attrs.get("class") or ""):
            self.notes.append(attrs)
        elif tag == "section":
            self.sections.append(attrs["data-file"])
        elif tag in ("script", "link", "img") or (tag == "a" and attrs.get("href")):
            self.external.append(tag)


def test_html_output_highlights_each_claim(tmp_path):
    claims, verdicts = register_of([NECK_LOW, SAFE_RARE])
    draft = write(
        tmp_path,
        "d.txt",
        "Dry needling can reduce neck pain and is completely safe.\nWe are open <daily>.\n- Book today\n",
    )
    out = io.StringIO()
    assert rules.run_check_wording([str(draft)], "html", claims, verdicts, out=out) == 1
    page = out.getvalue()
    parser = _Marks()
    parser.feed(page)
    assert parser.sections == [str(draft)] and parser.external == []
    assert parser.marks == [{"class": "claim flagged", "data-sentence": "1", "data-claims": "neck serious_rare"}]
    assert [n["data-flagged"] for n in parser.notes] == ["false", "true"]
    assert "Instead:" in page and SAFE_RARE["allowed_wording"] in page
    assert "We are open &lt;daily&gt;." in page and "<li>Book today </li>" in page


def test_html_output_shows_headings_as_headings(tmp_path):
    body = html_body(write(tmp_path, "d.html", "<h2>Dry needling can reduce neck pain</h2><p>We are open daily.</p>"))
    assert re.search(r"<h4><mark [^>]*>Dry needling can reduce neck pain</mark>", body)  # h2 -> h4 under the page's h2
    assert "<p>We are open daily. </p>" in body and body.count("<h4>") == body.count("</h4>") == 1


@pytest.mark.slow
def test_html_output_in_headless_chromium(tmp_path):
    from selenium.webdriver.common.by import By

    claims, verdicts = register_of(ALL)
    draft = write(tmp_path, "d.md", "Dry needling eases neck pain.\nDry needling may reduce neck pain.\nCall us.\n")
    page = tmp_path / "report.html"
    with page.open("w", encoding="utf-8") as out:
        assert rules.run_check_wording([str(draft)], "html", claims, verdicts, out=out) == 1
    driver = open_chrome(tmp_path / "chrome-profile")
    try:
        driver.get(page.as_uri())
        assert driver.title == "Wording check"
        marks = driver.find_elements(By.CSS_SELECTOR, "mark.claim")
        assert [m.text for m in marks] == ["Dry needling eases neck pain.", "Dry needling may reduce neck pain."]
        assert [("flagged" in m.get_attribute("class")) for m in marks] == [True, False]
        assert all(m.is_displayed() for m in marks)
        colours = [driver.execute_script("return getComputedStyle(arguments[0]).backgroundColor", m) for m in marks]
        assert colours[0] != colours[1]
        notes = driver.find_elements(By.CSS_SELECTOR, ".note")
        assert "Instead:" in notes[0].text and NECK_LOW["allowed_wording"] in notes[0].text
        assert notes[0].is_displayed() and "Instead:" not in notes[1].text
        assert driver.find_element(By.CSS_SELECTOR, ".flag-count").text == "1"
    finally:
        driver.quit()


def test_several_files_bad_ones_reported_good_ones_checked(tmp_path, monkeypatch):
    claims, verdicts = register_of([NECK_LOW])
    good = write(tmp_path, "good.txt", "Dry needling reduces neck pain.\n")
    docx_path = make_docx(tmp_path / "draft.docx", [("Dry needling may reduce neck pain.", None)])
    bad = [
        write(tmp_path, "broken.docx", b"PK\x03\x04junk"),
        write(tmp_path, "bin.txt", b"\x00\x01"),
        tmp_path / "missing.md",
        tmp_path,
    ]
    out, err = io.StringIO(), io.StringIO()
    code = rules.run_check_wording(
        [str(good), *map(str, bad), str(docx_path)], "json", claims, verdicts, out=out, err=err
    )
    assert code == 2
    assert [r["file"] for r in json.loads(out.getvalue())] == [str(good), str(docx_path)]
    errors = err.getvalue().splitlines()
    assert len(errors) == 4 and all(line.startswith("error: ") for line in errors)
    for path, message in zip(bad, ("not a readable .docx", "binary file", "file not found", "not a file")):
        assert any(str(path) in line and message in line for line in errors), (path, errors)
    assert rules.run_check_wording([str(docx_path)], "table", claims, verdicts, out=io.StringIO()) == 0
    set_stdin(monkeypatch, b"Dry needling reduces neck pain.")
    out = io.StringIO()
    assert rules.run_check_wording(["-"], "table", claims, verdicts, out=out) == 1
    assert "<stdin>:1" in out.getvalue()
    with pytest.raises(ConfigError, match="unknown output format"):
        rules.run_check_wording([str(good)], "xml", claims, verdicts, out=out)
    with pytest.raises(ConfigError, match="no input files"):
        rules.run_check_wording([], "table", claims, verdicts, out=out)


def test_exit_code():
    claims, verdicts = register_of([NECK_LOW])
    flagged = rules.check_sentences(["Dry needling reduces neck pain."], claims, verdicts)
    fine = rules.check_sentences(["Dry needling may reduce neck pain."], claims, verdicts)
    assert rules.exit_code(fine + flagged) == 1 and rules.exit_code(fine) == 0 and rules.exit_code([]) == 0
    assert rules.exit_code(fine, bad_input=True) == 2


def test_load_verdicts(tmp_path):
    with pytest.raises(ConfigError, match="claim verdicts not found"):
        rules.load_verdicts(tmp_path / "none.csv")
    assert "neck_pain_reduces" in set(
        rules.load_verdicts(PROJECT / "tests" / "fixtures" / "wording_verdicts.csv")["claim_id"]
    )


def test_cli_check_wording_exit_codes(tmp_path, capsys):
    from evidence.cli import main

    flagged = write(tmp_path, "draft.md", "# Offer\n\nDry needling **cures** tennis elbow, guaranteed.\n")
    clean = write(tmp_path, "hours.txt", "We are open Monday to Friday from 8 to 6.\n")
    assert main(["check-wording", str(flagged)]) == 1
    assert "cures" in capsys.readouterr().out
    assert main(["check-wording", "--format", "json", str(clean)]) == 0
    assert json.loads(capsys.readouterr().out) == []
    broken = write(tmp_path, "draft.docx", b"PK\x03\x04")
    assert main(["check-wording", str(broken)]) == 2
    assert main(["check-wording", str(clean), str(write(tmp_path, "empty.txt", ""))]) == 2
    assert "empty.txt" in capsys.readouterr().err
    assert main(["check-wording", "--format", "html", str(flagged)]) == 1
    assert capsys.readouterr().out.startswith("<!DOCTYPE html>")


def test_check_wording_with_output_says_what_it_wrote(tmp_path, capsys):
    from evidence.cli import main

    draft, out = tmp_path / "draft.txt", tmp_path / "checked.html"
    draft.write_text("Dry needling cures migraines for good.\n", encoding="utf-8")
    assert main(["check-wording", "--format", "html", "--output", str(out), str(draft)]) == 1
    assert f"wrote {out} (something is flagged; exit 1)" in capsys.readouterr().err and out.exists()
    # a draft that cannot be read: nothing is written, so the last good report stays as it was
    before = out.read_bytes()
    for fmt in ("html", "table", "json"):
        assert (
            main(["check-wording", "--format", fmt, "--output", str(out), str(draft), str(tmp_path / "gone.md")]) == 2
        )
        err = capsys.readouterr().err
        assert "gone.md: file not found" in err and f"did not write {out} (a draft could not be read; exit 2)" in err
    assert out.read_bytes() == before
    # to stdout, the table and the HTML page say so in their place; --help gives the exit codes
    assert main(["check-wording", str(draft), str(tmp_path / "gone.md")]) == 2
    assert capsys.readouterr().out.endswith("\nNOT CHECKED: 1 draft(s) could not be read (the errors are on stderr)\n")
    assert main(["check-wording", "--format", "html", str(draft), str(tmp_path / "gone.md")]) == 2
    assert '<p class="error">' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["check-wording", "--help"])
    assert "Exit codes: 0 nothing flagged; 1 something is flagged; 2" in " ".join(capsys.readouterr().out.split())


# ---------------------------------------------------------------------------------------------
# the patient materials (read from ../shared, never stored)
# ---------------------------------------------------------------------------------------------


def _real_register():
    from evidence.config import DEFAULT_DATA_DIR, DataPaths
    from evidence.curation.claims import load_claims

    verdicts = pd.read_csv(PROJECT / "data" / "derived" / "claim_verdicts.csv", dtype=str, keep_default_na=False)
    return load_claims(DataPaths(DEFAULT_DATA_DIR).claims), verdicts


def test_the_register_s_allowed_wording_is_never_flagged_even_where_rules_or_model_would():
    from tests.wording.test_classifier import constant_model

    promise = "Dry needling eases headaches for good."  # absolute: flagged, unless it is the allowed wording
    plain_claims, plain_verdicts = register_of([HEADACHE_VERY_LOW])
    assert any(f.flagged for f in rules.check_sentences([promise], plain_claims, plain_verdicts))
    claims, verdicts = register_of([{**HEADACHE_VERY_LOW, "allowed_wording": f"Read this first. {promise}"}])
    for model in (None, constant_model(8.0)):  # the model scores every sentence 0.9997
        findings = rules.check_sentences([promise.upper().rstrip(".")], claims, verdicts, model=model)
        assert findings and not any(f.flagged for f in findings)
        assert all(f.reason.endswith("the register's allowed wording for claim head") for f in findings)
        # only the allowed wording itself: a sentence that adds to it is judged as any other
        added = rules.check_sentences([f"{promise} Guaranteed."], claims, verdicts, model=model)
        assert any(f.flagged for f in added)


@pytest.mark.parametrize("checker", ["rules-only", "fast", "thorough"])
def test_no_allowed_wording_of_the_shipped_register_is_flagged(checker):
    """What the checker suggests must pass the checker, sentence by sentence."""
    from evidence.wording.classifier import model_dir
    from evidence.wording.thorough import checker_model

    claims, verdicts = _real_register()
    wordings = [w for w in verdicts["allowed_wording"] if w]
    assert len(wordings) > 50
    findings = rules.check_sentences(
        drafts.split_sentences("\n".join(wordings)), claims, verdicts, model=checker_model(model_dir(), checker)
    )
    assert [f.sentence for f in findings if f.flagged] == []


def test_every_registered_occurrence_is_found_by_the_checker_in_its_document(shared):
    """Run the checker on each patient document: each registered occurrence's sentence is
    reported with the claim's topic (the register's own wording is matched exactly)."""
    from evidence.curation.claims import find_occurrence

    materials = shared("patient-materials", "patient materials")
    claims, verdicts = _real_register()
    missing = []
    for document in sorted({o.document for c in claims for o in c.occurrences}):
        findings = rules.check_files([str(materials / document)], claims, verdicts)
        for c in claims:
            for occurrence in (o for o in c.occurrences if o.document == document):
                if not [
                    f for f in findings if find_occurrence(f.sentence, occurrence.locator) >= 0 and c.topic in f.topics
                ]:
                    missing.append(f"{document}: {c.id} ({occurrence.locator!r})")
    assert missing == []


# ---------------------------------------------------------------------------------------------
# the labelled sets
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clinic() -> pd.DataFrame:
    return pd.read_csv(CLINIC_SET, dtype=str, keep_default_na=False)


def test_clinic_set_is_well_formed_and_its_split_is_the_frozen_one(clinic):
    assert list(clinic.columns) == [
        "id",
        "text",
        "is_claim",
        "expected_topics",
        "strength",
        "expected_flagged",
        "split",
        "page_pattern",
        "why",
    ]
    assert len(clinic) >= 150 and not clinic["text"].duplicated().any()
    assert 0.35 <= (clinic["expected_flagged"] == "true").mean() <= 0.45
    assert {t for ts in clinic["expected_topics"] for t in ts.split(";") if t} <= set(TOPICS)
    assert set(clinic["strength"]) == {"none", "conditional", "direct", "absolute"}
    rng, expected = random.Random(20261201), {}
    for flag in ("true", "false"):
        ids = sorted(clinic.loc[clinic["expected_flagged"] == flag, "id"])
        rng.shuffle(ids)
        expected.update({i: "heldout" if n < round(0.4 * len(ids)) else "tune" for n, i in enumerate(ids)})
    assert dict(zip(clinic["id"], clinic["split"])) == expected
    patterns = (PROJECT / "benchmarks" / "wording_clinic" / "patterns.md").read_text(encoding="utf-8")
    assert set(clinic["page_pattern"]) <= set(re.findall(r"^\| ([a-z_]+) \|", patterns, re.M))


def test_labelled_sentences_are_not_copied_from_patient_materials(clinic, shared):
    materials = shared("patient-materials", "patient materials")
    words = re.compile(r"[a-z0-9']+")
    source = " ".join(
        " ".join(words.findall(p.read_text(encoding="utf-8", errors="replace").lower()))
        for p in sorted(materials.glob("*.txt"))
    )
    old = pd.read_csv(OLD_SET, dtype=str, keep_default_na=False)["sentence"]
    copied = []
    for sentence in [*old, *clinic["text"]]:
        tokens = words.findall(sentence.lower())
        copied += [sentence for i in range(len(tokens) - 11) if f" {' '.join(tokens[i : i + 12])} " in f" {source} "]
    assert copied == []


def _scores(units: list[tuple[str, bool]], model=None) -> tuple[float, float]:
    """Flag precision and recall; a unit (sentence or snippet) is flagged when any claim is."""
    claims, verdicts = fixture()
    predicted = [
        any(f.flagged for f in rules.check_sentences(drafts.split_sentences(text), claims, verdicts, model=model))
        for text, _ in units
    ]
    tp = sum(p and e for p, (_, e) in zip(predicted, units))
    return tp / max(sum(predicted), 1), tp / max(sum(e for _, e in units), 1)


@pytest.mark.parametrize("checker", ["rules-only", "fast", "thorough"])
def test_precision_and_recall_on_the_labelled_sets(clinic, checker):
    """Floors that catch regressions (the benchmark prints the figures): the tune split, the old set
    and our dev sentences (tests/fixtures/wording_dev_sentences.csv, written while tuning after more
    public pages) are what the lexicon was tuned on; no held-out row was looked at while tuning.
    The same floors hold for the rules alone and for both models of the shipped checker (they were
    trained on these sets too, so with them they are floors, not measurements)."""
    from evidence.wording.classifier import model_dir
    from evidence.wording.thorough import checker_model

    model = checker_model(model_dir(), checker)
    units = {
        split: [
            (t.replace("\\n", "\n"), f == "true")
            for t, f, s in zip(clinic["text"], clinic["expected_flagged"], clinic["split"])
            if s == split
        ]
        for split in ("tune", "heldout")
    }
    old = pd.read_csv(OLD_SET, dtype=str, keep_default_na=False)
    floors = {"tune": (0.9, 0.9), "heldout": (0.85, 0.7), "old": (0.9, 0.9), "dev": (0.9, 0.85)}
    units["old"] = list(zip(old["sentence"], old["expected_flagged"] == "true"))
    dev = pd.read_csv(PROJECT / "tests" / "fixtures" / "wording_dev_sentences.csv", dtype=str, keep_default_na=False)
    units["dev"] = [(t.replace("\\n", "\n"), f == "true") for t, f in zip(dev["text"], dev["expected_flagged"])]
    for name, (min_precision, min_recall) in floors.items():
        precision, recall = _scores(units[name], model)
        assert precision >= min_precision and recall >= min_recall, (name, precision, recall)


@pytest.mark.parametrize("checker", ["rules-only", "fast", "thorough"])
def test_a_hedge_the_evidence_allows_stands_and_a_hedged_promise_is_flagged(checker):
    """data/curated/wording_hedged.csv (our own words): hedges that the register and the labelling
    policy both let stand (short-term relief of neck, plantar heel or muscle pain), beside hedges that
    carry a promise. The models were trained on it, so these are floors: no hedged neck-pain claim is
    flagged, at most one allowed hedge in four is (the models still flag some hedged muscle-pain
    claims: README, known limits), and at least five promises in six are."""
    from evidence.wording.classifier import model_dir
    from evidence.wording.thorough import checker_model

    paths = DataPaths(PROJECT / "data")  # the project's register, which the models were trained against
    claims, verdicts = load_claims(paths.claims), rules.load_verdicts(paths.derived_table("verdicts"))
    model = checker_model(model_dir(), checker)
    hedged = pd.read_csv(PROJECT / "data" / "curated" / "wording_hedged.csv", dtype=str, keep_default_na=False)
    flagged = {
        text: any(
            f.flagged
            for f in rules.check_sentences(
                drafts.split_sentences(text.replace("\\n", "\n")), claims, verdicts, model=model
            )
        )
        for text in hedged["text"]
    }
    allowed = [flagged[t] for t, e in zip(hedged["text"], hedged["expected_flagged"]) if e == "false"]
    promises = [flagged[t] for t, e in zip(hedged["text"], hedged["expected_flagged"]) if e == "true"]
    assert len(allowed) >= 20 and len(promises) >= 10
    wrong = [t for t, e in zip(hedged["text"], hedged["expected_flagged"]) if flagged[t] != (e == "true")]
    assert sum(allowed) <= len(allowed) / 4, (checker, wrong)
    assert sum(promises) >= len(promises) * 5 / 6, (checker, wrong)
    neck = [
        t
        for t, topics, e in zip(hedged["text"], hedged["expected_topics"], hedged["expected_flagged"])
        if topics == "neck_pain" and e == "false"
    ]
    assert len(neck) >= 8 and not any(flagged[t] for t in neck), (checker, wrong)


def test_the_held_out_set_is_the_frozen_one():
    """fresh set 2 is the held-out measurement: its labels may not change after it was frozen."""
    import hashlib

    frozen = (PROJECT / "benchmarks" / "wording_clinic" / "fresh_2_frozen.txt").read_text()
    digest = hashlib.sha256((PROJECT / "data" / "curated" / "wording_fresh_2.csv").read_bytes()).hexdigest()
    assert f"sha256 {digest}" in frozen
