"""Tests for evidence.synthesis.meta against metafor's documented results, plus conventions.

Tolerances: reference values are printed rounded (4 or 2 decimals), so each comparison
allows half a unit in the last printed decimal.
"""

import math

import numpy as np
import pandas as pd
import pytest

from evidence.synthesis import effects, meta
from tests.paths import FIXTURES

BCG_COPY = FIXTURES / "dat_bcg.csv"  # numbers only, copied from METAFOR_REF
D4 = 5e-5  # half a unit in the 4th decimal
D2 = 5e-3  # half a unit in the 2nd decimal


@pytest.fixture(scope="module")
def bcg() -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """dat.bcg as log risk ratios: yi = log(a/(a+b)) - log(c/(c+d)),
    vi = 1/a - 1/(a+b) + 1/c - 1/(c+d) (README.md in ../shared/reference/metafor), from the copy in tests/fixtures."""
    d = pd.read_csv(BCG_COPY)
    a, b, c, dd = (d[col].to_numpy(float) for col in ("tpos", "tneg", "cpos", "cneg"))
    yi = np.log(a / (a + b)) - np.log(c / (c + dd))
    vi = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + dd)
    return yi, vi, d


def test_fixture_copy_of_bcg_equals_the_shared_reference(shared):
    reference = shared("reference/metafor", "metafor reference data") / "dat_bcg.csv"
    assert BCG_COPY.read_bytes() == reference.read_bytes()


# --- dat.bcg: every number of the README table (metafor 5.1-12; Viechtbauer 2010) -------

# (method, hksj, field, expected)
BCG_TABLE = [
    ("FE", False, "estimate", -0.4303),
    ("FE", False, "se", 0.0405),
    ("FE", False, "ci_low", -0.5097),
    ("FE", False, "ci_high", -0.3509),
    ("FE", False, "tau2", 0.0),
    ("FE", False, "statistic", -10.6247),
    ("FE", False, "q", 152.2330),
    ("DL", False, "estimate", -0.7141),
    ("DL", False, "se", 0.1787),
    ("DL", False, "ci_low", -1.0644),
    ("DL", False, "ci_high", -0.3638),
    ("DL", False, "tau2", 0.3088),
    ("DL", False, "i2", 92.1173),
    ("DL", False, "statistic", -3.9952),
    ("DL", False, "h2", 12.6861),
    ("REML", False, "estimate", -0.7145),
    ("REML", False, "se", 0.1798),
    ("REML", False, "ci_low", -1.0669),
    ("REML", False, "ci_high", -0.3622),
    ("REML", False, "tau2", 0.3132),
    ("REML", False, "tau2_se", 0.1664),
    ("REML", False, "i2", 92.2214),
    ("REML", False, "statistic", -3.9744),
    ("REML", False, "h2", 12.8558),
    ("REML", True, "estimate", -0.7145),
    ("REML", True, "se", 0.1808),
    ("REML", True, "ci_low", -1.1084),
    ("REML", True, "ci_high", -0.3206),
    ("REML", True, "tau2", 0.3132),
    ("REML", True, "i2", 92.2214),
    ("REML", True, "statistic", -3.9522),
    ("REML", True, "p", 0.0019),
    ("PM", False, "tau2", 0.3181),
]


@pytest.mark.parametrize("method, hksj, field, expected", BCG_TABLE)
def test_bcg_matches_metafor(bcg, method, hksj, field, expected):
    yi, vi, _ = bcg
    res = meta.pool(yi, vi, method=method, hksj=hksj)
    assert getattr(res, field) == pytest.approx(expected, abs=D4)
    assert res.k == 13 and res.q_df == 12


def test_bcg_reml_back_transformed_ci_and_prediction_interval(bcg):
    # predict(rma(yi, vi, data=dat), transf=exp): 0.4894 [0.3441, 0.6962], PI [0.1546, 1.5490]
    yi, vi, _ = bcg
    res = meta.pool(yi, vi)
    back = [math.exp(x) for x in (res.estimate, res.ci_low, res.ci_high, res.pi_low, res.pi_high)]
    assert back == pytest.approx([0.4894, 0.3441, 0.6962, 0.1546, 1.5490], abs=D4)


def test_bcg_hksj_prediction_interval_uses_t(bcg):
    # From the README's REML + Knapp-Hartung values (estimate -0.7145, se 0.1808, tau^2 0.3132) and
    # t_{0.975, 12} = 2.178813: half-width 2.178813 * sqrt(0.3132 + 0.1808^2) = 2.178813 * 0.58812 = 1.2814,
    # so the PI is (-1.9959, 0.5669); with z = 1.959964 it would be (-1.8672, 0.4382). Rounding of the
    # 4-decimal inputs moves the limits by at most 2e-4.
    yi, vi, _ = bcg
    res = meta.pool(yi, vi, hksj=True)
    assert (res.pi_low, res.pi_high) == pytest.approx((-1.9959, 0.5669), abs=3e-4)


# --- dat.normand1999: a continuous outcome (length of hospital stay, days) -------------

# Source: metadat data-raw/dat.normand1999.txt (Normand 1999, Stat Med 18:321-359, Table VIII).
# Columns: n1i, m1i, sd1i (specialist stroke unit), n2i, m2i, sd2i (routine care).
NORMAND = [
    (155, 55, 47, 156, 75, 64),
    (31, 27, 7, 32, 29, 4),
    (75, 64, 17, 71, 119, 29),
    (18, 66, 20, 18, 137, 48),
    (8, 14, 8, 13, 18, 11),
    (57, 19, 7, 52, 18, 4),
    (34, 52, 45, 33, 41, 34),
    (110, 21, 16, 183, 31, 27),
    (60, 30, 27, 52, 23, 20),
]

# Expected values from metafor tests/testthat/test_analysis_example_normand1999.r
# (which compares them with Normand 1999, Tables VIII and IX), produced by:
#   dat.normand1999$sdpi <- with(dat.normand1999,
#       sqrt(((n1i-1)*sd1i^2 + (n2i-1)*sd2i^2)/(n1i+n2i-2)))
#   dat <- escalc(m1i=m1i, sd1i=sdpi, n1i=n1i, m2i=m2i, sd2i=sdpi, n2i=n2i,
#                 measure="MD", data=dat.normand1999)
#   rma(yi, vi, data=dat, method="FE")   # -3.49  [-5.03, -1.96]
#   rma(yi, vi, data=dat, method="DL")   # -14.10 [-24.45, -3.75], tau2 = 218.72
#   rma(yi, vi, data=dat)                # -15.12 [-32.67, 2.43],  tau2 = 685.20 (REML)
NORMAND_YI = [-20, -2, -55, -71, -4, 1, 11, -10, 7]
NORMAND_VI = [40.59, 2.05, 15.28, 150.22, 20.19, 1.22, 95.38, 8.03, 20.69]
NORMAND_POOLED = {
    "FE": (-3.49, -5.03, -1.96, 0.0),
    "DL": (-14.10, -24.45, -3.75, 218.72),
    "REML": (-15.12, -32.67, 2.43, 685.20),
}


@pytest.fixture(scope="module")
def normand() -> tuple[list[float], list[float]]:
    yi, vi = [], []
    for n1, m1, sd1, n2, m2, sd2 in NORMAND:
        sdp = math.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / (n1 + n2 - 2))
        y, v = effects.mean_difference(m1, sdp, n1, m2, sdp, n2)
        yi.append(y)
        vi.append(v)
    return yi, vi


def test_normand_mean_differences_match_table_viii(normand):
    yi, vi = normand
    assert yi == NORMAND_YI
    assert vi == pytest.approx(NORMAND_VI, abs=D2)


@pytest.mark.parametrize("method", sorted(NORMAND_POOLED))
def test_normand_pooled_matches_metafor(normand, method):
    res = meta.pool(*normand, method=method)
    got = (res.estimate, res.ci_low, res.ci_high, res.tau2)
    assert got == pytest.approx(NORMAND_POOLED[method], abs=D2)


# --- conventions -----------------------------------------------------------------------


@pytest.mark.parametrize("method", meta.METHODS)
def test_homogeneous_data_gives_tau2_zero(method):
    # Identical effects: Q = 0 < k - 1, so every estimator truncates tau2 at exactly 0.
    res = meta.pool([0.3, 0.3, 0.3, 0.3], [0.01, 0.04, 0.02, 0.09], method=method)
    assert res.tau2 == 0.0
    assert res.i2 == 0.0
    assert res.q == pytest.approx(0.0, abs=1e-12)


def test_hksj_with_identical_estimates_has_zero_se():
    # Knapp-Hartung SE = 0 when every study has the same estimate (metafor: zval = Inf).
    res = meta.pool([0.3, 0.3, 0.3], [0.01, 0.04, 0.02], hksj=True)
    assert (res.se, res.statistic, res.p) == (0.0, math.inf, 0.0)
    assert res.ci_low == res.ci_high == pytest.approx(0.3)


@pytest.mark.parametrize("method", ["DL", "REML", "PM"])
def test_random_effects_without_heterogeneity_equals_fixed_effect(method):
    yi, vi = [0.10, 0.12, 0.09, 0.11], [0.04, 0.05, 0.03, 0.06]  # Q well below k - 1
    re, fe = meta.pool(yi, vi, method=method), meta.pool(yi, vi, method="FE")
    assert re.tau2 == 0.0
    assert (re.estimate, re.se) == pytest.approx((fe.estimate, fe.se), rel=1e-12)


@pytest.mark.parametrize("method", meta.METHODS)
@pytest.mark.parametrize("seed", range(20))
def test_heterogeneity_statistics_in_range(method, seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 15))
    vi = rng.uniform(0.01, 0.5, k)
    yi = rng.normal(0, np.sqrt(vi + rng.choice([0.0, 0.2])))
    res = meta.pool(yi, vi, method=method)
    assert res.tau2 >= 0
    assert 0 <= res.i2 <= 100
    assert sum(res.weights) == pytest.approx(100)
    if method != "FE":
        assert res.h2 >= 1
        assert res.pi_low <= res.ci_low and res.ci_high <= res.pi_high


def test_fixed_effect_i2_h2_and_prediction_interval():
    # y = (0, 1), v = (1, 1): mu = 0.5, Q = 0.25 + 0.25 = 0.5 on df = 1 (Q < df)
    res = meta.pool([0.0, 1.0], [1.0, 1.0], method="FE")
    assert res.q == pytest.approx(0.5)
    assert res.i2 == 0.0  # max(0, (Q - df) / Q)
    assert res.h2 == pytest.approx(0.5)  # Q / df, not truncated (as in metafor)
    assert (res.pi_low, res.pi_high) == (res.ci_low, res.ci_high)
    res = meta.pool([0.0, 3.0], [1.0, 1.0], method="FE")  # Q = 4.5
    assert res.i2 == pytest.approx(100 * 3.5 / 4.5)


def test_level_changes_interval_width(bcg):
    yi, vi, _ = bcg
    r95, r90 = meta.pool(yi, vi, level=0.95), meta.pool(yi, vi, level=0.90)
    assert r90.ci_high - r90.ci_low == pytest.approx((r95.ci_high - r95.ci_low) * 1.644854 / 1.959964, rel=1e-6)


def test_single_study_is_returned_as_is():
    res = meta.pool([-0.4], [0.04], method="REML", hksj=True)
    assert res.k == 1
    assert (res.estimate, res.se, res.tau2) == (-0.4, 0.2, 0.0)
    half = 1.959964 * 0.2
    assert (res.ci_low, res.ci_high) == pytest.approx((-0.4 - half, -0.4 + half))
    assert res.hksj is False  # no df for a t distribution with k = 1
    assert res.weights == (100.0,)
    for field in ("i2", "h2", "q", "q_p", "pi_low", "pi_high", "tau2_se"):
        assert math.isnan(getattr(res, field)), field


def test_pooled_sign_follows_effects_convention():
    # Three trials where the dry needling arm ends with less pain: pooled MD is negative.
    studies = [
        (3.1, 1.9, 30, 4.6, 2.1, 30),
        (2.8, 2.2, 25, 3.9, 2.0, 24),
        (4.0, 2.5, 40, 4.9, 2.4, 41),
    ]
    yi, vi = zip(*(effects.mean_difference(*s) for s in studies))
    res = meta.pool(yi, vi)
    assert res.estimate < 0 and res.ci_high < 0


@pytest.mark.parametrize(
    "yi, vi, kw",
    [
        ([0.1, 0.2], [0.1], {}),  # length mismatch
        ([], [], {}),
        ([0.1, 0.2], [0.1, 0.0], {}),
        ([0.1, 0.2], [0.1, -0.1], {}),
        ([0.1, 0.2], [0.1, float("inf")], {}),
        ([0.1, 0.2], [0.1, float("nan")], {}),
        ([0.1, float("nan")], [0.1, 0.1], {}),
        ([[0.1, 0.2]], [[0.1, 0.1]], {}),
        ([0.1, 0.2], [0.1, 0.1], {"method": "SJ"}),
        ([0.1, 0.2], [0.1, 0.1], {"level": 95}),
    ],
)
def test_invalid_input_raises_value_error(yi, vi, kw):
    with pytest.raises(ValueError):
        meta.pool(yi, vi, **kw)


# --- leave-one-out and subgroups -------------------------------------------------------


def test_leave_one_out_passes_options_to_pool(bcg):
    # The numbers themselves are checked against metafor's leave1out table in tests/test_dat_bcg.py.
    yi, vi, d = bcg
    out = meta.leave_one_out(yi, vi, list(d["author"]), method="DL", hksj=True)
    assert [lab for lab, _ in out] == list(d["author"])
    assert {(res.k, res.method, res.hksj) for _, res in out} == {(12, "DL", True)}
    # Omitting a study changes the pooled estimate (no accidental reuse of the full data).
    full = meta.pool(yi, vi, method="DL")
    assert all(res.estimate != full.estimate for _, res in out)


def test_leave_one_out_checks_labels():
    with pytest.raises(ValueError):
        meta.leave_one_out([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], ["a", "b"])
    with pytest.raises(ValueError):
        meta.leave_one_out([0.1], [0.1], ["a"])


def test_subgroups_pool_each_group():
    # Group "a": y = (0, 1), v = (1, 1): estimate 0.5, se sqrt(1/2) (Q = 0.5 < df, so tau2 = 0 for REML);
    # group "b": one study, returned as is. Groups come in order of first appearance.
    res = meta.subgroups([2.0, 0.0, 1.0], [4.0, 1.0, 1.0], ["b", "a", "a"], method="REML")
    assert list(res) == ["b", "a"]
    assert (res["a"].k, res["a"].estimate, res["a"].se, res["a"].tau2) == (2, 0.5, pytest.approx(math.sqrt(0.5)), 0.0)
    assert (res["b"].k, res["b"].estimate, res["b"].se) == (1, 2.0, 2.0)


def test_subgroups_of_bcg_by_allocation(bcg):
    yi, vi, d = bcg
    res = meta.subgroups(yi, vi, list(d["alloc"]), method="REML")
    assert {g: r.k for g, r in res.items()} == {"random": 7, "alternate": 2, "systematic": 4}


def test_subgroup_difference_fixed_effect_partitions_q(bcg):
    # With FE pooling, Q_total = Q_between + sum(Q_within).
    yi, vi, d = bcg
    alloc = list(d["alloc"])
    q_between, df, p = meta.subgroup_difference(yi, vi, alloc, method="FE")
    q_within = sum(r.q for r in meta.subgroups(yi, vi, alloc, method="FE").values())
    assert q_between == pytest.approx(meta.pool(yi, vi, method="FE").q - q_within, rel=1e-10)
    assert df == 2
    assert 0 < p < 1


def test_subgroup_difference_two_single_studies():
    # Two one-study groups: Q = (y1 - y2)^2 / (v1 + v2) = 0.36 / 0.1 = 3.6 on 1 df.
    q, df, p = meta.subgroup_difference([-0.5, 0.1], [0.04, 0.06], ["dn", "sham"])
    assert (q, df) == (pytest.approx(3.6), 1)
    assert p == pytest.approx(0.0577795, abs=1e-6)  # 1 - pchisq(3.6, 1)


def test_subgroup_difference_needs_two_groups():
    with pytest.raises(ValueError):
        meta.subgroup_difference([0.1, 0.2], [0.1, 0.1], ["a", "a"])


# --- Egger's test ------------------------------------------------------------------------


def test_egger_refuses_fewer_than_min_k():
    # Six studies mirrored around 0.3 at three SEs: the Egger intercept is exactly 0 (p = 1).
    se = np.repeat([0.1, 0.3, 0.5], 2)
    yi = 0.3 + np.tile([0.2, -0.2], 3) * se
    with pytest.raises(ValueError, match="needs at least 10 studies, got 6"):
        meta.egger_test(yi, se**2)
    intercept, _, p = meta.egger_test(yi, se**2, min_k=6)  # a lower min_k lets it run
    assert intercept == pytest.approx(0, abs=1e-10) and p == pytest.approx(1)
    with pytest.raises(ValueError, match="needs at least 3 studies, got 2"):
        meta.egger_test(yi[:2], se[:2] ** 2, min_k=0)  # never below 3


def test_egger_detects_constructed_asymmetry():
    # Small studies (large SE) report larger benefits: y_i = -0.2 - 1.5 se_i + noise.
    rng = np.random.default_rng(1)
    se = np.linspace(0.05, 0.6, 20)
    yi = -0.2 - 1.5 * se + rng.normal(0, 0.02, 20)
    intercept, _, p = meta.egger_test(yi, se**2)
    assert intercept == pytest.approx(-1.5, abs=0.2)
    assert p < 0.001


def test_egger_symmetric_funnel_has_zero_intercept():
    # Pairs mirrored around 0.3 at each SE: the intercept is exactly 0 and p = 1.
    se = np.repeat(np.linspace(0.1, 0.5, 6), 2)
    yi = 0.3 + np.tile([0.2, -0.2], 6) * se
    intercept, _, p = meta.egger_test(yi, se**2)
    assert intercept == pytest.approx(0, abs=1e-10)
    assert p == pytest.approx(1)


def test_egger_matches_statsmodels_ols_and_weighted_form(bcg):
    sm = pytest.importorskip("statsmodels.api")
    yi, vi, _ = bcg
    sei = np.sqrt(vi)
    intercept, se, p = meta.egger_test(yi, vi)
    ols = sm.OLS(yi / sei, sm.add_constant(1 / sei)).fit()
    expected = (ols.params[0], ols.bse[0], ols.pvalues[0])
    assert (intercept, se, p) == pytest.approx(expected, rel=1e-8)
    # metafor regtest(model="lm", predictor="sei"): weighted lm(yi ~ sei, weights = 1/vi).
    wls = sm.WLS(yi, sm.add_constant(sei), weights=1 / vi).fit()
    assert intercept / se == pytest.approx(wls.tvalues[1], rel=1e-8)
