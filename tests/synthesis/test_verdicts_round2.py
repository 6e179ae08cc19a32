"""The second round of verdict rules (issue 19): one home per decision, what a claim is about, ratings
never above the authors', narrative findings, function, safety frequencies and durations, the per-claim
links and the wording limit. Each test failed on the code before the rule."""

from __future__ import annotations

from types import SimpleNamespace

from evidence.report import render
from evidence.synthesis import verdicts
from evidence.vocab import VERDICTS, QuestionId
from tests.synthesis.test_verdicts import claim, event, evidence, question, tables

# ----------------------------------------------------------------------------- rule 8: one home per decision


def test_one_best_estimate_rule_for_profile_and_evidence_map():
    # same certainty: more participants wins everywhere (the map used to prefer more studies)
    many = question("low", window="short", n=100)
    big = question("low", window="mid", n=500)
    many[0]["k"] = 3
    ev = evidence(many, big)
    inputs = SimpleNamespace(
        questions=ev.questions.astype(str),
        certainty_by_question={q["question_id"]: {"final": c["final"]} for q, c in (many, big)},
    )
    cell = render._map_cell(inputs, "neck_pain", "pain")
    assert cell["href"].endswith(QuestionId.parse(big[0]["question_id"]).anchor)
    keys = [verdicts.best_estimate_key("low", n, 0, qid) for qid, n in (("a", 100), ("b", 500))]
    assert max(keys)[-1] == "b"


def test_the_part_verdict_uses_the_best_estimate_rule():
    # two benefits at the same certainty: the one with more participants decides (no second ordering)
    short = question("low", window="short", n=100)
    imm = question("low", window="immediate", n=900)
    v = verdicts.verdict_for(claim("neck_pain"), evidence(short, imm))
    assert "immediate" in v.reason


def test_one_verdict_order_the_vocabularys():
    assert not hasattr(verdicts, "STRENGTH")
    weakest = verdicts.weakest(["supported", "uncertain", "overstated"])
    assert weakest == max(["supported", "uncertain", "overstated"], key=VERDICTS.index)


def test_the_common_mild_events_sentence_comes_from_the_safety_data():
    rows = [
        event("any_significant", events=0, denominator=20000),
        event("bruising", 0.5, denominator=7000),
        event("bleeding", 12, denominator=7000),
    ]
    c = claim("general_safety", conditions=(), frequency="rare")
    v = verdicts.verdict_for(c, evidence(curated=tables(safety=rows)))
    assert "bleeding" in v.allowed_wording and "very common" in v.allowed_wording
    assert "bruising" not in v.allowed_wording and "soreness" not in v.allowed_wording
