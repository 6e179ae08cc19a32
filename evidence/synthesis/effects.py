"""Effect sizes for two-arm trials with a continuous outcome.

The effect-size functions (``mean_difference``, ``rescale``, ``hedges_g``, ``from_ci``,
``from_p``) return ``(estimate, variance)`` so that their output can go straight into
:func:`evidence.synthesis.meta.pool`; the arm-level helpers return an SD or ``(mean, SD)``.

Sign convention
---------------
Every contrast is **dry needling (arm 1) minus control (arm 2)**. For outcomes where lower
is better (pain, disability), a negative effect favours dry needling. If a source reports
control minus dry needling, flip the sign before calling these functions.

Functions
---------
mean_difference            raw mean difference (MD) and its variance
rescale                    put an MD on another scale (e.g. VAS 0-100 mm to 0-10)
hedges_g                   standardised mean difference with exact small-sample correction
from_ci                    variance of a reported contrast from its confidence interval
from_p                     variance of a reported contrast from its two-sided p-value
sd_from_se                 arm SD from the SE of the arm mean
sd_from_ci                 arm SD from the CI of the arm mean
mean_sd_from_median_iqr    arm mean and SD from median and quartiles
mean_sd_from_median_range  arm mean and SD from median and range

Invalid input (non-positive or non-finite SD, n, scale, or an interval with its limits in the
wrong order) raises ``ValueError``.

Example
-------
>>> md, var = mean_difference(3.0, 2.0, 40, 4.5, 2.2, 38)
>>> round(md, 2), round(var, 4)
(-1.5, 0.2274)
"""

from __future__ import annotations

import math
from typing import Literal

from scipy import stats


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive finite number, got {value!r}")


def _check_order(low: float, high: float, what: str) -> None:
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"{what}: need finite low < high, got ({low!r}, {high!r})")


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    return float(stats.norm.ppf((1 + level) / 2))


def mean_difference(m1: float, sd1: float, n1: float, m2: float, sd2: float, n2: float) -> tuple[float, float]:
    """Raw mean difference, dry needling (1) minus control (2).

    Parameters
    ----------
    m1, sd1, n1 : float
        Mean, standard deviation and size of arm 1 (dry needling).
    m2, sd2, n2 : float
        Mean, standard deviation and size of arm 2 (control).

    Returns
    -------
    md, var : float
        Mean difference and its sampling variance.

    Notes
    -----
    ``md = m1 - m2`` and ``var = sd1**2 / n1 + sd2**2 / n2`` (no equal-variance assumption;
    metafor ``escalc(measure="MD")``).
    """
    _check_positive(sd1=sd1, n1=n1, sd2=sd2, n2=n2)
    return m1 - m2, sd1**2 / n1 + sd2**2 / n2


def rescale(value: float, var: float, from_max: float, to_max: float) -> tuple[float, float]:
    """Put a mean difference measured on a 0..from_max scale onto a 0..to_max scale.

    Parameters
    ----------
    value, var : float
        Effect and its variance on the original scale.
    from_max, to_max : float
        Upper ends of the original and the target scale (both starting at 0), e.g. 100 and 10
        to turn a VAS in mm into a 0-10 scale.

    Returns
    -------
    value, var : float
        ``value * c`` and ``var * c**2`` with ``c = to_max / from_max``.
    """
    _check_positive(from_max=from_max, to_max=to_max)
    if not (math.isfinite(var) and var >= 0):
        raise ValueError(f"var must be a non-negative finite number, got {var!r}")
    c = to_max / from_max
    return value * c, var * c**2


def hedges_g(m1: float, sd1: float, n1: float, m2: float, sd2: float, n2: float) -> tuple[float, float]:
    """Standardised mean difference (Hedges' g), dry needling (1) minus control (2).

    Parameters
    ----------
    m1, sd1, n1 : float
        Mean, standard deviation and size of arm 1 (dry needling).
    m2, sd2, n2 : float
        Mean, standard deviation and size of arm 2 (control); ``n1 + n2 >= 4``.

    Returns
    -------
    g, var : float
        Bias-corrected standardised mean difference and its large-sample variance.

    Notes
    -----
    With ``df = n1 + n2 - 2``::

        sp  = sqrt(((n1 - 1) sd1^2 + (n2 - 1) sd2^2) / df)
        d   = (m1 - m2) / sp
        J   = exp(lgamma(df / 2) - log(sqrt(df / 2)) - lgamma((df - 1) / 2))
        g   = J d
        var = 1/n1 + 1/n2 + g^2 / (2 (n1 + n2))

    ``J`` is the exact correction of Hedges (1981), eq. 6e, as in metafor's ``.cmicalc``;
    ``var`` is metafor's ``escalc(measure="SMD", vtype="LS")`` (Hedges & Olkin 1985, ch. 5).

    References
    ----------
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related
    estimators. Journal of Educational Statistics, 6(2), 107-128.
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48.
    """
    _check_positive(sd1=sd1, n1=n1, sd2=sd2, n2=n2)
    df = n1 + n2 - 2
    if df < 2:
        raise ValueError(f"hedges_g needs n1 + n2 >= 4, got {n1 + n2!r}")
    sp = math.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / df)
    j = math.exp(math.lgamma(df / 2) - math.log(math.sqrt(df / 2)) - math.lgamma((df - 1) / 2))
    g = j * (m1 - m2) / sp
    return g, 1 / n1 + 1 / n2 + g**2 / (2 * (n1 + n2))


def from_ci(estimate: float, ci_low: float, ci_high: float, level: float = 0.95) -> tuple[float, float]:
    """Variance of a reported contrast from its symmetric confidence interval.

    Parameters
    ----------
    estimate, ci_low, ci_high : float
        Reported contrast and its CI limits, on the scale where the CI is symmetric
        (log scale for ratio measures).
    level : float
        Confidence level of the interval.

    Returns
    -------
    estimate, var : float
        The estimate unchanged and ``SE**2``.

    Notes
    -----
    ``SE = (ci_high - ci_low) / (2 z)`` with ``z = Phi^-1((1 + level) / 2)``; for a 95% CI the
    divisor is 3.92 (Cochrane Handbook, section 6.5.2.3). The estimate must lie inside the CI.
    """
    _check_order(ci_low, ci_high, "confidence interval")
    if not ci_low <= estimate <= ci_high:
        raise ValueError(f"estimate {estimate!r} lies outside its CI ({ci_low!r}, {ci_high!r})")
    se = (ci_high - ci_low) / (2 * _z(level))
    return estimate, se**2


def from_printed_ci(estimate: float, ci_low: float, ci_high: float, level: float = 0.95) -> tuple[float, float]:
    """Variance of a reported contrast from its CI as printed, symmetric or not.

    Notes
    -----
    A symmetric CI gives ``SE = (ci_high - ci_low) / (2 z)`` (``from_ci``). A printed CI that is
    asymmetric around its estimate (a bootstrap or transformed-scale interval, or a misprint we cannot
    correct) is not rebuilt as a symmetric one around the estimate, which can move its end across no
    effect: ``SE = h / z`` with ``h`` the half on the side of no effect (from the estimate towards 0),
    so that the test of no effect (``p = 2 (1 - Phi(|estimate| / SE))``) agrees with the printed
    interval. The interval itself is kept as printed by the caller (``ASYMMETRY`` says when it counts
    as asymmetric: the halves differ by more than rounding).
    """
    _check_order(ci_low, ci_high, "confidence interval")
    if not ci_low <= estimate <= ci_high:
        raise ValueError(f"estimate {estimate!r} lies outside its CI ({ci_low!r}, {ci_high!r})")
    if not is_asymmetric(estimate, ci_low, ci_high):
        return from_ci(estimate, ci_low, ci_high, level)
    half = estimate - ci_low if estimate > 0 else ci_high - estimate
    return estimate, (half / _z(level)) ** 2


ASYMMETRY = 0.1  # halves differing by more than 10% of the wider half (and by more than printed rounding)


def is_asymmetric(estimate: float, ci_low: float, ci_high: float) -> bool:
    """Whether a printed CI is asymmetric around its estimate beyond rounding: the halves differ by more
    than ``ASYMMETRY`` of the wider half and by more than 0.05 (rounding of one printed decimal)."""
    below, above = estimate - ci_low, ci_high - estimate
    gap = abs(below - above)
    return gap > 0.05 and gap > ASYMMETRY * max(below, above)


def md_from_arm_cis(
    m1: float, low1: float, high1: float, m2: float, low2: float, high2: float, level: float = 0.95
) -> tuple[float, float]:
    """Mean difference and its variance from each arm's mean and CI of the mean, without the arm sizes.

    Notes
    -----
    Each arm's SE is its CI width over ``2 z`` (the normal-based CI of a mean, Cochrane Handbook
    6.5.2.2, whose t correction needs n and is negligible for arms of 30 or more); for independent
    arms ``MD = m1 - m2`` and ``Var(MD) = SE1^2 + SE2^2``. No SD, so no SMD, follows without n.
    Bureau et al. 2022 (PRTEE change 26.9 [19.4, 34.4] vs 33.4 [25.2, 41.5]) gives MD -6.5, SE 5.65,
    p = 0.25, the p-value the trial prints.
    """
    _check_order(low1, high1, "confidence interval")
    _check_order(low2, high2, "confidence interval")
    se1, se2 = (high1 - low1) / (2 * _z(level)), (high2 - low2) / (2 * _z(level))
    _check_positive(se1=se1, se2=se2)
    return m1 - m2, se1**2 + se2**2


def from_p(estimate: float, p: float, n1: float, n2: float, dist: Literal["t", "z"] = "t") -> tuple[float, float]:
    """Variance of a reported contrast from its exact two-sided p-value.

    Parameters
    ----------
    estimate : float
        Reported contrast (non-zero).
    p : float
        Two-sided p-value, ``0 < p < 1`` (a bound such as "p < 0.05" is not a p-value).
    n1, n2 : float
        Arm sizes.
    dist : {"t", "z"}
        Reference distribution of the test: t with ``n1 + n2 - 2`` df, or standard normal.

    Returns
    -------
    estimate, var : float
        The estimate unchanged and ``SE**2`` with ``SE = |estimate| / t_{1 - p/2, n1 + n2 - 2}``
        (or ``z_{1 - p/2}``) (Cochrane Handbook, section 6.5.2.3).
    """
    if not (math.isfinite(p) and 0 < p < 1):
        raise ValueError(f"p must be strictly between 0 and 1, got {p!r}")
    if not (math.isfinite(estimate) and estimate != 0):
        raise ValueError(f"estimate must be finite and non-zero, got {estimate!r}")
    _check_positive(n1=n1, n2=n2)
    if dist == "t":
        if n1 + n2 <= 2:
            raise ValueError("dist='t' needs n1 + n2 > 2")
        crit = stats.t.ppf(1 - p / 2, n1 + n2 - 2)
    elif dist == "z":
        crit = stats.norm.ppf(1 - p / 2)
    else:
        raise ValueError(f"dist must be 't' or 'z', got {dist!r}")
    return estimate, (abs(estimate) / float(crit)) ** 2


def sd_from_se(se: float, n: float) -> float:
    """SD of an arm from the standard error of its mean: ``SD = SE sqrt(n)``.

    Cochrane Handbook, section 6.5.2.2.
    """
    _check_positive(se=se, n=n)
    return se * math.sqrt(n)


def sd_from_ci(low: float, high: float, n: float, level: float = 0.95) -> float:
    """SD of an arm from the confidence interval of its mean.

    Notes
    -----
    ``SD = sqrt(n) (high - low) / (2 c)``, with ``c = t_{(1 + level)/2, n - 1}`` when
    ``n < 60`` and ``c = z_{(1 + level)/2}`` otherwise (for 95%, ``2c = 3.92`` for large n)
    (Cochrane Handbook, section 6.5.2.2).
    """
    _check_order(low, high, "confidence interval of the mean")
    _check_positive(n=n)
    if n < 2:
        raise ValueError(f"sd_from_ci needs n >= 2, got {n!r}")
    z = _z(level)
    c = float(stats.t.ppf((1 + level) / 2, n - 1)) if n < 60 else z
    return math.sqrt(n) * (high - low) / (2 * c)


def mean_sd_from_median_iqr(
    q1: float, median: float, q3: float, n: float, mean_method: Literal["luo", "wan"] = "luo"
) -> tuple[float, float]:
    """Mean and SD of an arm from its median and quartiles (normal data assumed).

    Parameters
    ----------
    q1, median, q3 : float
        First quartile, median, third quartile; ``q1 <= median <= q3`` and ``q1 < q3``.
    n : float
        Arm size, ``n >= 2``.
    mean_method : {"luo", "wan"}
        Mean estimator: Luo et al. (2018) optimal weights (default) or Wan et al. (2014).

    Returns
    -------
    mean, sd : float

    Notes
    -----
    Scenario C3 of Wan et al. (2014), with ``w = 0.7 + 0.39 / n`` from Luo et al. (2018)::

        SD       = (q3 - q1) / (2 Phi^-1((0.75 n - 0.125) / (n + 0.25)))
        mean_wan = (q1 + median + q3) / 3
        mean_luo = w (q1 + q3) / 2 + (1 - w) median

    The closed-form quantile approximation is used for every n (Wan et al. also tabulate
    exact values for small n, which some software uses instead).

    References
    ----------
    Wan, X., Wang, W., Liu, J., & Tong, T. (2014). Estimating the sample mean and standard
    deviation from the sample size, median, range and/or interquartile range.
    BMC Medical Research Methodology, 14, 135.
    Luo, D., Wan, X., Liu, J., & Tong, T. (2018). Optimally estimating the sample mean from the
    sample size, median, mid-range, and/or mid-quartile range.
    Statistical Methods in Medical Research, 27(6), 1785-1805.
    """
    _check_quantiles(q1, median, q3, n)
    sd = (q3 - q1) / (2 * float(stats.norm.ppf((0.75 * n - 0.125) / (n + 0.25))))
    if mean_method == "luo":
        w = 0.7 + 0.39 / n
        return w * (q1 + q3) / 2 + (1 - w) * median, sd
    if mean_method == "wan":
        return (q1 + median + q3) / 3, sd
    raise ValueError(f"mean_method must be 'luo' or 'wan', got {mean_method!r}")


def mean_sd_from_median_range(minimum: float, median: float, maximum: float, n: float) -> tuple[float, float]:
    """Mean and SD of an arm from its median and range (normal data assumed).

    Parameters
    ----------
    minimum, median, maximum : float
        ``minimum <= median <= maximum`` and ``minimum < maximum``.
    n : float
        Arm size, ``n >= 2``.

    Returns
    -------
    mean, sd : float

    Notes
    -----
    SD from scenario C1 of Wan et al. (2014); mean with the optimal weight of
    Luo et al. (2018), ``w = 4 / (4 + n^0.75)``::

        SD   = (max - min) / (2 Phi^-1((n - 0.375) / (n + 0.25)))
        mean = w (min + max) / 2 + (1 - w) median

    As for the IQR, the closed-form approximation is used for every n.
    References are those of :func:`mean_sd_from_median_iqr`.
    """
    _check_quantiles(minimum, median, maximum, n)
    sd = (maximum - minimum) / (2 * float(stats.norm.ppf((n - 0.375) / (n + 0.25))))
    w = 4 / (4 + n**0.75)
    return w * (minimum + maximum) / 2 + (1 - w) * median, sd


def _check_quantiles(low: float, median: float, high: float, n: float) -> None:
    _check_order(low, high, "quantiles")
    _check_positive(n=n)
    if n < 2:
        raise ValueError(f"need n >= 2 to estimate an SD from quantiles, got {n!r}")
    if not low <= median <= high:
        raise ValueError(f"median {median!r} lies outside ({low!r}, {high!r})")
