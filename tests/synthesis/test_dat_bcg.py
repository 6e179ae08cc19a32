"""Ten or more studies, which the curated dry needling data never reach: leave-one-out, Egger's test,
the funnel plot and GRADE's publication-bias domain on metafor's reference data sets.

Data (numbers only, copied into tests/fixtures, see its README): dat.bcg (k = 13, log risk ratios)
and dat.egger2001 without ISIS-4 (k = 15, log odds ratios).

Reference values are metafor's own documented output:

- leave-one-out: the example output of ``leave1out(res)`` with ``res <- rma(yi, vi, data=dat)`` and
  ``dat <- escalc(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg)``, printed to 4
  decimals on https://wviechtb.github.io/metafor/reference/leave1out.html (wviechtb/metafor,
  docs/reference/leave1out.html); the first row at full precision from metafor's test suite
  (wviechtb/metafor, tests/testthat/test_misc_influence.r, "leave1out() works for rma()").
- Egger's test: https://wviechtb.github.io/metafor/reference/regtest.html (wviechtb/metafor,
  docs/reference/regtest.html), examples on dat.egger2001 without study 16.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from evidence.curation.schema import TABLES, Curated
from evidence.report import plots
from evidence.synthesis import grade, meta
from tests.paths import FIXTURES
from tests.svg_content import SvgPlot

D4 = 5e-5  # half a unit in the 4th printed decimal


def bcg() -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Log risk ratios: yi = log(a/(a+b)) - log(c/(c+d)), vi = 1/a - 1/(a+b) + 1/c - 1/(c+d)."""
    d = pd.read_csv(FIXTURES / "dat_bcg.csv")
    a, b, c, dd = (d[col].to_numpy(float) for col in ("tpos", "tneg", "cpos", "cneg"))
    return np.log(a / (a + b)) - np.log(c / (c + dd)), 1 / a - 1 / (a + b) + 1 / c - 1 / (c + dd), d


def egger2001() -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Log odds ratios as ``escalc(measure="OR", ai=ai, n1i=n1i, ci=ci, n2i=n2i, subset=-16)``: 1/2 is
    added to each cell of a table with a zero cell (escalc's default add=1/2, to="only0")."""
    d = pd.read_csv(FIXTURES / "dat_egger2001.csv").iloc[:15]
    cells = np.column_stack([d["ai"], d["n1i"] - d["ai"], d["ci"], d["n2i"] - d["ci"]]).astype(float)
    cells[(cells == 0).any(axis=1)] += 0.5
    a, b, c, dd = cells.T
    return np.log(a * dd / (b * c)), 1 / a + 1 / b + 1 / c + 1 / dd, d


# --- leave-one-out: metafor's leave1out(rma(yi, vi, data=dat)) for dat.bcg -------------------------

# estimate, se, zval, pval, ci.lb, ci.ub, Q, tau2, I2, H2 (the documented table, rows = omitted trial)
LEAVE1OUT = [
    (-0.7071, 0.1900, -3.7223, 0.0002, -1.0794, -0.3348, 151.5826, 0.3362, 93.2259, 14.7622),
    (-0.6540, 0.1807, -3.6195, 0.0003, -1.0082, -0.2999, 145.3176, 0.2926, 92.2540, 12.9098),
    (-0.6856, 0.1857, -3.6916, 0.0002, -1.0495, -0.3216, 150.1970, 0.3207, 92.9354, 14.1551),
    (-0.6284, 0.1766, -3.5580, 0.0004, -0.9746, -0.2822, 96.5626, 0.2628, 90.4125, 10.4302),
    (-0.7642, 0.1918, -3.9845, 0.0001, -1.1401, -0.3883, 151.3200, 0.3278, 92.7634, 13.8187),
    (-0.7109, 0.2003, -3.5499, 0.0004, -1.1034, -0.3184, 128.1867, 0.3596, 90.9118, 11.0033),
    (-0.6552, 0.1805, -3.6307, 0.0003, -1.0090, -0.3015, 145.8296, 0.2930, 92.2777, 12.9495),
    (-0.7948, 0.1799, -4.4184, 0.0000, -1.1473, -0.4422, 67.9858, 0.2732, 87.0314, 7.7109),
    (-0.7412, 0.1967, -3.7686, 0.0002, -1.1267, -0.3557, 152.2051, 0.3495, 93.2133, 14.7346),
    (-0.6530, 0.1843, -3.5439, 0.0004, -1.0142, -0.2919, 139.8271, 0.2987, 92.2322, 12.8737),
    (-0.7579, 0.1958, -3.8708, 0.0001, -1.1416, -0.3741, 151.4655, 0.3405, 91.8110, 12.2114),
    (-0.7598, 0.1821, -4.1727, 0.0000, -1.1167, -0.4029, 150.7868, 0.3082, 92.6782, 13.6579),
    (-0.7775, 0.1855, -4.1908, 0.0000, -1.1412, -0.4139, 149.7884, 0.3037, 92.3444, 13.0623),
]
FIELDS = ("estimate", "se", "statistic", "p", "ci_low", "ci_high", "q", "tau2", "i2", "h2")


@pytest.fixture(scope="module")
def loo():
    yi, vi, d = bcg()
    return meta.leave_one_out(yi, vi, list(d["author"]))


@pytest.mark.parametrize("row", range(13), ids=lambda i: f"without-trial-{i + 1}")
def test_leave_one_out_matches_metafor_leave1out(loo, row):
    _, res = loo[row]
    ours = tuple(getattr(res, f) for f in FIELDS)
    assert ours == pytest.approx(LEAVE1OUT[row], abs=D4)
    assert (res.k, res.q_df, res.method) == (12, 11, "REML")


def test_leave_one_out_first_row_at_full_precision(loo):
    # metafor tests/testthat/test_misc_influence.r, "leave1out() works for rma()", inf[1]
    _, res = loo[0]
    expected = {
        "estimate": -0.707083788031436,
        "se": 0.189961024702717,
        "statistic": -3.72225717953459,
        "p": 0.000197449759023198,
        "ci_low": -1.07940055491509,
        "ci_high": -0.334767021147788,
        "q": 151.582572747109,
        "q_p": 7.0778599767807e-27,
        "tau2": 0.336156745300306,
        "i2": 93.2259349111223,
        "h2": 14.762184698253,
    }
    assert {f: getattr(res, f) for f in expected} == pytest.approx(expected, rel=1e-6)


def test_leave_one_out_keeps_the_labels_in_input_order(loo):
    _, _, d = bcg()
    assert [label for label, _ in loo] == list(d["author"])


# --- Egger's test -----------------------------------------------------------------------------------


def test_egger2001_log_odds_ratios_match_the_documented_escalc_output():
    # regtest.html prints dat$yi after escalc(measure="OR", ..., subset=-16); trial 8 has a zero cell.
    yi, _, _ = egger2001()
    documented = [
        -0.83034830,
        -1.05605267,
        -1.27833981,
        -0.04348511,
        0.22314355,
        -2.40751999,
        -1.28093385,
        -1.19170271,
        -0.69574796,
        -2.20827441,
        -2.03815988,
        -0.85015093,
        -0.79323064,
        -0.29933987,
        -1.57078846,
    ]
    assert yi == pytest.approx(documented, abs=5e-9)
    # ...and the random-effects fit printed on the same page (so the variances are right too):
    # estimate -0.8745, se 0.2080, tau^2 0.1911, I^2 38.19%, Q(df = 14) = 20.9184
    res = meta.pool(*egger2001()[:2])
    assert (res.estimate, res.se, res.tau2, res.q) == pytest.approx((-0.8745, 0.2080, 0.1911, 20.9184), abs=D4)
    assert res.i2 == pytest.approx(38.19, abs=5e-3)


def test_egger_matches_metafor_classical_regtest():
    """egger_test is the classical Egger test: in metafor,
    ``regtest(rma(yi, vi, data=dat), model="lm", predictor="sei")`` (weighted regression with a
    multiplicative dispersion term), documented for dat.egger2001 without ISIS-4 as
    t = -3.1783, df = 13, p = 0.0073.

    metafor's default ``regtest(res)`` (model="rma": a mixed-effects meta-regression on sei, z test)
    gives z = -2.8062, p = 0.0050 on the same data; egger_test does not implement that variant."""
    yi, vi, _ = egger2001()
    intercept, se, p = meta.egger_test(yi, vi)
    assert intercept / se == pytest.approx(-3.1783, abs=D4)
    assert p == pytest.approx(0.0073, abs=D4)
    assert abs(intercept / se - (-2.8062)) > 0.1  # not the model="rma" test


def test_egger_on_bcg_runs_with_k_13_and_finds_no_asymmetry():
    # No published value found for dat.bcg; t = -1.4013 on 11 df (p = 0.1887) agrees with an OLS fit by
    # statsmodels (tests/test_meta.py::test_egger_matches_statsmodels_ols_and_weighted_form).
    yi, vi, _ = bcg()
    intercept, se, p = meta.egger_test(yi, vi)
    assert intercept / se == pytest.approx(-1.4013, abs=D4)
    assert p == pytest.approx(0.1887, abs=D4)
    with pytest.raises(ValueError, match="at least 14"):
        meta.egger_test(yi, vi, min_k=14)


# --- funnel plot with k = 13 ------------------------------------------------------------------------


def test_funnel_plot_of_bcg_shows_13_studies_and_the_pseudo_confidence_region(tmp_path):
    yi, vi, _ = bcg()
    estimate = meta.pool(yi, vi).estimate
    svg = SvgPlot(plots.funnel_plot(pd.DataFrame({"yi": yi, "vi": vi}), estimate, tmp_path / "funnel.svg"))
    sei = np.sqrt(vi)
    points = sorted(svg.points())
    assert len(points) == 13
    assert np.array(points) == pytest.approx(np.array(sorted(zip(yi, sei))), abs=1e-4)
    ((vertices, style),) = svg.lines()
    top = 1.1 * sei.max()
    expected = [(estimate - 1.96 * top, top), (estimate, 0.0), (estimate + 1.96 * top, top)]
    assert np.array(vertices) == pytest.approx(np.array(expected), abs=1e-4)
    assert "stroke-dasharray" in style
    assert svg.axis_label("x") == "effect (negative favours dry needling)"
    assert svg.axis_label("y") == "standard error"
    y_ticks = {label: pixel for pixel, label in svg.ticks("y")}
    assert y_ticks["0.0"] < y_ticks["0.5"]  # standard error 0 at the top: precise studies at the apex


# --- GRADE publication bias with k >= 10, through certainty_table ------------------------------------


def _certainty_row(yi: np.ndarray, vi: np.ndarray, qid: str) -> pd.Series:
    res = meta.pool(yi, vi)
    ids = [f"T{i + 1}" for i in range(len(yi))]
    question = {
        "question_id": qid,
        "outcome_domain": "other",
        "measure": "logRR",
        "mid": math.nan,
        "k": res.k,
        "n_participants": 10000,
        "estimate": res.estimate,
        "ci_low": res.ci_low,
        "ci_high": res.ci_high,
        "pi_low": res.pi_low,
        "pi_high": res.pi_high,
        "i2": res.i2,
    }
    forest = pd.DataFrame({"question_id": qid, "study_id": ids, "yi": yi, "vi": vi, "weight": res.weights})
    tables = {name: pd.DataFrame(columns=[c.name for c in cols], dtype=str) for name, (_, cols) in TABLES.items()}
    table = grade.certainty_table(pd.DataFrame([question]), forest, Curated(tables))
    assert len(table) == 1
    return table.iloc[0]


def test_grade_publication_bias_not_downgraded_for_bcg():
    yi, vi, _ = bcg()
    row = _certainty_row(yi, vi, "bcg:other:no_treatment:any")
    assert row["publication_bias"] == 0
    assert "publication_bias: no small-study effect detected (Egger p = 0.189)" in row["reasons"]
    assert row["inconsistency"] == 2  # I^2 92%


def test_grade_publication_bias_downgraded_for_egger2001():
    yi, vi, _ = egger2001()
    row = _certainty_row(yi, vi, "magnesium:other:no_treatment:any")
    assert row["publication_bias"] == 1
    assert "publication_bias: serious: small-study effect (Egger p = 0.007)" in row["reasons"]


def test_grade_publication_bias_is_not_assessed_below_10_studies():
    yi, vi, _ = bcg()
    row = _certainty_row(yi[:9], vi[:9], "bcg9:other:no_treatment:any")
    assert row["publication_bias"] == 0
    assert "publication_bias: not assessable with fewer than 10 studies" in row["reasons"]
