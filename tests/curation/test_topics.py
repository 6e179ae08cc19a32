"""The topic vocabulary of claims: every topic has a known claim type, and conditions use search ids."""

from __future__ import annotations

import pytest

from evidence.curation.topics import TOPICS, topic_type
from evidence.vocab import CONDITIONS

TYPES = {"efficacy", "outcome", "mechanism", "safety", "logistics"}


def test_every_topic_has_a_known_type_and_a_description():
    assert all(kind in TYPES and description for kind, description in TOPICS.values())
    assert {topic_type(t) for t in TOPICS} == TYPES


def test_condition_topics_are_condition_ids():
    # a topic named like a condition must be that condition's id (verdicts look it up there)
    efficacy = {t for t, (kind, _) in TOPICS.items() if kind == "efficacy"}
    assert set(CONDITIONS) - {"all_dry_needling"} <= efficacy


def test_unknown_topic_names_itself():
    with pytest.raises(KeyError, match="unknown topic 'tennis'"):
        topic_type("tennis")
