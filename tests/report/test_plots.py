"""Forest and funnel plots are written, contain what a reader needs (read back from the SVG in data
coordinates, tests/svg_content.py), and are byte-stable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evidence.report import plots
from tests.svg_content import SvgPlot


def _question(k: int) -> tuple[pd.Series, pd.DataFrame]:
    studies = pd.DataFrame(
        {
            "question_id": "neck_pain:pain:sham:short",
            "study_id": [f"S{i}" for i in range(k)],
            "yi": [-1.0 - 0.1 * i for i in range(k)],
            "vi": [0.1 + 0.02 * i for i in range(k)],
            "weight": [100 / k] * k,
        }
    )
    studies["ci_low"] = studies["yi"] - 0.6
    studies["ci_high"] = studies["yi"] + 0.6
    q = pd.Series(
        {
            "question_id": "neck_pain:pain:sham:short",
            "estimate": -1.3,
            "ci_low": -1.6,
            "ci_high": -1.0,
            "pi_low": -2.0,
            "pi_high": -0.6,
            "measure": "MD",
            "scale": "pain 0-10",
            "mid": 2.0,
            "k": k,
            "tau2": 0.0512,
            "i2": 31.4,
            "method": "REML",
        }
    )
    return q, studies


def test_forest_plot_has_studies_weights_diamond_pi_mid_and_direction(tmp_path):
    q, studies = _question(4)
    path = plots.forest_plot(q, studies, tmp_path / "f.svg", "sham needling")
    svg = SvgPlot(path)
    # Studies top to bottom, then the pooled row; one weight per study.
    assert [label for _, label in sorted(svg.ticks("y"))] == [
        "S0",
        "S1",
        "S2",
        "S3",
        "Pooled, random effects (REML)",
    ]
    texts = svg.texts()
    for r in studies.itertuples():  # each study's estimate and CI as numbers, and its weight
        assert f"{r.yi:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]" in texts
    assert texts.count("25.0%") == 4 and "-1.30 [-1.60, -1.00]" in texts
    assert "\u03c4\u00b2 = 0.051; I\u00b2 = 31%; 95% prediction interval -2.00 to -0.60" in texts
    assert svg.legend() == ["prediction interval", "minimal important difference (2)"]
    x_label = svg.axis_label("x")
    assert x_label.startswith("MD (pain 0-10)") and "\u2190 favours dry needling" in x_label
    assert x_label.endswith("favours sham needling \u2192")
    # Each study's CI as a horizontal line from ci_low to ci_high; the PI; the line of no effect and the MID.
    segments = {tuple(np.round([v[0][0], v[-1][0]], 3)) for v, _ in svg.lines() if len(v) == 2}
    for r in studies.itertuples():
        assert (round(r.ci_low, 3), round(r.ci_high, 3)) in segments
    assert (-2.0, -0.6) in segments  # prediction interval
    (diamond,) = svg.filled_shapes()
    assert sorted(round(x, 3) for x, _ in diamond) == [-1.6, -1.3, -1.3, -1.0]  # CI ends and the estimate
    vertical = {round(v[0][0], 3) for v, _ in svg.lines() if len(v) == 2 and v[0][0] == pytest.approx(v[1][0])}
    assert {0.0, -2.0} <= vertical  # no effect and -MID
    first = path.read_bytes()
    plots.forest_plot(q, studies, tmp_path / "f.svg", "sham needling")
    assert path.read_bytes() == first  # no dates or random ids: rebuilds are byte-identical


def test_a_single_study_is_drawn_as_a_study_without_diamond_or_pooled_statistics(tmp_path):
    q, studies = _question(1)
    svg = SvgPlot(plots.forest_plot(q, studies, tmp_path / "one.svg"))
    assert [label for _, label in svg.ticks("y")] == ["S0"]
    texts = svg.texts()
    assert "100.0%" in texts and "-1.00 [-1.60, -0.40]" in texts
    assert not any("\u03c4\u00b2" in t or "I\u00b2" in t for t in texts)
    assert svg.legend() == ["minimal important difference (2)"]  # the MID, and no prediction interval
    assert svg.filled_shapes() == []  # no diamond
    assert svg.axis_label("x").endswith("favours control \u2192")


def test_two_studies_are_pooled_without_a_prediction_interval(tmp_path):
    q, studies = _question(2)
    svg = SvgPlot(plots.forest_plot(q, studies, tmp_path / "two.svg"))
    assert len(svg.filled_shapes()) == 1
    assert any("prediction interval: needs 3 or more studies" in t for t in svg.texts())
    assert "prediction interval" not in svg.legend()


def test_funnel_plot_shows_each_study_and_the_pseudo_95_percent_region(tmp_path):
    q, studies = _question(12)
    svg = SvgPlot(plots.funnel_plot(studies, q["estimate"], tmp_path / "funnel.svg"))
    se = np.sqrt(studies["vi"].to_numpy())
    assert np.array(sorted(svg.points())) == pytest.approx(np.array(sorted(zip(studies["yi"], se))), abs=1e-4)
    ((vertices, style),) = svg.lines()
    top = 1.1 * se.max()
    expected = [(-1.3 - 1.96 * top, top), (-1.3, 0.0), (-1.3 + 1.96 * top, top)]
    assert np.array(vertices) == pytest.approx(np.array(expected), abs=1e-4)
    assert "stroke-dasharray" in style
    assert (svg.axis_label("x"), svg.axis_label("y")) == ("effect (negative favours dry needling)", "standard error")
