"""Search definitions: the exact PubMed query of each condition and the checks of searches.yaml."""

from __future__ import annotations

import pytest
import yaml

from evidence.config import ConfigError
from evidence.curation.searches import condition_of, load_search_definitions, search_id

GOOD = {
    "schema_version": 1,
    "dry_needling_block": '("Dry Needling"[Mesh] OR "dry needling"[tiab])',
    "rct_filter": "randomized [tiab] OR placebo [tiab]",
    "conditions": [
        {"id": "all_dry_needling", "label": "All dry needling trials", "population": "musculoskeletal pain"},
        {"id": "neck_pain", "label": "Neck pain", "mesh": ["Neck Pain"], "free_text": ["neck pain", "whiplash"]},
    ],
}


def write(tmp_path, raw) -> object:
    path = tmp_path / "searches.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_query_is_needling_and_condition_and_rct_filter(tmp_path):
    defs = load_search_definitions(write(tmp_path, GOOD))
    assert defs.ids == ["all_dry_needling", "neck_pain"]
    assert defs.query("neck_pain") == (
        '("Dry Needling"[Mesh] OR "dry needling"[tiab]) AND ("Neck Pain"[Mesh] OR '
        '"neck pain"[tiab] OR "whiplash"[tiab]) AND (randomized [tiab] OR placebo [tiab])'
    )
    assert defs.query("neck_pain", rct_filter=False).endswith('"whiplash"[tiab])')
    # the all-trials search has no condition block
    assert (
        defs.query("all_dry_needling")
        == '("Dry Needling"[Mesh] OR "dry needling"[tiab]) AND (randomized [tiab] OR placebo [tiab])'
    )
    assert defs.condition("neck_pain").people == "neck pain"
    assert defs.condition("all_dry_needling").people == "musculoskeletal pain"


def test_search_ids_mark_unfiltered_searches():
    assert search_id("neck_pain") == "neck_pain"
    assert search_id("neck_pain", rct_filter=False) == "neck_pain.unfiltered"
    assert condition_of("neck_pain.unfiltered") == condition_of("neck_pain") == "neck_pain"


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda r: r.pop("rct_filter"), "missing 'rct_filter'"),
        (lambda r: r["conditions"].append({"id": "neck_pain", "label": "again"}), "duplicate id 'neck_pain'"),
        (lambda r: r["conditions"].append({"id": "Neck-Pain", "label": "x"}), "must be lower-case"),
        (lambda r: r["conditions"].append({"label": "no id"}), "needs an id and a label"),
        (lambda r: r["conditions"][1].update(mesh="Neck Pain"), "mesh and free_text must be lists"),
    ],
)
def test_broken_definitions_name_the_file_and_the_condition(tmp_path, change, message):
    raw = yaml.safe_load(yaml.safe_dump(GOOD))
    change(raw)
    with pytest.raises(ConfigError, match=message) as raised:
        load_search_definitions(write(tmp_path, raw))
    assert "searches.yaml" in str(raised.value)


def test_unknown_condition_lists_the_known_ones(tmp_path):
    defs = load_search_definitions(write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match="unknown condition id 'knee'; known: all_dry_needling, neck_pain"):
        defs.query("knee")
