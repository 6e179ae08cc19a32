"""The wording checker: reading drafts, sentences, the topic lexicon, the flagging policy, output
formats, exit codes and the labelled set (precision and recall of ``flagged``)."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from evidence import wording
from evidence.config import ConfigError
from evidence.topics import TOPICS
from tests.conftest import FIXTURES, PROJECT

VERDICTS_FIXTURE = FIXTURES / "wording_verdicts.csv"
LABELLED = PROJECT / "data" / "curated" / "wording_labelled.csv"
PATIENT_MATERIALS = PROJECT.parent / "shared" / "patient-materials"
MIN_PRECISION = MIN_RECALL = 0.85


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def verdicts() -> pd.DataFrame:
    """The realistic verdict table the labels assume (with a frequency_claimed column)."""
    return pd.read_csv(VERDICTS_FIXTURE, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def claims(verdicts) -> list[dict[str, str]]:
    """Register claims matching the fixture verdicts, as the YAML loader gives them."""
    return [{"id": r.claim_id, "statement": r.statement, "topic": r.topic, "frequency_claimed": r.frequency_claimed}
            for r in verdicts.itertuples()]


def verdict_row(claim_id: str, topic: str, verdict: str, certainty: str, allowed: str = "") -> dict[str, str]:
    return {"claim_id": claim_id, "statement": "", "type": "", "topic": topic, "condition_ids": "",
            "verdict": verdict, "certainty": certainty, "effect": "", "allowed_wording": allowed,
            "evidence_ids": "", "reason": ""}


def check_one(sentence: str, rows: list[dict[str, str]], claims: list | None = None) -> wording.Finding | None:
    """The finding for one sentence against a small constructed verdict table."""
    found = wording.check_sentences([sentence], claims or [], rows)
    return found[0] if found else None


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def set_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# reading drafts
# ---------------------------------------------------------------------------------------------


def test_read_plain_text_keeps_lines(tmp_path):
    path = write(tmp_path, "draft.txt", "Dry needling may help.\n\n   Book   now.  \n")
    assert wording.read_text(path) == "Dry needling may help.\nBook now."


def test_read_markdown_strips_markup(tmp_path):
    md = ("# Dry needling **works**\n\nIt *relieves* [tennis elbow](https://example.org/te) fast.\n"
          "- first _bullet_ item\n1. numbered item\n> quoted `code`\n\n---\n[ref]: https://example.org\n")
    text = wording.read_text(write(tmp_path, "draft.md", md))
    assert text.splitlines() == ["Dry needling works", "It relieves tennis elbow fast.", "first bullet item",
                                 "numbered item", "quoted code"]
    assert wording.read_text(write(tmp_path, "draft.markdown", "## Title ##\n")) == "Title"


def test_read_html_extracts_block_text_without_scripts(tmp_path):
    html = ("<html><head><title>Clinic</title><style>p {color: red}</style></head><body>"
            "<h1>Dry&nbsp;needling</h1><p>It <b>boosts</b>\n circulation.</p><script>var cure = 1;</script>"
            "<ul><li>Heel pain</li><li>Neck pain</li></ul><div>Call us<br>today</div></body></html>")
    text = wording.read_text(write(tmp_path, "page.html", html))
    assert text.splitlines() == ["Clinic", "Dry needling", "It boosts circulation.", "Heel pain", "Neck pain",
                                 "Call us", "today"]
    assert "cure" not in text and "color" not in text
    assert wording.read_text(write(tmp_path, "page.htm", "<p>Hello</p>")) == "Hello"


def test_read_stdin_markdown_and_html(monkeypatch):
    set_stdin(monkeypatch, "* **Cures** neck pain\n".encode())
    assert wording.read_text("-") == "Cures neck pain"
    set_stdin(monkeypatch, b"<p>One</p><p>Two</p>")
    assert wording.read_text("-") == "One\nTwo"


@pytest.mark.parametrize("name, content, message", [
    ("empty.txt", b"", "file is empty"),
    ("blank.md", b"  \n\t\n", "file is empty"),
    ("binary.txt", b"Dry\x00needling", "binary file"),
    ("latin1.html", "caf\xe9 needling".encode("latin-1"), "not UTF-8"),
    ("draft.docx", b"PK\x03\x04", "unknown format"),
    ("draft", b"no extension", "unknown format"),
    ("scripts.html", b"<script>alert(1)</script>", "no text left"),
])
def test_bad_input_raises_config_error_naming_the_file(tmp_path, name, content, message):
    path = write(tmp_path, name, content)
    with pytest.raises(ConfigError) as err:
        wording.read_text(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_missing_file_and_directory(tmp_path):
    missing = tmp_path / "nowhere.txt"
    with pytest.raises(ConfigError, match=re.escape(f"{missing}: file not found")):
        wording.read_text(missing)
    with pytest.raises(ConfigError, match="not a file"):
        wording.read_text(tmp_path)


def test_empty_stdin_is_named(monkeypatch):
    set_stdin(monkeypatch, b"")
    with pytest.raises(ConfigError, match="<stdin>: file is empty"):
        wording.read_text("-")


# ---------------------------------------------------------------------------------------------
# sentences
# ---------------------------------------------------------------------------------------------


def test_split_sentences_on_punctuation_lines_and_bullets():
    text = ("Dry needling may help, e.g. for neck pain. It is safe! Does it hurt? Yes.\n"
            "- Bullet one\n• Bullet two\n3. Numbered\n"
            "Needles are 0.25 mm thick, i.e. very thin. Dr. Smith says so.")
    assert wording.split_sentences(text) == [
        "Dry needling may help, e.g. for neck pain.", "It is safe!", "Does it hurt?", "Yes.",
        "Bullet one", "Bullet two", "Numbered",
        "Needles are 0.25 mm thick, i.e. very thin.", "Dr. Smith says so.",
    ]


def test_split_sentences_does_not_split_before_lowercase_or_inside_decimals():
    assert wording.split_sentences("Relief in 1.5 days. approx. two sessions.") == [
        "Relief in 1.5 days. approx. two sessions."]
    assert wording.split_sentences("   \n\n") == []


# ---------------------------------------------------------------------------------------------
# lexicon and wording analysis
# ---------------------------------------------------------------------------------------------


def test_lexicon_covers_exactly_the_topics():
    assert set(wording.TOPIC_LEXICON) == set(TOPICS)
    assert all(wording.TOPIC_LEXICON[t] for t in TOPICS)


@pytest.mark.parametrize("sentence, topic", [
    ("It boosts circulation", "blood_flow"),
    ("oxygenates the muscle", "blood_flow"),
    ("great for plantar fasciitis", "plantar_heel_pain"),
    ("foot pain", "plantar_heel_pain"),
    ("lateral epicondylitis", "lateral_elbow_tendinopathy"),
    ("tennis elbow", "lateral_elbow_tendinopathy"),
    ("lactate build-up", "lactic_acid"),
    ("flush out toxins", "metabolic_waste"),
    ("risk-free", "general_safety"),
    ("no side effects", "general_safety"),
    ("jumper's knee", "patellar_tendinopathy"),
    ("your body's natural painkillers", "endorphins"),
])
def test_lexicon_paraphrases(sentence, topic):
    assert topic in wording.match_topics(sentence)


def test_analyse_wording():
    w = wording.analyse_wording("Dry needling might reduce pain, but the evidence is very uncertain.")
    assert (w.efficacy_verb, w.hedged, w.states_uncertainty, w.hype) == (True, True, True, ())
    w = wording.analyse_wording("Clinically proven to permanently eliminate pain.")
    assert w.hype == ("Clinically proven", "permanently", "eliminate") and not w.hedged
    assert wording.analyse_wording("It is not a cure and we cannot guarantee results.").hype == ()
    assert wording.analyse_wording("Completely safe, with no side effects.").hype == ("Completely safe", "no side effects")


def test_frequency_word_is_read_in_the_clause_of_the_topic():
    sentence = "Bruising is common, but serious events are rare."
    assert wording.frequency_word(sentence, sentence.index("Bruising")) == ("common", "common")
    assert wording.frequency_word(sentence, sentence.index("serious")) == ("rare", "rare")
    assert wording.frequency_word("Bruising is not common.") == ("uncommon", "not common")
    assert wording.frequency_word("Bruising happens.") is None


# ---------------------------------------------------------------------------------------------
# the flagging policy, on constructed verdict tables
# ---------------------------------------------------------------------------------------------

NECK_LOW = verdict_row("neck", "neck_pain", "overstated", "low",
                       "Dry needling may reduce neck pain slightly in the short term.")
HEADACHE_VERY_LOW = verdict_row("head", "headache", "uncertain", "very_low")
LACTIC = verdict_row("lactic", "lactic_acid", "contradicted", "moderate", "Do not mention lactic acid.")
ELBOW_SUPPORTED = verdict_row("elbow", "lateral_elbow_tendinopathy", "supported", "moderate")


def test_contradicted_topic_is_flagged_whatever_the_hedging():
    for sentence in ("Needling clears lactic acid.", "Needling might help clear lactate, perhaps."):
        finding = check_one(sentence, [LACTIC])
        assert finding.flagged and finding.claim_id == "lactic" and finding.verdict == "contradicted"
        assert "contradicted" in finding.reason
        assert finding.suggestion == "Do not mention lactic acid."


def test_absolute_words_are_flagged_even_when_supported():
    assert not check_one("Dry needling reduces tennis elbow pain.", [ELBOW_SUPPORTED]).flagged
    finding = check_one("Dry needling cures tennis elbow.", [ELBOW_SUPPORTED])
    assert finding.flagged and "'cures'" in finding.reason
    finding = check_one("Guaranteed results for everyone.", [])
    assert finding.flagged and finding.topic == "" and finding.claim_id is None


def test_negated_absolute_words_are_not_flagged():
    assert not check_one("It is not a cure, but it may ease neck pain.", [NECK_LOW]).flagged
    assert check_one("We cannot guarantee results.", []) is None


def test_unhedged_claim_flagged_at_low_certainty_and_hedged_claim_not():
    finding = check_one("Dry needling reduces neck pain.", [NECK_LOW])
    assert finding.flagged and finding.certainty == "low" and "unhedged" in finding.reason
    assert finding.suggestion == "Dry needling may reduce neck pain slightly in the short term."
    finding = check_one("Dry needling may reduce neck pain.", [NECK_LOW])
    assert not finding.flagged and finding.topic == "neck_pain"


def test_very_low_certainty_needs_an_uncertainty_statement():
    assert check_one("Dry needling may ease headaches.", [HEADACHE_VERY_LOW]).flagged
    assert not check_one("Dry needling may ease headaches, but the evidence is very uncertain.",
                         [HEADACHE_VERY_LOW]).flagged


def test_supported_moderate_unhedged_claim_is_not_flagged_but_overstated_is():
    assert not check_one("Dry needling relieves tennis elbow.", [ELBOW_SUPPORTED]).flagged
    overstated = verdict_row("elbow", "lateral_elbow_tendinopathy", "overstated", "moderate")
    assert check_one("Dry needling relieves tennis elbow.", [overstated]).flagged


def test_topic_without_verdict():
    finding = check_one("Dry needling eases jaw pain.", [])
    assert finding.flagged and finding.claim_id is None and finding.topic == "tmd"
    assert finding.suggestion.startswith("The evidence is very uncertain")
    assert not check_one("Dry needling may ease jaw pain.", []).flagged


def test_not_checkable_claim_is_not_flagged():
    row = verdict_row("contra", "contraindications", "not_checkable", "")
    assert not check_one("Tell us if you are pregnant.", [row]).flagged


def test_unqualified_safe_depends_on_the_general_safety_verdict():
    uncertain = verdict_row("safe", "general_safety", "uncertain", "low")
    supported = verdict_row("safe", "general_safety", "supported", "moderate")
    assert check_one("Dry needling is very safe.", [uncertain]).flagged
    assert not check_one("Dry needling is very safe.", [supported]).flagged
    assert not check_one("Dry needling is safe when performed by a trained physiotherapist.", [uncertain]).flagged
    assert check_one("Dry needling is completely safe.", [supported]).flagged


def test_frequency_word_picks_the_register_claim_with_that_frequency():
    rows = [verdict_row("bruise_common", "bruising", "supported", "moderate", "Bruising is common."),
            verdict_row("bruise_rare", "bruising", "contradicted", "moderate", "Bruising is common.")]
    claims = [{"id": "bruise_common", "topic": "bruising", "frequency_claimed": "common"},
              SimpleNamespace(id="bruise_rare", topic="bruising", frequency_claimed="rare", statement="")]
    rare = check_one("Bruising is rare.", rows, claims)
    assert rare.flagged and rare.claim_id == "bruise_rare"
    common = check_one("Bruising is common.", rows, claims)
    assert not common.flagged and common.claim_id == "bruise_common"
    plain = check_one("Some people notice a bruise.", rows, claims)
    assert not plain.flagged and plain.claim_id == "bruise_common"


def test_frequency_disagreeing_with_the_only_supported_claim_is_flagged():
    rows = [verdict_row("faint", "dizziness_fainting", "supported", "low")]
    claims = [{"id": "faint", "topic": "dizziness_fainting", "frequency_claimed": "uncommon"}]
    assert check_one("Dizziness is common.", rows, claims).flagged
    assert not check_one("Dizziness is uncommon.", rows, claims).flagged


def test_condition_wins_over_generic_pain_relief_and_all_topics_are_listed():
    rows = [NECK_LOW, verdict_row("pain", "pain_relief", "supported", "high")]
    finding = check_one("Dry needling relieves neck pain and improves mobility.", rows)
    assert finding.topic == "neck_pain"
    assert set(finding.topics) >= {"neck_pain", "range_of_motion"}


def test_questions_procedure_and_logistics_are_not_claims():
    for sentence in ("Does dry needling cure neck pain?", "The needle is thinner than a hair.",
                     "You may feel a twitch or an ache as the needle goes in.",
                     "We are open Monday to Friday.", "A session costs $80."):
        assert check_one(sentence, [NECK_LOW]) is None, sentence


def test_verdicts_missing_a_column_are_rejected():
    with pytest.raises(ConfigError, match="allowed_wording"):
        wording.check_sentences(["Dry needling reduces neck pain."], [], [{"claim_id": "x", "topic": "neck_pain",
                                                                            "verdict": "supported", "certainty": "low"}])


# ---------------------------------------------------------------------------------------------
# output, exit codes and the command entry point
# ---------------------------------------------------------------------------------------------

DRAFT = "# Our clinic\n\nDry needling **eliminates** neck pain.\nIt may reduce neck pain slightly.\nWe are open daily.\n"


def test_json_csv_and_table(tmp_path):
    findings = wording.check_files([write(tmp_path, "d.md", DRAFT)], [], [NECK_LOW])
    assert [f.flagged for f in findings] == [True, False]
    records = json.loads(wording.to_json(findings))
    assert {"file", "sentence", "claim_id", "topic", "verdict", "certainty", "flagged", "reason",
            "suggestion"} <= set(records[0])
    assert records[0]["flagged"] is True and records[0]["claim_id"] == "neck" and records[0]["index"] == 2
    rows = list(csv.DictReader(io.StringIO(wording.to_csv(findings))))
    assert [r["flagged"] for r in rows] == ["true", "false"]
    assert rows[0]["file"] == str(tmp_path / "d.md")
    table = wording.to_table(findings)
    assert table.splitlines()[0].startswith("FLAG") and "2 claim sentence(s), 1 flagged" in table
    assert "instead: Dry needling may reduce neck pain slightly" in table
    assert json.loads(wording.to_json([])) == []


def test_exit_code():
    flagged = check_one("Dry needling reduces neck pain.", [NECK_LOW])
    fine = check_one("Dry needling may reduce neck pain.", [NECK_LOW])
    assert wording.exit_code([fine, flagged]) == 1
    assert wording.exit_code([fine]) == 0
    assert wording.exit_code([]) == 0


def test_run_check_wording(tmp_path):
    out = io.StringIO()
    bad = write(tmp_path, "bad.txt", DRAFT)
    assert wording.run_check_wording([str(bad)], "json", [], [NECK_LOW], out=out) == 1
    assert len(json.loads(out.getvalue())) == 2
    good = write(tmp_path, "good.html", "<p>Dry needling may reduce neck pain slightly.</p><p>Call us.</p>")
    out = io.StringIO()
    assert wording.run_check_wording([str(good)], "csv", [], [NECK_LOW], out=out) == 0
    assert out.getvalue().count("\n") == 2
    with pytest.raises(ConfigError, match="unknown output format"):
        wording.run_check_wording([str(good)], "xml", [], [NECK_LOW], out=out)
    with pytest.raises(ConfigError, match="no input files"):
        wording.run_check_wording([], "table", [], [NECK_LOW], out=out)
    with pytest.raises(ConfigError, match="draft.pdf"):
        wording.run_check_wording([str(write(tmp_path, "draft.pdf", "x"))], "table", [], [NECK_LOW], out=out)


def test_run_check_wording_reads_stdin(monkeypatch):
    set_stdin(monkeypatch, b"Dry needling reduces neck pain.")
    out = io.StringIO()
    assert wording.run_check_wording(["-"], "table", [], [NECK_LOW], out=out) == 1
    assert "<stdin>:1" in out.getvalue()


def test_register_from_claim_dicts_and_load_verdicts(tmp_path):
    claims = [{"id": "b", "topic": "bruising", "frequency_claimed": "common"}]
    assert wording.build_register(claims, [])[0].frequency_claimed == "common"
    with pytest.raises(ConfigError, match="claim verdicts not found"):
        wording.load_verdicts(tmp_path / "none.csv")
    frame = wording.load_verdicts(VERDICTS_FIXTURE)
    assert "neck_pain_reduces" in set(frame["claim_id"])


# ---------------------------------------------------------------------------------------------
# the labelled set
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def labelled() -> pd.DataFrame:
    return pd.read_csv(LABELLED, dtype=str, keep_default_na=False)


def test_labelled_set_is_well_formed(labelled, verdicts):
    assert list(labelled.columns) == ["sentence", "expected_topic", "expected_flagged", "why"]
    assert len(labelled) >= 80
    assert set(labelled["expected_flagged"]) == {"true", "false"}
    share = (labelled["expected_flagged"] == "true").mean()
    assert 0.35 <= share <= 0.65, share
    topics = set(labelled["expected_topic"]) - {""}
    assert topics <= set(TOPICS)
    kinds = {TOPICS[t][0] for t in topics}
    assert kinds == {"efficacy", "outcome", "mechanism", "safety"}, kinds
    assert len(topics) >= 30
    assert not labelled["sentence"].duplicated().any()
    assert set(verdicts["topic"]) <= set(TOPICS)


def test_labelled_sentences_are_not_copied_from_patient_materials(labelled):
    if not PATIENT_MATERIALS.is_dir():
        pytest.skip(f"patient materials not found at {PATIENT_MATERIALS}")
    words = re.compile(r"[a-z0-9']+")
    source = " ".join(" ".join(words.findall(p.read_text(encoding="utf-8", errors="replace").lower()))
                      for p in sorted(PATIENT_MATERIALS.glob("*.txt")))
    copied = []
    for sentence in labelled["sentence"]:
        tokens = words.findall(sentence.lower())
        runs = (" ".join(tokens[i:i + 12]) for i in range(len(tokens) - 11))
        copied += [sentence for run in runs if f" {run} " in f" {source} "]
    assert copied == []


def test_labelled_precision_and_recall(labelled, claims, verdicts):
    findings = {f.sentence: f for f in wording.check_sentences(labelled["sentence"], claims, verdicts)}
    predicted = [bool(findings.get(s) and findings[s].flagged) for s in labelled["sentence"]]
    expected = list(labelled["expected_flagged"] == "true")
    tp = sum(p and e for p, e in zip(predicted, expected))
    fp = sum(p and not e for p, e in zip(predicted, expected))
    fn = sum(e and not p for p, e in zip(predicted, expected))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    print(f"\nwording checker on {len(expected)} labelled sentences: precision {precision:.3f}, recall {recall:.3f} "
          f"(tp {tp}, fp {fp}, fn {fn})")
    assert precision >= MIN_PRECISION
    assert recall >= MIN_RECALL


def test_every_registered_occurrence_is_found_by_the_checker_in_its_document():
    """Run the checker on each patient document: each registered occurrence's sentence is
    reported with the claim's topic (the register's own wording is matched exactly)."""
    from evidence.claims import find_occurrence, load_claims
    from evidence.config import DEFAULT_DATA_DIR, DataPaths
    from evidence.wording import check_files

    materials = Path(__file__).resolve().parents[2] / "shared" / "patient-materials"
    if not materials.is_dir():
        pytest.skip(f"patient materials not found at {materials}")
    claims = load_claims(DataPaths(DEFAULT_DATA_DIR).claims)
    verdicts = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "derived" / "claim_verdicts.csv",
                           dtype=str, keep_default_na=False)
    missing = []
    for document in sorted({o.document for c in claims for o in c.occurrences}):
        findings = check_files([str(materials / document)], claims, verdicts)
        for claim in claims:
            for occurrence in (o for o in claim.occurrences if o.document == document):
                hits = [f for f in findings if find_occurrence(f.sentence, occurrence.locator) >= 0
                        and claim.topic in f.topics]
                if not hits:
                    missing.append(f"{document}: {claim.id} ({occurrence.locator!r})")
    assert missing == []


def test_cli_check_wording_exit_codes(tmp_path, capsys):
    from evidence.cli import main

    flagged = tmp_path / "draft.md"
    flagged.write_text("# Offer\n\nDry needling **cures** tennis elbow, guaranteed.\n")
    clean = tmp_path / "hours.txt"
    clean.write_text("We are open Monday to Friday from 8 to 6.\n")
    assert main(["check-wording", str(flagged)]) == 1
    assert "cures" in capsys.readouterr().out
    assert main(["check-wording", "--format", "json", str(clean)]) == 0
    assert json.loads(capsys.readouterr().out) == []
    (tmp_path / "draft.docx").write_bytes(b"PK\x03\x04")
    assert main(["check-wording", str(tmp_path / "draft.docx")]) == 2
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert main(["check-wording", str(empty)]) == 2
    assert "empty.txt" in capsys.readouterr().err
