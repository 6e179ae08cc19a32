"""The thorough model: the pair it reads, how its two probabilities meet, which drafts it checks,
the committed files, and what the command line does with it. Sentences are ours."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from evidence.config import ConfigError
from evidence.wording import classifier, thorough
from tests.wording.test_classifier import ABSOLUTE, HEDGED_NECK, NO_CLAIM, check, constant_model


@pytest.fixture(scope="module")
def shipped() -> thorough.ThoroughModel:
    return thorough.checker_model(classifier.model_dir(), "thorough")


class FixedScores:
    """A stand-in for the encoder that gives every example the same probability."""

    def __init__(self, probability: float) -> None:
        self.probability = probability

    def probabilities(self, examples):
        return [self.probability] * len(examples)


def test_the_pair_is_the_sentence_then_lead_in_rules_and_layout():
    lead_in = "x" * 250
    text, context = thorough.pair(classifier.Example("Less stiffness", "TOPIC_a FLAG", "LIST LEN0", lead_in))
    assert text == "Less stiffness"
    assert context == "x" * thorough.LEAD_IN_CHARS + " | TOPIC_a FLAG LIST LEN0"


def test_the_probability_is_the_mean_of_the_two_models_and_decides_at_its_threshold():
    linear = constant_model(0.0)  # 0.5 for every sentence
    model = thorough.ThoroughModel(linear, FixedScores(0.9))
    assert model.probabilities([classifier.Example("a", "NOF", "")]) == [pytest.approx(0.7)]
    assert model.threshold == thorough.THRESHOLD
    flagged = check(f"{NO_CLAIM}\n", model)
    assert len(flagged) == 1 and flagged[0].flagged and flagged[0].score == 0.7
    just_below = 2 * thorough.THRESHOLD - 0.5 - 0.01  # the mean is 0.005 under the threshold
    assert check(f"{NO_CLAIM}\n", thorough.ThoroughModel(linear, FixedScores(just_below))) == []


class Scripted:
    """A model whose every sentence scores 0.9 and whose weighed words are given."""

    name, threshold = "thorough", 0.5

    def __init__(self, words: list[str]) -> None:
        self.words = words

    def probabilities(self, examples):
        return [0.9] * len(examples)

    def weighed_words(self, text, towards, count=3):
        return self.words[:count]

    def for_length(self, characters):
        return self


def test_a_reason_names_the_model_that_scored_and_never_the_treatment_s_own_name():
    (finding,) = check(f"{NO_CLAIM}\n", Scripted(["dry needling", "needling", "lasts", "dry-needling", "for good"]))
    assert finding.flagged and finding.checked_by == "thorough"
    assert "the thorough model (a classifier and a fine-tuned encoder" in finding.reason
    assert "words that weighed most for it: 'lasts', 'for good'; check it by hand" in finding.reason


def test_a_long_draft_is_left_to_the_linear_model_unless_thorough_is_asked_for():
    linear = constant_model(0.0)
    auto = thorough.ThoroughModel(linear, FixedScores(0.9), max_chars=100)
    assert auto.for_length(100) is auto and auto.for_length(101) is linear
    always = thorough.ThoroughModel(linear, FixedScores(0.9), max_chars=None)
    assert always.for_length(10**9) is always
    assert linear.for_length(10**9) is linear


def test_model_choices(shipped):
    folder = classifier.model_dir()
    assert thorough.checker_model(folder, "rules-only") is None
    assert isinstance(thorough.checker_model(folder, "fast"), classifier.WordingModel)
    assert thorough.checker_model(folder, "auto").max_chars == thorough.THOROUGH_MAX_CHARS
    assert shipped.max_chars is None
    with pytest.raises(ConfigError, match="unknown model choice 'best'"):
        thorough.checker_model(folder, "best")


def test_the_encoder_scores_between_0_and_1_whatever_the_batch_and_its_order(shipped):
    examples = [
        classifier.Example(text, "NOF", "LEN0")
        for text in [ABSOLUTE, HEDGED_NECK, NO_CLAIM, "Less pain.", "word " * 300]  # the last is cut to fit
    ]
    alone = [shipped.tuned.probabilities([e])[0] for e in examples]
    together = shipped.tuned.probabilities(examples)
    backwards = shipped.tuned.probabilities(examples[::-1])[::-1]
    assert all(0.0 < p < 1.0 for p in together)
    assert np.allclose(alone, together, atol=1e-5) and np.allclose(together, backwards, atol=1e-5)
    assert shipped.tuned.probabilities([]) == []


def test_the_shipped_thorough_model_tells_a_promise_from_a_hedge_and_from_parking(shipped):
    """Behaviour on our own sentences (the model learnt from labelled copy, so this can fail)."""
    found = {f.sentence: f for f in check(f"{ABSOLUTE}\n{HEDGED_NECK}\n{NO_CLAIM}\n", shipped)}
    assert found[ABSOLUTE].flagged and found[ABSOLUTE].score >= thorough.THRESHOLD
    assert not found[HEDGED_NECK].flagged
    assert NO_CLAIM not in found


def test_the_committed_settings_name_the_training_data_and_the_encoder_they_describe():
    folder = classifier.model_dir()
    settings = json.loads((folder / thorough.SETTINGS_FILE).read_text())
    from evidence.wording.training import sha256

    assert settings["encoder_sha256"] == sha256(folder / thorough.ENCODER_FILE)
    kinds = {s["kind"] for s in settings["training_sets"]}
    assert kinds == {"real clinic copy (not in the project)", "own words"}
    assert all(s["examples"] > 0 and len(s["sha256"]) == 64 for s in settings["training_sets"])


@pytest.fixture
def model_copy(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(classifier.model_dir(), folder)
    return folder


def test_a_missing_or_foreign_thorough_file_is_a_config_error_naming_it(model_copy):
    linear = classifier.load_model(model_copy)
    settings = model_copy / thorough.SETTINGS_FILE
    record = json.loads(settings.read_text())
    settings.write_text(json.dumps({**record, "max_tokens": 256}))
    with pytest.raises(ConfigError, match="thorough.json: trained for max_tokens 256"):
        thorough.load_thorough_model(model_copy, linear)
    settings.write_text(json.dumps(record))
    (model_copy / thorough.ENCODER_FILE).write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="cannot be loaded"):
        thorough.load_thorough_model(model_copy, linear)
    (model_copy / thorough.TOKENIZER_FILE).unlink()
    with pytest.raises(ConfigError, match="tokenizer.json: the thorough model's file is missing"):
        thorough.load_thorough_model(model_copy, linear)
    settings.write_text("{")
    with pytest.raises(ConfigError, match="thorough.json: not JSON"):
        thorough.load_thorough_model(model_copy, linear)
    settings.unlink()
    with pytest.raises(ConfigError, match="thorough.json: cannot read"):
        thorough.load_thorough_model(model_copy, linear)


def test_check_wording_picks_its_model_by_the_draft_s_length_and_by_flag_and_says_which(tmp_path, capsys, monkeypatch):
    from evidence.cli import main

    def scores(*flags: str) -> tuple[list, str]:
        """The findings' scores and stderr; every finding names the model that checked the draft."""
        main(["check-wording", "--format", "json", *flags, str(draft)])
        out = capsys.readouterr()
        findings = json.loads(out.out)
        assert len({f["checked_by"] for f in findings}) == 1
        return [f["score"] for f in findings], findings[0]["checked_by"], out.err

    draft = tmp_path / "draft.txt"
    draft.write_text(f"{ABSOLUTE}\n{HEDGED_NECK}\n", encoding="utf-8")
    default, checked_by, said = scores()
    assert (checked_by, said) == ("thorough", "") and scores("--thorough")[:2] == (default, "thorough")
    fast, checked_by, _ = scores("--fast")
    assert fast != default and all(isinstance(s, float) for s in fast) and checked_by == "fast"
    rules_only, checked_by, _ = scores("--rules-only")
    assert set(rules_only) == {None} and checked_by == "rules-only"
    monkeypatch.setattr(thorough, "THOROUGH_MAX_CHARS", 10)  # the draft is now too long for the default
    long_default, checked_by, said = scores()
    assert (long_default, checked_by) == (fast, "fast")
    assert "too long for the thorough model" in said and "draft.txt" in said
    assert scores("--thorough")[:2] == (default, "thorough")
    with pytest.raises(SystemExit):
        main(["check-wording", "--fast", "--thorough", str(draft)])
    # the table's closing line and the HTML page's summary say it in words
    main(["check-wording", "--thorough", str(draft)])
    assert capsys.readouterr().out.rstrip().endswith("; checked by the rules and the thorough model")
    main(["check-wording", "--fast", "--format", "html", str(draft)])
    page = capsys.readouterr().out
    assert 'data-checked-by="fast"' in page and "; checked by the rules and the fast model</p>" in page


def test_the_help_gives_the_length_the_default_checks_thoroughly(capsys):
    from evidence.cli import main

    with pytest.raises(SystemExit):
        main(["check-wording", "--help"])
    assert f"{thorough.THOROUGH_MAX_CHARS:,} characters" in " ".join(capsys.readouterr().out.split())
