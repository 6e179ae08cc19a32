"""The classifier's second opinion: how its decision meets the rules' findings, its features, the
stored model, training and the labelled sets it reads. Sentences are ours."""

from __future__ import annotations

import json
import math
from itertools import islice

import numpy as np
import pytest

from evidence.config import ConfigError
from evidence.tables import read_csv
from evidence.wording import classifier, drafts, rules, training
from tests.conftest import PROJECT
from tests.wording_helpers import fixture, own_labelled_texts


def constant_model(logit: float) -> classifier.WordingModel:
    """A model whose every sentence scores 1 / (1 + exp(-logit))."""
    return classifier.WordingModel(np.zeros(sum(classifier.FEATURES.values())), logit, 0.5, {})


def check(text: str, model: classifier.WordingModel | None) -> list[rules.Finding]:
    claims, verdicts = fixture()
    return rules.check_sentences(drafts.split_sentences(text), claims, verdicts, model=model)


NO_CLAIM = "Parking is behind the building, next to the bakery."
HEDGED_NECK = "Dry needling may ease neck pain for a few weeks."
ABSOLUTE = "Dry needling cures migraines for good."


def test_without_a_model_the_rules_decide_and_no_score_is_given():
    (finding,) = [f for f in check(ABSOLUTE, None) if f.flagged][:1]
    assert finding.score is None
    assert check(NO_CLAIM, None) == []


def test_a_sentence_without_claims_is_flagged_when_the_classifier_says_so():
    (finding,) = check(NO_CLAIM, constant_model(8.0))
    assert finding.flagged and finding.topic == "" and finding.claim_id is None
    assert "no rule matched" in finding.reason and "classifier" in finding.reason
    assert finding.suggestion == rules.CHECK_BY_HAND and finding.score == pytest.approx(1.0, abs=1e-3)
    assert "absolute" not in finding.suggestion  # no rule found absolute words to drop
    assert rules.exit_code([finding]) == rules.EXIT_FLAGGED
    assert check(NO_CLAIM, constant_model(-8.0)) == []


def test_the_classifier_cannot_flag_a_sentence_in_another_treatment_s_section():
    """Under a title naming another treatment, a sentence the rules find no needling claim in is
    that treatment's: a model that flags everything flags neither it nor its title."""
    page = "Dry needling for sore tendons\nShockwave therapy\nIt sends pulses of sound into the tendon.\n"
    page += "Patients feel less pain within three visits.\nWhat to expect from needling\nParking is free.\n"
    found = check(page, constant_model(8.0))
    assert {f.line for f in found if f.flagged} == {1, 5, 6}
    assert [f.line for f in found if rules.unchecked(f)] == [4]


def test_a_hedged_sentence_is_not_told_to_hedge_and_a_score_near_the_threshold_is_not_rounded_onto_it():
    (finding,) = check("Our approach can help with everyday aches.", constant_model(8.0))
    assert finding.suggestion == rules.CHECK_BY_HAND_HEDGED and "hedge it" not in finding.suggestion
    near = math.log(0.598 / 0.402)  # a probability of 0.598 against the threshold 0.6
    model = classifier.WordingModel(np.zeros(sum(classifier.FEATURES.values())), near, 0.6, {})
    flagged = [f for f in check(ABSOLUTE, None) if f.flagged]
    cleared = [a for b, a in zip(check(ABSOLUTE, None), check(ABSOLUTE, model)) if b.flagged]
    assert flagged and all("scores the sentence 0.598, below its threshold 0.60" in f.reason for f in cleared)


def test_a_claim_the_rules_pass_is_flagged_with_its_claims_wording_when_the_classifier_says_so():
    passed = check(HEDGED_NECK, None)
    assert passed and not any(f.flagged for f in passed)
    decided = check(HEDGED_NECK, constant_model(8.0))
    assert all(f.flagged for f in decided) and len(decided) == len(passed)
    for before, after in zip(passed, decided):
        assert after.reason.startswith(before.reason) and "classifier" in after.reason
        assert after.suggestion  # the register claim's allowed wording, or the topic's hedge


def test_a_claim_the_rules_flag_is_cleared_with_both_reasons_when_the_classifier_disagrees():
    flagged = [f for f in check(ABSOLUTE, None) if f.flagged]
    assert flagged
    decided = check(ABSOLUTE, constant_model(-8.0))
    assert not any(f.flagged for f in decided)
    cleared = [a for b, a in zip(check(ABSOLUTE, None), decided) if b.flagged]
    assert all("below its threshold 0.50" in f.reason and f.suggestion == "" for f in cleared)


def test_the_classifier_cannot_flag_a_heading_the_rules_find_no_claim_in():
    """A Markdown heading that only names a topic is a title (labelling guide, case 20); a heading
    that claims something is still the model's to judge, and so is the same words as a paragraph."""
    page = "# Headaches\n\n## Faster recovery for runners\n\nHeadaches\n"
    found = check(drafts.markdown_to_text(page), constant_model(8.0))
    assert {f.line for f in found if f.flagged} == {3, 5}


def test_an_absolute_safety_claim_the_rules_flag_stands_whatever_the_classifier_says():
    """Denying all risk is an overclaim by every labeller's reading (labelling guide, case 19): a
    model that clears everything clears the efficacy absolute but not the safety one."""
    text = "Needling is completely safe, with no risk of a punctured lung, and cures migraines for good."
    by_rules = {f.topic: f for f in check(text, None) if f.flagged}
    safety = {t for t, f in by_rules.items() if f.claim_type == "safety" and f.strength == "absolute"}
    assert safety and set(by_rules) - safety
    decided = {f.topic: f.flagged for f in check(text, constant_model(-8.0))}
    assert all(decided[t] for t in safety) and not any(decided[t] for t in set(by_rules) - safety)


@pytest.mark.parametrize(
    "text",
    [
        "It is a myth that a needle can wash lactic acid out of a sore calf.",
        "Whether needling helps migraines is uncertain; the trials are small.",
        "The notion that needling flushes toxins from the body is not supported by research.",
    ],
)
def test_the_classifier_never_flags_a_sentence_that_rejects_its_claim_or_says_it_is_uncertain(text):
    passed = check(text, None)
    assert passed and not any(f.flagged for f in passed)
    decided = check(text, constant_model(8.0))
    assert not any(f.flagged for f in decided) and all(f.score == pytest.approx(1.0, abs=1e-3) for f in decided)
    assert [f.reason for f in decided] == [f.reason for f in passed]
    # the same idea stated as fact is flagged
    assert any(f.flagged for f in check("A needle washes lactic acid out of a sore calf.", constant_model(8.0)))


@pytest.mark.parametrize(
    ("denial", "claim"),
    [
        (
            "Needling will not cure a bad back, and no course of it gets rid of arthritis.",
            "Needling will cure a bad back.",
        ),
        ("No needle treatment is ever totally safe.", "Needle treatment is always totally safe."),
    ],
)
def test_the_classifier_never_flags_a_denial_that_makes_no_claim(denial, claim):
    assert check(denial, None) == [] and check(denial, constant_model(8.0)) == []
    # without the negations the same words are flagged, by the rules or the classifier
    assert any(f.flagged for f in check(claim, constant_model(8.0)))


def test_when_both_flag_the_rules_findings_stand_with_the_score():
    before = check(ABSOLUTE, None)
    after = check(ABSOLUTE, constant_model(8.0))
    assert [(f.flagged, f.reason, f.suggestion) for f in after] == [(f.flagged, f.reason, f.suggestion) for f in before]
    assert all(f.score is not None for f in after)


def test_the_words_block_is_read():
    """A model that only weighs the word buckets of one sentence flags that sentence and not another."""
    probe = classifier.example(drafts.split_sentences("zebra stripes calm")[:1], [])
    words = classifier.FEATURES["words"]
    weights = np.zeros(sum(classifier.FEATURES.values()))
    weights[:words] = 30 * classifier.feature_matrix([probe]).toarray()[0][:words]
    model = classifier.WordingModel(weights, -10.0, 0.5, {})
    (flagged,) = check("zebra stripes calm", model)
    assert flagged.flagged and "no rule matched" in flagged.reason
    assert check("Open on Saturdays until noon.", model) == []
    # the reason names the sentence's words that weighed most for the flag (equal weights: alphabetical)
    grams = {"zebra", "stripes", "calm", "zebra stripes", "stripes calm"}
    assert set(model.weighed_words("zebra stripes calm", towards=True, count=5)) == grams
    assert "weighed most for it: 'calm', 'stripes', 'stripes calm'" in flagged.reason
    assert model.weighed_words("zebra stripes calm", towards=False) == []


def test_a_hedge_is_never_named_as_a_word_that_makes_the_overclaim():
    """Hedging is what the register asks for: "'may help'" as the word to change read as advice
    against it (a new user's finding)."""
    probe = classifier.example(drafts.split_sentences("zebras may calm")[:1], [])
    words = classifier.FEATURES["words"]
    weights = np.zeros(sum(classifier.FEATURES.values()))
    weights[:words] = 30 * classifier.feature_matrix([probe]).toarray()[0][:words]
    model = classifier.WordingModel(weights, -10.0, 0.5, {})
    assert "may" in model.weighed_words("zebras may calm", towards=True, count=5)
    (flagged,) = check("zebras may calm", model)
    assert flagged.reason.endswith("weighed most for it: 'calm', 'zebras'; check it by hand"), flagged.reason


def test_layout_tokens_see_the_lead_in_and_the_sentence_before():
    first, second = drafts.split_sentences("What we treat:\n- sore calves\n")
    assert "PREV_COLON" in classifier.layout_tokens(second, first.text, [])
    assert "PNOF" in classifier.layout_tokens(second, first.text, [])
    assert not any(t.startswith("P") and t != "POS1" for t in classifier.layout_tokens(first, "", None))
    assert "LIST_ITEM" in classifier.layout_tokens(second, first.text, [])
    assert "LIST_ITEM" not in classifier.layout_tokens(first, "", None)


def test_a_list_item_carries_the_words_of_its_lead_in():
    """The same bare item scores differently under a hedged and an absolute lead-in, through the
    lead-in block only (a model whose only weight is on the lead-in word 'cures')."""
    hedged = drafts.split_sentences("Needling may help with:\n- sore calves\n")
    absolute = drafts.split_sentences("Needling cures:\n- sore calves\n")
    plain = drafts.split_sentences("Sore calves\n")
    items = [classifier.example([s[-1]], []) for s in (hedged, absolute, plain)]
    assert [e.lead_in for e in items] == ["Needling may help with:", "Needling cures:", ""]
    offset = sum(size for name, size in classifier.FEATURES.items() if name != "lead_in")
    weights = np.zeros(sum(classifier.FEATURES.values()))
    matrix = classifier.feature_matrix(items)
    cures = [c for c in matrix[1].indices if c >= offset and c not in matrix[0].indices]
    weights[cures] = 4.0
    model = classifier.WordingModel(weights, 0.0, 0.6, {})
    p_hedged, p_absolute, p_plain = model.probabilities(items)
    assert p_absolute > 0.6 and p_hedged == p_plain == 0.5


def test_findings_come_in_bounded_batches():
    """Memory stays bounded: the first findings come before the draft has been read to its end."""
    claims, verdicts = fixture()
    read = []

    def sentences():
        for number in range(1, 10 * rules.MODEL_BATCH):
            read.append(number)
            yield drafts.Sentence(ABSOLUTE, number, number)

    first = next(iter(rules.iter_findings(sentences(), claims, verdicts, model=constant_model(8.0))))
    assert first.flagged and len(read) <= rules.MODEL_BATCH + 1


# ---------------------------------------------------------------------------------------------
# the stored model
# ---------------------------------------------------------------------------------------------


def test_the_committed_model_loads_and_names_its_training_data():
    model = classifier.load_model()
    assert model.weights.shape == (sum(classifier.FEATURES.values()),) and np.count_nonzero(model.weights) > 1000
    sets = model.provenance["training_sets"]
    own = [s for s in sets if s["kind"] == "own words"]
    assert {s["file"] for s in own} == {path for path, _ in training.OWN_SETS}
    assert all((PROJECT / s["file"]).is_file() for s in own)
    assert all(len(s["sha256"]) == 64 and s["examples"] > 0 for s in sets)
    assert sum(s["kind"] != "own words" for s in sets) >= 2


@pytest.mark.parametrize("settings", ["model.json", "thorough.json"])
def test_every_real_set_a_shipped_model_learnt_from_has_its_addresses_listed(settings):
    """Real copy never enters the project, so what stands for it is the list of addresses its builder
    read: each held-out set in a model's training data has one, naming the labelled file's sha256."""
    trained = json.loads((classifier.model_dir() / settings).read_text(encoding="utf-8"))
    sets = trained.get("provenance", trained)["training_sets"]
    unlisted = []
    for labelled in sets:
        folder = labelled["file"].split("/")[0]
        if labelled["kind"] == "own words" or folder == "wording-real":  # the development set lives in ../shared
            continue
        listing = PROJECT / "benchmarks" / "wording_clinic" / f"real_{folder}_sources.md"
        if not listing.is_file() or labelled["sha256"] not in listing.read_text(encoding="utf-8"):
            unlisted.append(labelled["file"])
    assert unlisted == []
    assert len(sets) > 40


def test_the_shipped_checker_scores_every_sentence_between_0_and_1():
    findings = check(f"{ABSOLUTE}\n{HEDGED_NECK}\n{NO_CLAIM}\n", classifier.load_model())
    assert findings and all(0.0 <= f.score <= 1.0 for f in findings)


def test_load_model_errors_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="model.json"):
        classifier.load_model(tmp_path)
    classifier.save_model(constant_model(0.0), tmp_path)
    record = json.loads((tmp_path / classifier.MODEL_FILE).read_text())
    record["features"]["words"] = 16
    (tmp_path / classifier.MODEL_FILE).write_text(json.dumps(record))
    with pytest.raises(ConfigError, match="retrain"):
        classifier.load_model(tmp_path)
    classifier.save_model(constant_model(0.0), tmp_path)
    np.save(tmp_path / classifier.WEIGHTS_FILE, np.zeros(3))
    with pytest.raises(ConfigError, match="weights.npy"):
        classifier.load_model(tmp_path)


def test_a_saved_model_loads_back_as_it_was(tmp_path):
    weights = np.zeros(sum(classifier.FEATURES.values()))
    weights[[3, 70_000, 524_000]] = [0.5, -1.25, 2.0]
    classifier.save_model(classifier.WordingModel(weights, -0.75, 0.5, {"note": "ours"}), tmp_path)
    loaded = classifier.load_model(tmp_path)
    assert (
        np.array_equal(loaded.weights, weights) and loaded.intercept == -0.75 and loaded.provenance == {"note": "ours"}
    )


# ---------------------------------------------------------------------------------------------
# training and its inputs
# ---------------------------------------------------------------------------------------------


def _own_examples(rows: int = 120) -> training.Labelled:
    claims, verdicts = fixture()
    path, column = training.OWN_SETS[3]  # wording_labelled.csv: flagged and passed rows mixed
    return list(islice(training.own_set_examples(PROJECT / path, column, claims, verdicts, _lexicon()), rows))


def _lexicon():
    from evidence.wording.lexicon import load_lexicon

    return load_lexicon()


def test_training_is_deterministic_and_learns_its_examples(tmp_path):
    examples = _own_examples()
    texts, labels = [e for e, _ in examples], [y for _, y in examples]
    first = classifier.train(texts, labels, {})
    second = classifier.train(texts, labels, {})
    classifier.save_model(first, tmp_path / "a")
    classifier.save_model(second, tmp_path / "b")
    for name in (classifier.WEIGHTS_FILE, classifier.MODEL_FILE):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    fitted = [p >= 0.5 for p in first.probabilities(texts)]
    assert sum(f == y for f, y in zip(fitted, labels)) / len(labels) > 0.9


def test_page_draft_marks_list_items_after_a_lead_in():
    draft = training.page_draft(["Why people book:", "Looser calves", "Better sleep", "Call us today."])
    assert draft == "Why people book:\n- Looser calves\n- Better sleep\nCall us today.\n"
    lines = [s.line for s in drafts.split_sentences(draft)]
    assert lines == [1, 2, 3, 4]


def test_a_page_is_one_example_per_labelled_line():
    claims, verdicts = fixture()
    entries = ["Our clinic opened in 2019.", "Dry needling cures back pain. It works every time.", "Book online."]
    examples = training.draft_examples(training.page_draft(entries), [False, True, False], claims, verdicts, _lexicon())
    assert [y for _, y in examples] == [False, True, False]
    assert examples[1][0].text == "Dry needling cures back pain. It works every time."
    assert "F_True" in examples[1][0].rules and examples[0][0].rules == "NOF"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("- text: Fine copy.\n  flag: maybe\n  url: u\n", "entry 1: needs text"),
        ("- text: Fine copy.\n  flag: false\n", "entry 1: needs the url"),
        ("text: not a list\n", "expected a list"),
        ("- [unclosed\n", "cannot read"),
    ],
)
def test_a_bad_labelled_set_names_the_file_and_entry(tmp_path, content, message):
    path = tmp_path / "set.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message) as error:
        training.load_page_set(path)
    assert str(path) in str(error.value)


def test_labels_kept_without_text_go_back_on_a_fresh_copy_of_their_pages(tmp_path):
    """A label file holds url, entry number, fingerprint and flag, never the text; restoring it on
    entries copied again (spacing may differ) gives back every flag whose text matches."""
    path = tmp_path / "set.yaml"
    path.write_text(
        "- {text: Needling ends heel pain for good., flag: true, url: a}\n"
        "- {text: Parking is at the back., flag: false, url: a}\n"
        "- {text: Needling ends heel pain for good., flag: false, url: b}\n"
    )
    labels = training.label_table(path)
    assert list(labels.columns) == list(training.LABEL_COLUMNS) and list(labels["entry"]) == [1, 2, 1]
    assert "heel" not in labels.to_csv() and list(labels["flag"]) == ["true", "false", "false"]
    copied = [
        {"text": "Needling  ends heel pain\nfor good.", "url": "a"},
        {"text": "Needling ends heel pain for good.", "url": "b"},
        {"text": "A sentence added since.", "url": "a"},
    ]
    restored, missing = training.restore_labels(copied, labels.astype(str))
    assert [e.get("flag") for e in restored] == [True, False, None] and missing == 1


def test_every_committed_label_file_holds_labels_and_no_text():
    import re

    files = sorted((PROJECT / "benchmarks" / "wording_clinic" / "labels").glob("*.csv"))
    assert files
    for path in files:
        table = read_csv(path)
        assert list(table.columns) == list(training.LABEL_COLUMNS), path
        assert all(re.fullmatch(r"[0-9a-f]{64}", sha) for sha in table["text_sha256"]), path
        assert set(table["flag"]) <= {"true", "false"} and all(table["entry"].str.isdigit()), path


def test_an_own_set_row_without_a_true_or_false_label_is_refused(tmp_path):
    path = tmp_path / "own.csv"
    path.write_text("text,expected_flagged\nDry needling helps.,yes\n")
    claims, verdicts = fixture()
    with pytest.raises(ConfigError, match="line 2: expected_flagged"):
        training.own_set_examples(path, "text", claims, verdicts, _lexicon())


def test_check_wording_uses_the_classifier_unless_told_rules_only(tmp_path, capsys):
    from evidence.cli import main

    draft = tmp_path / "draft.txt"
    draft.write_text(f"{ABSOLUTE}\n{HEDGED_NECK}\n", encoding="utf-8")
    main(["check-wording", "--format", "json", str(draft)])
    shipped = json.loads(capsys.readouterr().out)
    main(["check-wording", "--format", "json", "--rules-only", str(draft)])
    rules_only = json.loads(capsys.readouterr().out)
    assert shipped and all(isinstance(f["score"], float) for f in shipped)
    assert rules_only and all(f["score"] is None for f in rules_only)


def test_the_features_are_scikit_learns_hashing_vectorizers_bucket_for_bucket():
    """The shipped weights were trained on scikit-learn's HashingVectorizer; our own hashing (no
    scikit-learn at run time) must give the same matrix, value for value, on our labelled sentences."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import HashingVectorizer

    settings = {"binary": True, "alternate_sign": False}
    tokens = {"token_pattern": r"\S+", "lowercase": False, "norm": None}
    lower = {"ngram_range": (1, 2), "preprocessor": classifier._plain_lower}
    sizes = classifier.FEATURES
    theirs = (
        HashingVectorizer(n_features=sizes["words"], **lower, **settings),
        HashingVectorizer(
            n_features=sizes["characters"],
            analyzer="char_wb",
            ngram_range=(3, 5),
            preprocessor=classifier._plain_lower,
            **settings,
        ),
        HashingVectorizer(n_features=sizes["rules"], **tokens, **settings),
        HashingVectorizer(n_features=sizes["layout"], **tokens, **settings),
        HashingVectorizer(n_features=sizes["lead_in"], **lower, **settings),
    )
    texts = own_labelled_texts()[:400] + [
        "",
        "x",
        "Über-tight TRAPS, 2 sessions!",
        "a  b\tI’m OK",
        "Needling eased my calf",
    ]
    examples = [
        classifier.Example(t, f"S_direct TOP_neck_pain F_{i % 2}", f"LEN{i % 7} END_.", texts[i - 1] if i % 3 else "")
        for i, t in enumerate(texts)
    ]
    columns = [
        [e.text for e in examples],
        [e.text for e in examples],
        [e.rules for e in examples],
        [e.layout for e in examples],
        [e.lead_in for e in examples],
    ]
    expected = hstack(
        [
            v.transform(c) * (classifier.LEAD_IN_WEIGHT if n == 4 else 1.0)
            for n, (v, c) in enumerate(zip(theirs, columns))
        ]
    ).tocsr()
    ours = classifier.feature_matrix(examples)
    assert (abs(ours - expected) > 1e-12).nnz == 0 and ours.nnz == expected.nnz
    # the scores use the same buckets and values without building the matrix
    rng = np.random.default_rng(7)
    model = classifier.WordingModel(rng.normal(size=sum(sizes.values())), -0.3, 0.6, {})
    direct = model.probabilities(examples)
    via_matrix = 1 / (1 + np.exp(-(expected @ model.weights - 0.3)))
    assert np.allclose(direct, via_matrix, rtol=0, atol=1e-12)
    # and the hash of the one value whose absolute value does not fit
    assert classifier.bucket("", 10) == 0 and all(0 <= classifier.bucket(t, 1000) < 1000 for t in texts[:50])


def test_check_wording_with_a_broken_model_exits_2_naming_the_file(tmp_path, capsys):
    import shutil

    from evidence.cli import main

    data = tmp_path / "data"
    shutil.copytree(PROJECT / "data" / "curated", data / "curated")
    (data / "derived").mkdir()
    shutil.copy(PROJECT / "data" / "derived" / "claim_verdicts.csv", data / "derived")
    (data / "curated" / classifier.MODEL_DIR / classifier.MODEL_FILE).write_text("{}")
    draft = tmp_path / "draft.txt"
    draft.write_text(f"{ABSOLUTE}\n", encoding="utf-8")
    assert main(["check-wording", "--data-dir", str(data), str(draft)]) == 2
    assert "model.json" in capsys.readouterr().err
    assert main(["check-wording", "--data-dir", str(data), "--rules-only", str(draft)]) == 1
