"""The wording checker's lexicon file: valid, covering every topic, documented, and its problems named."""

from __future__ import annotations

import re

import pytest

from evidence.config import ConfigError
from evidence.curation.topics import TOPICS
from evidence.wording.lexicon import lexicon_entries, lexicon_problems, load_lexicon, required_words
from tests.conftest import PROJECT
from tests.wording_helpers import own_labelled_texts, write

LEXICON = PROJECT / "data" / "curated" / "wording_lexicon.yaml"


# ---------------------------------------------------------------------------------------------
# the lexicon file
# ---------------------------------------------------------------------------------------------


def test_lexicon_file_is_valid_and_covers_every_topic():
    assert lexicon_problems(LEXICON) == []
    lexicon = load_lexicon(LEXICON)
    assert set(lexicon.topics) == set(TOPICS)
    assert lexicon.hedges.search("it can help") and not lexicon.hedges.search("it helps")


def test_lexicon_problems_name_section_entry_and_what_is_wrong(tmp_path):
    text = LEXICON.read_text(encoding="utf-8")
    text = text.replace("  - '\\b(?:may|might|could|can)\\b'", "  - '\\b(?:may|might'\n  - ''", 1)
    text = text.replace("  fibromyalgia:\n", "  fibromyalga:\n", 1)
    text = text.replace("narrower:\n", "narrower:\n  sessions_needed: [no_such_topic]\n", 1)
    text += "extra_section: []\n"
    bad = write(tmp_path, "wording_lexicon.yaml", text)
    messages = [str(p) for p in lexicon_problems(bad)]
    assert any("column hedges entry 1" in m and "does not compile" in m for m in messages), messages
    assert any("column hedges entry 2" in m and "non-empty string" in m for m in messages), messages
    assert any("topics.fibromyalgia: is missing" in m for m in messages), messages
    assert any("topics.fibromyalga: unknown name" in m for m in messages), messages
    assert any("narrower.sessions_needed" in m and "no_such_topic" in m for m in messages), messages
    assert any("extra_section" in m for m in messages), messages
    assert all(m.startswith("wording_lexicon.yaml") for m in messages)
    with pytest.raises(ConfigError, match="does not compile"):
        load_lexicon(bad)
    old = write(tmp_path, "old.yaml", text.replace("schema_version: 1", "schema_version: 0"))
    assert "schema_version must be 1" in str(lexicon_problems(old)[0])


def test_lexicon_pattern_matching_everything_is_rejected(tmp_path):
    text = LEXICON.read_text(encoding="utf-8").replace("  - '\\bmyths?\\b'", "  - '.*'", 1)
    messages = [str(p) for p in lexicon_problems(write(tmp_path, "wording_lexicon.yaml", text))]
    assert any("denials entry 1" in m and "matches empty text" in m for m in messages), messages


def test_validate_reports_a_broken_lexicon(tmp_path):
    from evidence.jobs.validate import input_problems
    from tests.conftest import copy_data

    paths = copy_data(tmp_path / "data")
    lexicon = paths.curated / "wording_lexicon.yaml"
    lexicon.write_text(
        lexicon.read_text(encoding="utf-8").replace("  - '\\bmyths?\\b'", "  - '(unclosed'", 1), encoding="utf-8"
    )
    assert any(p.file == "wording_lexicon.yaml" and "denials entry 1" in str(p) for p in input_problems(paths))


def test_lexicon_readme_documents_every_section():
    from evidence.wording.lexicon import SECTIONS

    readme = (PROJECT / "data" / "curated" / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## wording_lexicon.yaml") :]
    assert all(f"`{name}`" in section for name in SECTIONS if name != "schema_version")


EXAMPLES = PROJECT / "tests" / "fixtures" / "wording_lexicon_examples.csv"


def _examples() -> list[dict[str, str]]:
    import csv

    with EXAMPLES.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_lexicon_entry_has_an_example_in_our_own_words():
    """Each pattern matches a sentence of our labelled sets, or the example written for it in
    tests/fixtures/wording_lexicon_examples.csv (our own words)."""
    import re

    texts = own_labelled_texts()
    examples = {(row["section"], row["pattern"]): row["example"] for row in _examples()}
    missing = [
        f"{where}: {pattern}"
        for where, pattern in lexicon_entries(LEXICON)
        if not any(re.search(pattern, text, re.I) for text in texts)
        and not re.search(pattern, examples.get((where, pattern), ""), re.I)
    ]
    assert not missing, "write an example in wording_lexicon_examples.csv for:\n" + "\n".join(missing)


def test_every_example_names_a_lexicon_entry_that_it_matches():
    import re

    entries = set(lexicon_entries(LEXICON))
    stale = [row for row in _examples() if (row["section"], row["pattern"]) not in entries]
    assert not stale, f"examples of patterns no longer in the lexicon: {stale}"
    wrong = [row for row in _examples() if not re.search(row["pattern"], row["example"], re.I)]
    assert not wrong, wrong


@pytest.mark.parametrize(
    "entries, words",
    [
        ([r"\bneck", r"\bwhiplash"], ("neck", "whiplash")),
        ([r"\bstiff(?:ness)?\b"], ("stiff",)),
        ([r"\bneck?\b"], ("nec",)),  # the k is optional, so only "nec" is required
        ([r"\bre-?injur\w*"], None),  # "re" is too short to require
        ([r"\bbruis\w*|\bblack (?:and|&) blue"], ("black ", "bruis")),
        ([r"\b(?:sore|achy) muscles"], ("achy", "sore")),
        ([r"[$£€]\s?\d"], None),
        ([r"(?<!anti-)(?<!anti )\binflam\w*"], ("inflam",)),  # look-behinds consume nothing
        ([r"\b(?:low(?:er)?[- ])?back\b"], ("back",)),  # an optional group is passed over
        ([r"(?:pre){,2}heal", r"(?:sore ){0,1}calf"], ("calf", "heal")),
        ([r"\b(?:less|cut\w* (?:down|back)|lower\w*)"], ("cut", "less", "lower")),  # nested groups
        ([r"(?:very ){1,2}calm"], ("very ",)),  # a group that must match gives its own words
        ([r"\b(?:go|come) back"], None),  # "go" is too short to require
    ],
)
def test_required_words_of_topic_patterns(entries, words):
    assert required_words(entries) == words


def test_required_words_never_skip_a_topic_that_matches():
    """The cheap prefilter agrees with the patterns on every sentence we have."""
    lexicon = load_lexicon(LEXICON)
    texts = own_labelled_texts() + [row["example"] for row in _examples()]
    for topic, pattern in lexicon.topics.items():
        gate = lexicon.topic_gates.get(topic)
        if gate is None:
            continue
        skipped = [t for t in texts if pattern.search(t) and not gate.search(t.lower())]
        assert not skipped, (topic, skipped[:3])


def test_a_shared_word_boundary_changes_no_match():
    """Patterns that start with a word boundary share one; every match stays where it was."""
    from evidence.wording.lexicon import alternation

    patterns = [r"\bease[sd]?\b", r"\bcalm|\bsoothe", "under the", r"\brelax\w*", r"pain\b|\bache", r"\bfree"]
    text = "Eases pain, soothes aches; under the heel it relaxes. Headache-free? painfree, ease, unease."
    plain = re.compile("|".join(f"(?:{p})" for p in patterns), re.I)
    shared = re.compile(alternation(patterns), re.I)
    assert [m.span() for m in shared.finditer(text)] == [m.span() for m in plain.finditer(text)]
    assert alternation(patterns).count(r"\b(?:") == 3  # three runs of boundary patterns, split by the others
