"""The claims register: it loads, its evidence ids and locators resolve, it covers the conditions the
materials name, broken copies are rejected with a clear message, and our wording is our own."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from evidence.config import DEFAULT_DATA_DIR, ConfigError, DataPaths
from evidence.curation.claims import check_evidence_ids, find_occurrence, load_claims
from evidence.curation.schema import load_curated
from evidence.vocab import CONDITIONS
from tests.paths import PROJECT

CLAIMS = DataPaths(DEFAULT_DATA_DIR).claims

SHARED_WORDS = 12

# Condition ids that the materials name (neck, back and SI joint, shoulder, headaches, jaw, hip and
# piriformis, knee, plantar fasciitis, tennis and golfer's elbow, Achilles, myofascial pain,
# fibromyalgia). Patellar tendinopathy is not named, so it is not expected.
NAMED_CONDITIONS = {
    "neck_pain",
    "low_back_pain",
    "shoulder_pain",
    "headache",
    "tmd",
    "hip_pain",
    "knee_pain",
    "plantar_heel_pain",
    "lateral_elbow_tendinopathy",
    "medial_elbow_tendinopathy",
    "achilles_tendinopathy",
    "myofascial_pain_syndrome",
    "fibromyalgia",
}


@pytest.fixture(scope="module")
def claims():
    return load_claims(CLAIMS)


@pytest.fixture(scope="module")
def documents(shared) -> dict[str, str]:
    materials = shared("patient-materials", "patient materials")
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(materials.glob("*.txt"))}


@pytest.fixture
def raw() -> dict:
    return yaml.safe_load(CLAIMS.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "claims.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_register_loads_with_unique_ids_and_every_type(claims):
    ids = [c.id for c in claims]
    assert len(ids) == len(set(ids))
    assert {c.type for c in claims} == {"efficacy", "outcome", "mechanism", "safety", "logistics"}


def test_every_evidence_id_exists(claims):
    assert check_evidence_ids(claims, load_curated(PROJECT / "data" / "curated")) == []


def test_unknown_evidence_id_is_reported(claims):
    curated = load_curated(PROJECT / "data" / "curated")
    broken = replace(claims[0], reviews=("NoSuchReview1999",), mechanisms=("NoSuchMechanism",))
    assert check_evidence_ids([broken], curated) == [
        f"claim {broken.id}: unknown review_id 'NoSuchReview1999' (not in reviews.csv)",
        f"claim {broken.id}: unknown mechanism_id 'NoSuchMechanism' (not in mechanisms.csv)",
    ]


def test_every_occurrence_is_found_in_its_document(claims, documents):
    missing = [
        f"{c.id}: {o.document}: {o.locator!r}"
        for c in claims
        for o in c.occurrences
        if o.document not in documents or find_occurrence(documents[o.document], o.locator) < 0
    ]
    assert missing == []


def test_every_document_is_used(claims, documents):
    used = {o.document for c in claims for o in c.occurrences}
    assert set(documents) - used == set()


def test_named_conditions_are_covered_by_efficacy_claims(claims):
    assert NAMED_CONDITIONS <= set(CONDITIONS)
    covered = {cid for c in claims if c.type == "efficacy" for cid in c.conditions}
    assert NAMED_CONDITIONS - covered == set()


def test_contradiction_on_bruising_is_registered(claims):
    frequencies = {c.frequency_claimed for c in claims if c.topic == "bruising"}
    assert {"common", "rare"} <= frequencies


def test_find_occurrence_tolerates_case_whitespace_quotes_and_dashes():
    text = "Intro.  It\u2019s  common to feel\nsore for 24\u201348 hours, a \u201creset\u201d."
    assert find_occurrence(text, "it's common TO feel sore") == text.index("It\u2019s")
    assert find_occurrence(text, "for 24-48 hours") == text.index("for 24")
    assert find_occurrence(text, 'a "reset"') == text.index("a \u201c")
    assert find_occurrence(text, "not in the text") == -1


@pytest.mark.parametrize(
    "breakage, message",
    [
        (lambda d: d.update(schema_version=2), r"claims\.yaml: schema_version must be 1, got 2"),
        (
            lambda d: d["claims"][0].update(topic="not_a_topic"),
            r"claims\.yaml:\d+: claim #1 \(efficacy_neck_pain\): unknown topic 'not_a_topic'",
        ),
        (
            lambda d: d["claims"].append(dict(d["claims"][0])),
            r"claims\.yaml:\d+: claim #\d+ \(efficacy_neck_pain\): duplicate id 'efficacy_neck_pain'",
        ),
        (
            lambda d: d["claims"][0]["occurrences"][0].update(locator=" ".join(["word"] * 11)),
            r"claims\.yaml:\d+: claim #1 \(efficacy_neck_pain\), occurrence #1: locator has 11 words, at most 10",
        ),
        (
            lambda d: d["claims"][0].pop("statement"),
            r"claims\.yaml:\d+: claim #1 \(efficacy_neck_pain\): missing required field\(s\) statement",
        ),
        (
            lambda d: d["claims"][0].update(conditions=["neck"]),
            r"claims\.yaml:\d+: claim #1 \(efficacy_neck_pain\): unknown condition id\(s\) 'neck'",
        ),
    ],
)
def test_broken_register_raises_config_error(tmp_path, raw, breakage, message):
    assert raw["claims"][0]["id"] == "efficacy_neck_pain"
    breakage(raw)
    with pytest.raises(ConfigError, match=message):
        load_claims(write(tmp_path, raw))


def test_claim_without_id_is_named_by_position_and_line(tmp_path, raw):
    del raw["claims"][1]["id"]
    path = write(tmp_path, raw)
    starts = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.startswith("- ")]
    with pytest.raises(ConfigError, match=rf"claims\.yaml:{starts[1]}: claim #2: missing required field\(s\) id"):
        load_claims(path)


def _words(text: str) -> list[str]:
    folded = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return re.findall(r"[a-z0-9']+", folded)


def _ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _copied(documents: dict[str, str]) -> set[tuple[str, ...]]:
    return set().union(*(_ngrams(_words(text), SHARED_WORDS) for text in documents.values()))


def test_copy_check_detects_a_copied_sentence(documents):
    sentence = " ".join(_words(next(iter(documents.values())))[:SHARED_WORDS])
    assert _ngrams(_words(sentence.upper()), SHARED_WORDS) & _copied(documents)


def test_statements_notes_and_reasons_do_not_copy_the_materials(claims, documents):
    copied = _copied(documents)
    offending = [
        f"{c.id}: {field}"
        for c in claims
        for field, text in [
            ("statement", c.statement),
            ("note", c.note),
            ("hedge_reason", c.hedge_reason),
            *((f"reason of {link.ref}", link.reason) for link in c.links),
        ]
        if _ngrams(_words(text), SHARED_WORDS) & copied
    ]
    assert offending == []


def test_documents_table_titles_every_document_in_our_words(documents):
    from evidence.tables import read_csv

    table = read_csv(PROJECT / "data" / "curated" / "documents.csv")
    assert set(table["document"]) == set(documents)
    copied = _copied(documents)
    for row in table.itertuples():
        assert not _ngrams(_words(row.note), SHARED_WORDS) & copied, row.document
        if row.title_kind == "as_published":  # a published title is a locator of a few words: it must be found
            assert find_occurrence(documents[row.document], row.title) >= 0, row.document
            assert len(row.title.split()) <= SHARED_WORDS


def test_a_document_without_a_title_row_is_a_problem(tmp_path):
    from evidence.jobs.validate import input_problems
    from evidence.tables import read_csv
    from tests.conftest import copy_data

    paths = copy_data(tmp_path / "data")
    table = read_csv(paths.curated / "documents.csv")
    gone = table.loc[0, "document"]
    table.iloc[1:].to_csv(paths.curated / "documents.csv", index=False)
    problems = [str(p) for p in input_problems(paths)]
    assert problems and all(f"document {gone!r} has no row in documents.csv" in p for p in problems)
