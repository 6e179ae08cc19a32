"""Forest and funnel plots are written, contain what a reader needs, and are byte-stable."""

from __future__ import annotations

import pandas as pd

from evidence import plots


def _question(k: int) -> tuple[pd.Series, pd.DataFrame]:
    studies = pd.DataFrame({"question_id": "neck_pain:pain:sham:short", "study_id": [f"S{i}" for i in range(k)],
                            "yi": [-1.0 - 0.1 * i for i in range(k)], "vi": [0.1 + 0.02 * i for i in range(k)],
                            "weight": [100 / k] * k})
    studies["ci_low"] = studies["yi"] - 0.6
    studies["ci_high"] = studies["yi"] + 0.6
    q = pd.Series({"question_id": "neck_pain:pain:sham:short", "estimate": -1.3, "ci_low": -1.6, "ci_high": -1.0,
                   "pi_low": -2.0, "pi_high": -0.6, "measure": "MD", "scale": "pain 0-10", "mid": 2.0, "k": k})
    return q, studies


def test_forest_plot_has_studies_weights_diamond_pi_mid_and_direction(tmp_path):
    q, studies = _question(4)
    path = plots.forest_plot(q, studies, tmp_path / "f.svg", "sham needling")
    svg = path.read_text()
    for text in ("S0", "S3", "25.0%", "Pooled", "prediction interval", "minimal important difference (2)",
                 "favours dry needling", "favours sham needling"):
        assert text in svg, text
    first = path.read_bytes()
    plots.forest_plot(q, studies, tmp_path / "f.svg", "sham needling")
    assert path.read_bytes() == first  # no dates or random ids: rebuilds are byte-identical


def test_single_study_plot_has_no_prediction_interval(tmp_path):
    q, studies = _question(1)
    svg = plots.forest_plot(q, studies, tmp_path / "one.svg").read_text()
    assert "Result" in svg and "prediction interval" not in svg


def test_funnel_plot_is_written(tmp_path):
    q, studies = _question(12)
    path = plots.funnel_plot(studies, q["estimate"], tmp_path / "funnel.svg")
    assert path.stat().st_size > 1000 and "standard error" in path.read_text()
