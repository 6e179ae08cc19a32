"""The vocabulary: question ids, the "favours dry needling" rule and the effect-size classes."""

from __future__ import annotations

import math

import pytest

from evidence import vocab
from evidence.vocab import (
    QuestionId,
    direction,
    effect_class,
    parse_review_finding_id,
    review_finding_id,
)


def test_question_id_round_trips_and_names_its_parts():
    q = QuestionId.parse("neck_pain:pain:sham:short")
    assert (q.condition, q.domain, q.comparator, q.window) == ("neck_pain", "pain", "sham", "short")
    assert str(q) == "neck_pain:pain:sham:short"
    assert QuestionId.parse(str(q)) == q


@pytest.mark.parametrize(
    "text", ["neck_pain:pain:sham", "neck_pain:pain:sham:short:extra", "neck_pain::sham:short", ""]
)
def test_question_id_rejects_malformed_text(text):
    with pytest.raises(ValueError, match="not a question id"):
        QuestionId.parse(text)


def test_question_label_anchor_figure_and_title():
    q = QuestionId("knee_pain", "rom", "add_on", "immediate")
    assert q.label == "range of motion, vs the same treatment without dry needling, up to one week after treatment"
    assert q.anchor == "q-knee_pain--rom--add_on--immediate"
    assert q.figure_name() == "forest_knee_pain__rom__add_on__immediate.svg"
    assert q.figure_name("funnel") == "funnel_knee_pain__rom__add_on__immediate.svg"
    assert q.title == "knee_pain \u00b7 rom \u00b7 add_on \u00b7 immediate"
    assert QuestionId("tmd", "pain", "any", "any").label == "pain, vs control treatments"  # no window phrase for any


def test_sort_key_follows_the_vocabulary_order_not_the_alphabet():
    ids = [
        "neck_pain:pain:add_on:long",
        "neck_pain:disability:sham:short",
        "neck_pain:pain:sham:mid",
        "neck_pain:pain:sham:immediate",
        "headache:rom:sham:short",
    ]
    ordered = sorted(ids, key=lambda t: QuestionId.parse(t).sort_key)
    assert ordered == [
        "headache:rom:sham:short",
        "neck_pain:pain:sham:immediate",
        "neck_pain:pain:sham:mid",
        "neck_pain:pain:add_on:long",
        "neck_pain:disability:sham:short",
    ]


def test_review_finding_ids_round_trip():
    q = QuestionId("neck_pain", "pain", "any", "short")
    text = review_finding_id("NavarroSantana2020", q)
    assert text == "NavarroSantana2020:neck_pain:pain:any:short"
    assert parse_review_finding_id(text) == ("NavarroSantana2020", q)
    with pytest.raises(ValueError):
        parse_review_finding_id("neck_pain:pain:sham:short")  # a question id, not a review finding id


@pytest.mark.parametrize(
    "estimate,low,high,expected",
    [
        (-1.0, -2.0, -0.1, True),  # CI wholly below 0: favours dry needling
        (1.0, 0.1, 2.0, False),  # CI wholly above 0: favours the control
        (-1.0, -2.0, 0.5, None),  # CI includes 0
        (-1.0, -2.0, 0.0, None),  # touching 0 is not excluding it
        (-0.3, math.nan, math.nan, True),  # no CI: the sign decides
        (0.4, math.nan, math.nan, False),
        (0.0, math.nan, math.nan, None),
        (math.nan, math.nan, math.nan, None),
    ],
)
def test_direction(estimate, low, high, expected):
    assert direction(estimate, low, high) is expected


@pytest.mark.parametrize(
    "estimate,measure,mid,expected",
    [
        (-0.8, "SMD", math.nan, "large"),
        (0.79, "SMD", math.nan, "moderate"),
        (-0.5, "SMD", math.nan, "moderate"),
        (0.2, "SMD", math.nan, "small"),
        (-0.19, "SMD", math.nan, "trivial"),
        (-4.0, "MD", 2.0, "large"),
        (-2.0, "MD", 2.0, "moderate"),
        (-1.0, "MD", 2.0, "small"),
        (-0.99, "MD", 2.0, "trivial"),
        (-1.0, "MD", math.nan, ""),
        (math.nan, "SMD", math.nan, ""),
        (0.5, "RR", math.nan, ""),
    ],
)
def test_effect_class_boundaries(estimate, measure, mid, expected):
    assert effect_class(estimate, measure, mid) == expected


def test_certainty_rank_orders_levels_and_puts_unknown_below():
    assert [vocab.certainty_rank(x) for x in ("very_low", "low", "moderate", "high")] == [0, 1, 2, 3]
    assert vocab.certainty_rank("") == -1 and vocab.certainty_rank("unrated") == -1


def test_every_ordered_value_has_its_phrase():
    assert set(vocab.OUTCOME_NOUNS) == set(vocab.DOMAINS)
    assert set(vocab.COMPARATOR_PHRASES) == {*vocab.COMPARATORS, vocab.ANY}
    assert set(vocab.WINDOW_PHRASES) == {*vocab.WINDOWS, vocab.ANY}
    assert set(vocab.WINDOW_LIMITS) == set(vocab.WINDOWS)
    assert vocab.LOWER_IS_BETTER <= set(vocab.DOMAINS)
