"""Tests for evidence.synthesis.effects: published reference values, hand computations, conventions."""

import math

import pytest

from evidence.synthesis import effects

# dat.normand1999, studies 1-4 (metadat data-raw/dat.normand1999.txt; Normand 1999,
# Stat Med 18:321-359): n1i, m1i, sd1i (specialist care), n2i, m2i, sd2i (routine care).
NORMAND_1_4 = [
    (155, 55, 47, 156, 75, 64),
    (31, 27, 7, 32, 29, 4),
    (75, 64, 17, 71, 119, 29),
    (18, 66, 20, 18, 137, 48),
]


# --- sign convention: dry needling (arm 1) minus control (arm 2) -----------------------


def test_sign_convention_lower_in_dry_needling_arm_is_negative():
    # Dry needling arm ends with less pain (3.0 vs 4.5 on NPRS 0-10).
    md, _ = effects.mean_difference(3.0, 2.0, 40, 4.5, 2.2, 38)
    g, _ = effects.hedges_g(3.0, 2.0, 40, 4.5, 2.2, 38)
    assert md == pytest.approx(-1.5)
    assert g < 0


def test_swapping_arms_flips_sign_and_keeps_variance():
    md, var = effects.mean_difference(3.0, 2.0, 40, 4.5, 2.2, 38)
    md_rev, var_rev = effects.mean_difference(4.5, 2.2, 38, 3.0, 2.0, 40)
    g, vg = effects.hedges_g(3.0, 2.0, 40, 4.5, 2.2, 38)
    g_rev, vg_rev = effects.hedges_g(4.5, 2.2, 38, 3.0, 2.0, 40)
    assert (md_rev, var_rev) == pytest.approx((-md, var))
    assert (g_rev, vg_rev) == pytest.approx((-g, vg))


# --- mean difference and rescaling ------------------------------------------------------


def test_mean_difference_formula():
    # 2.0^2/40 + 2.2^2/38 = 0.1 + 0.127368... = 0.227368...
    md, var = effects.mean_difference(3.0, 2.0, 40, 4.5, 2.2, 38)
    assert var == pytest.approx(0.1 + 4.84 / 38, rel=1e-12)
    assert md == -1.5


def test_rescale_vas_mm_to_0_10():
    # MD of -15 mm (variance 25 mm^2) on a VAS 0-100 is -1.5 (variance 0.25) on 0-10.
    assert effects.rescale(-15.0, 25.0, 100, 10) == pytest.approx((-1.5, 0.25))
    assert effects.rescale(-1.5, 0.25, 10, 100) == pytest.approx((-15.0, 25.0))


# --- Hedges' g ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "row, yi, vi",
    [
        # metafor tests/testthat/test_misc_escalc.r ("measure='SMD'"), to 4 decimals:
        # escalc(measure="SMD", m1i=m1i, sd1i=sd1i, n1i=n1i, m2i=m2i, sd2i=sd2i, n2i=n2i,
        #        data=dat.normand1999, subset=1:4)
        (0, -0.3552, 0.0131),
        (1, -0.3479, 0.0645),
        (2, -2.3176, 0.0458),
        (3, -1.8880, 0.1606),
    ],
)
def test_hedges_g_matches_metafor_escalc_smd(row, yi, vi):
    n1, m1, sd1, n2, m2, sd2 = NORMAND_1_4[row]
    g, var = effects.hedges_g(m1, sd1, n1, m2, sd2, n2)
    assert g == pytest.approx(yi, abs=5e-5)
    assert var == pytest.approx(vi, abs=5e-5)


def test_hedges_g_exact_correction_small_df():
    # n1 = n2 = 2, df = 2: J = Gamma(1) / (sqrt(1) Gamma(1/2)) = 1 / sqrt(pi).
    # Equal SDs of 1, so d = m1 - m2 = -1 and g = -1/sqrt(pi).
    g, var = effects.hedges_g(0.0, 1.0, 2, 1.0, 1.0, 2)
    assert g == pytest.approx(-1 / math.sqrt(math.pi), rel=1e-12)
    assert var == pytest.approx(1 / 2 + 1 / 2 + g**2 / 8, rel=1e-12)


def test_hedges_g_correction_shrinks_cohens_d_towards_zero():
    # d = (m1 - m2) / sp = -0.5. Large samples: J -> 1, so g -> d.
    g_big, _ = effects.hedges_g(0.0, 2.0, 5000, 1.0, 2.0, 5000)
    assert g_big == pytest.approx(-0.5, abs=1e-4)
    # n1 = n2 = 5, df = 8: close to Hedges' approximation J ~ 1 - 3 / (4 df - 1) = 0.903226.
    g_small, _ = effects.hedges_g(0.0, 2.0, 5, 1.0, 2.0, 5)
    assert g_big < g_small < 0
    assert g_small == pytest.approx(-0.5 * (1 - 3 / 31), abs=1e-3)


# --- variance from a CI or a p-value ------------------------------------------------------


def test_from_ci_uses_3_92_for_95_percent():
    # (high - low) / 3.92 = 1.96 / 3.92 = 0.5  ->  variance 0.25
    est, var = effects.from_ci(-1.5, -2.48, -0.52)
    assert est == -1.5
    assert var == pytest.approx((1.96 / (2 * 1.959964)) ** 2, rel=1e-6)
    assert math.sqrt(var) == pytest.approx(0.5, abs=1e-4)


def test_from_ci_other_level():
    # 90% CI: divisor 2 * 1.644854
    _, var = effects.from_ci(0.0, -1.644854, 1.644854, level=0.90)
    assert var == pytest.approx(1.0, rel=1e-6)


def test_from_p_t_distribution():
    # t_{0.975, 38} = 2.024394, so SE = 1.5 / 2.024394 = 0.740962
    est, var = effects.from_p(1.5, 0.05, 20, 20)
    assert est == 1.5
    assert math.sqrt(var) == pytest.approx(0.740962, abs=1e-6)


def test_from_p_z_and_sign():
    # z_{0.975} = 1.959964; |estimate| is used, the sign is kept on the estimate.
    est, var = effects.from_p(-1.5, 0.05, 20, 20, dist="z")
    assert est == -1.5
    assert math.sqrt(var) == pytest.approx(1.5 / 1.959964, rel=1e-6)


def test_from_p_smaller_p_gives_smaller_variance():
    _, v1 = effects.from_p(1.0, 0.04, 30, 30)
    _, v2 = effects.from_p(1.0, 0.001, 30, 30)
    assert v2 < v1


# --- arm SDs ------------------------------------------------------------------------------


def test_sd_from_se():
    assert effects.sd_from_se(0.5, 25) == pytest.approx(2.5)


def test_sd_from_ci_small_n_uses_t():
    # n = 25: t_{0.975, 24} = 2.063899, SD = 5 * 2 / (2 * 2.063899) = 2.422600
    assert effects.sd_from_ci(3.0, 5.0, 25) == pytest.approx(2.422600, abs=1e-6)


def test_sd_from_ci_large_n_uses_z():
    # n = 100: SD = 10 * 2 / 3.919928 = 5.102135
    assert effects.sd_from_ci(3.0, 5.0, 100) == pytest.approx(20 / (2 * 1.959964), rel=1e-6)


def test_sd_from_ci_switches_at_60():
    # Per sqrt(n), n = 59 divides by 2 t_{0.975, 58} = 4.0034 and n = 60 by 2 z = 3.9199.
    sd59 = effects.sd_from_ci(0.0, 1.0, 59) / math.sqrt(59)
    sd60 = effects.sd_from_ci(0.0, 1.0, 60) / math.sqrt(60)
    assert sd59 == pytest.approx(1 / 4.0034, rel=1e-4)
    assert sd60 == pytest.approx(1 / (2 * 1.959964), rel=1e-6)


# --- median / IQR / range to mean / SD ----------------------------------------------------


def test_median_range_matches_metablue_examples():
    # R package metaBLUE 1.0.0, documented example output for X = c(1, 4, 10), n = 30:
    # Luo.mean(X, n, "S1")$muhat = 4.356748; Wan.std(X, n, "S1")$sigmahat = 2.205578.
    mean, sd = effects.mean_sd_from_median_range(1, 4, 10, 30)
    assert mean == pytest.approx(4.356748, abs=1e-6)
    assert sd == pytest.approx(2.205578, abs=1e-6)


# metafor's conv.fivenum(..., method="luo/wan/shi"), the documented example output
# (https://wviechtb.github.io/metafor/reference/conv.fivenum.html; wviechtb/metafor,
# docs/reference/conv.fivenum.html), n = 20:
#   case 1 (min 2, median 6, max 14): Luo et al. (2018) eq. 7 mean, Wan et al. (2014) eq. 9 SD
#   case 2 (q1 4, median 6, q3 10):   Luo et al. (2018) eq. 11 mean, Wan et al. (2014) eq. 16 SD
def test_median_range_matches_metafor_conv_fivenum_case_1():
    mean, sd = effects.mean_sd_from_median_range(2, 6, 14, 20)
    assert (mean, sd) == pytest.approx((6.594468, 3.211576), abs=5e-7)


def test_median_iqr_matches_metafor_conv_fivenum_case_2():
    mean, sd = effects.mean_sd_from_median_iqr(4, 6, 10, 20)
    assert (mean, sd) == pytest.approx((6.719500, 4.787076), abs=5e-7)
    # Wan et al.'s own mean estimator, (q1 + median + q3) / 3, with the same SD.
    assert effects.mean_sd_from_median_iqr(4, 6, 10, 20, mean_method="wan") == pytest.approx((20 / 3, sd))


def test_median_iqr_hand_computation():
    # q1 = 2, median = 4, q3 = 7, n = 40 (computed by hand from the formulas):
    # SD: (0.75*40 - 0.125) / 40.25 = 0.742236; Phi^-1(0.742236) = 0.650254;
    #     SD = 5 / (2 * 0.650254) = 3.844650
    # Luo: w = 0.7 + 0.39/40 = 0.70975; mean = 0.70975 * 4.5 + 0.29025 * 4 = 4.354875
    # Wan: mean = (2 + 4 + 7) / 3 = 4.333333
    mean, sd = effects.mean_sd_from_median_iqr(2, 4, 7, 40)
    assert mean == pytest.approx(4.354875, abs=1e-9)
    assert sd == pytest.approx(3.844650, abs=1e-6)
    mean_wan, sd_wan = effects.mean_sd_from_median_iqr(2, 4, 7, 40, mean_method="wan")
    assert mean_wan == pytest.approx(13 / 3)
    assert sd_wan == sd


def test_quantile_estimators_recover_normal_parameters():
    # Population quartiles of N(10, 3^2) are 10 -/+ 0.674490 * 3; with large n the Wan SD
    # tends to sigma and a symmetric summary gives mean = median.
    q = 0.674490 * 3
    mean, sd = effects.mean_sd_from_median_iqr(10 - q, 10, 10 + q, 10**6)
    assert mean == pytest.approx(10)
    assert sd == pytest.approx(3, rel=1e-4)
    # Expected extremes of n normal draws (Blom): 10 -/+ 3 * Phi^-1((n - 0.375)/(n + 0.25)).
    n = 200
    half_range = 3 * 2.7348  # Phi^-1((200 - 0.375) / 200.25) = 2.73478
    _, sd = effects.mean_sd_from_median_range(10 - half_range, 10, 10 + half_range, n)
    assert sd == pytest.approx(3, rel=1e-3)


def test_quantile_estimators_are_sensible():
    # Same range, larger n: a wider expected range per SD, so a smaller SD.
    sds = [effects.mean_sd_from_median_range(0, 3, 10, n)[1] for n in (5, 20, 100, 1000)]
    assert sds == sorted(sds, reverse=True)
    # Luo's mean moves from the mid-range towards the median as n grows (skewed summary).
    means = [effects.mean_sd_from_median_range(0, 3, 10, n)[0] for n in (5, 20, 100, 1000)]
    assert means == sorted(means, reverse=True)
    assert all(3 < m < 5 for m in means)
    # Wider IQR, larger SD.
    assert effects.mean_sd_from_median_iqr(1, 4, 8, 30)[1] > effects.mean_sd_from_median_iqr(2, 4, 7, 30)[1]


# --- input validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: effects.mean_difference(1, 0, 10, 2, 1, 10),  # SD = 0
        lambda: effects.mean_difference(1, -1, 10, 2, 1, 10),  # SD < 0
        lambda: effects.mean_difference(1, 1, 0, 2, 1, 10),  # n = 0
        lambda: effects.mean_difference(1, float("nan"), 10, 2, 1, 10),
        lambda: effects.hedges_g(1, 1, 10, 2, 0, 10),
        lambda: effects.hedges_g(1, 1, 2, 2, 1, 1),  # n1 + n2 < 4
        lambda: effects.rescale(1.0, 0.1, 0, 10),
        lambda: effects.rescale(1.0, -0.1, 100, 10),
        lambda: effects.from_ci(0.5, 1.0, 0.0),  # limits reversed
        lambda: effects.from_ci(2.0, 0.0, 1.0),  # estimate outside its CI
        lambda: effects.from_ci(0.5, 0.0, 1.0, level=1.0),
        lambda: effects.from_p(1.0, 0.0, 10, 10),
        lambda: effects.from_p(1.0, 1.0, 10, 10),
        lambda: effects.from_p(1.0, -0.01, 10, 10),
        lambda: effects.from_p(0.0, 0.5, 10, 10),
        lambda: effects.from_p(1.0, 0.05, 10, 10, dist="chi2"),
        lambda: effects.sd_from_se(0, 10),
        lambda: effects.sd_from_se(1, -10),
        lambda: effects.sd_from_ci(1.0, 1.0, 20),
        lambda: effects.sd_from_ci(0.0, 1.0, 1),
        lambda: effects.mean_sd_from_median_iqr(5, 4, 7, 20),  # median below q1
        lambda: effects.mean_sd_from_median_iqr(3, 3, 3, 20),  # zero IQR
        lambda: effects.mean_sd_from_median_iqr(2, 4, 7, 0),
        lambda: effects.mean_sd_from_median_iqr(2, 4, 7, 20, mean_method="hozo"),
        lambda: effects.mean_sd_from_median_range(0, 11, 10, 20),
        lambda: effects.mean_sd_from_median_range(0, 5, 10, 1),
    ],
)
def test_invalid_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_cochrane_handbook_worked_example_se_from_p_value():
    """Cochrane Handbook 5.1, section 7.7.3.3: MD 3.8 with P = 0.008 from groups of 25 and 22;
    t(45) = 2.78, so the SE of the MD is 3.8 / 2.78 = 1.37."""
    md, var = effects.from_p(3.8, 0.008, 25, 22)
    assert md == 3.8
    assert math.sqrt(var) == pytest.approx(1.37, abs=0.005)


def test_cochrane_handbook_worked_example_se_from_p_value_large_sample():
    """Cochrane Handbook, 'Obtaining standard errors from confidence intervals and P values: absolute
    (difference) measures' (v5.1 section 7.7.7.2; kept in chapter 6 of v6): for a large trial the
    Z value that corresponds to P = 0.008 is 2.652, and SE = effect estimate / Z."""
    _, var = effects.from_p(3.8, 0.008, 1000, 1000, dist="z")
    assert 3.8 / math.sqrt(var) == pytest.approx(2.652, abs=5e-4)
    _, var_neg = effects.from_p(-3.8, 0.008, 1000, 1000, dist="z")
    assert var_neg == var


def test_cochrane_handbook_worked_example_sd_from_ci_small_sample():
    """Cochrane Handbook 5.1, section 7.7.3.2: for a group of 25 the divisor 3.92 becomes
    2 x 2.0639 = 4.128 (t with 24 df), SD = sqrt(25) x width / 4.128."""
    low, high = 10.0, 14.128
    assert effects.sd_from_ci(low, high, 25) == pytest.approx(math.sqrt(25) * (high - low) / 4.128, rel=1e-4)
