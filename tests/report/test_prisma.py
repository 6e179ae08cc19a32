"""The PRISMA 2020 diagram: its numbers, what it says when no search has run, and valid SVG."""

from __future__ import annotations

import pandas as pd
from lxml import etree

from evidence.report.prisma import NOT_SEARCHED, flow_svg

SVG = "{http://www.w3.org/2000/svg}"


def flow(**values) -> dict:
    base = {
        "condition_id": "neck_pain",
        "searched": True,
        "identified_pubmed": 41,
        "identified_other": 3,
        "screened": 12,
        "awaiting_screening": 30,
        "excluded": 4,
        "included": 8,
        "included_with_data": 5,
    }
    return {**base, **values}


def texts(svg: str) -> list[str]:
    root = etree.fromstring(svg.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.tag == SVG + "svg"
    return [t.text for t in root.iter(SVG + "text")]


def test_every_number_of_the_flow_is_drawn():
    reasons = pd.Series(["not randomised", "not dry needling", "not randomised", "duplicate publication"])
    lines = texts(flow_svg(flow(), reasons, "Neck pain"))
    joined = " ".join(lines)
    for number in ("n = 41", "n = 3", "n = 12", "n = 30", "n = 5"):
        assert number in joined, number
    assert "Studies included: n = 8" in lines and "Studies excluded: n = 4" in lines
    # reasons counted, most frequent first; no line break inside "(n = 2)"
    assert lines[lines.index("with reasons:") + 1] == "- not randomised (n\u00a0=\u00a02)"
    assert NOT_SEARCHED not in joined and "stroke-dasharray" not in flow_svg(flow(), reasons, "Neck pain")


def test_before_any_search_the_pubmed_boxes_say_why_and_are_dashed():
    svg = flow_svg(flow(searched=False, identified_pubmed=0, awaiting_screening=0), pd.Series(dtype=str), "Neck pain")
    joined = " ".join(texts(svg))
    assert "no PubMed search has been run" in joined and "n = 0" not in joined.split("other sources")[0]
    assert "stroke-dasharray" in svg


def test_same_flow_gives_the_same_bytes():
    reasons = pd.Series(["b reason", "a reason"])
    assert flow_svg(flow(), reasons, "Neck pain") == flow_svg(flow(), reasons, "Neck pain")
