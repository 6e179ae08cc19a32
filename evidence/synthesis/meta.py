"""Inverse-variance meta-analysis of ``(estimate, variance)`` pairs, matching R's metafor.

Conventions
-----------
- Effects are pooled on the analysis scale (MD, SMD, log RR, ...); back-transform outside
  (e.g. ``math.exp`` of the bounds of a pooled log RR). Signs follow :mod:`evidence.synthesis.effects`:
  dry needling minus control.
- ``tau2 >= 0`` for every estimator (truncated at 0).
- ``i2`` is a percentage in ``[0, 100]``. ``h2`` is ``(tau2 + s2) / s2 >= 1`` for
  random-effects fits and ``Q / df`` for the fixed-effect fit (as in metafor).
- ``k = 1``: the study itself is returned with ``tau2 = 0``, normal-theory CI, and NaN
  heterogeneity statistics and prediction interval.
- Variances must be positive and finite; ``ValueError`` otherwise.

Public names
------------
PoolResult            frozen dataclass returned by :func:`pool`
pool                  FE, DL, REML (default) or PM pooling, optional Knapp-Hartung (HKSJ)
leave_one_out         pool with each study omitted in turn
subgroups             pool within each subgroup
subgroup_difference   Q test for differences between subgroup estimates
egger_test            Egger's regression test for funnel-plot asymmetry (k >= min_k)

Example
-------
>>> res = pool([-0.5, -0.2, -0.9], [0.04, 0.09, 0.06], method="DL")
>>> round(res.estimate, 4), round(res.tau2, 4), res.k
(-0.5555, 0.0437, 3)
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import optimize, stats

Method = Literal["FE", "DL", "REML", "PM"]
METHODS: tuple[str, ...] = ("FE", "DL", "REML", "PM")
_REML_TOL = 1e-10
_REML_MAXITER = 1000


@dataclass(frozen=True)
class PoolResult:
    """Result of :func:`pool`.

    Attributes
    ----------
    k : int
        Number of studies.
    estimate, se : float
        Pooled estimate and its standard error (Knapp-Hartung SE if ``hksj``).
    ci_low, ci_high : float
        Confidence interval at ``level``.
    statistic, p : float
        Wald z (or t with ``k - 1`` df if ``hksj``) for estimate = 0 and its two-sided p-value.
    tau2 : float
        Between-study variance (0 for FE).
    tau2_se : float
        Standard error of tau2 for REML, ``sqrt(2 / tr(P P))``; NaN for other methods.
    i2, h2 : float
        I^2 (percent) and H^2.
    q, q_df, q_p : float, int, float
        Cochran's Q (fixed-effect weights), its degrees of freedom and chi-square p-value.
    pi_low, pi_high : float
        Prediction interval for the effect in a new study.
    method : str
        ``"FE"``, ``"DL"``, ``"REML"`` or ``"PM"``.
    hksj : bool
        Whether Knapp-Hartung inference was used.
    level : float
        Confidence level of the CI and the prediction interval.
    weights : tuple of float
        Percent weights of the studies, ``100 w_i / sum(w)`` with ``w_i = 1 / (v_i + tau2)``.
    """

    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float
    p: float
    tau2: float
    tau2_se: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p: float
    pi_low: float
    pi_high: float
    method: str
    hksj: bool
    level: float
    weights: tuple[float, ...]


def _as_arrays(yi: Sequence[float], vi: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    if y.ndim != 1 or v.ndim != 1:
        raise ValueError("yi and vi must be one-dimensional")
    if len(y) != len(v):
        raise ValueError(f"yi and vi differ in length ({len(y)} vs {len(v)})")
    if len(y) == 0:
        raise ValueError("need at least one study")
    if not np.all(np.isfinite(y)):
        raise ValueError("yi must be finite")
    if not np.all(np.isfinite(v) & (v > 0)):
        raise ValueError("vi must be positive and finite")
    return y, v


def _q(y: np.ndarray, w: np.ndarray) -> float:
    """Generalised Q: ``sum(w (y - mu_w)^2)`` with ``mu_w`` the w-weighted mean."""
    mu = np.sum(w * y) / np.sum(w)
    return float(np.sum(w * (y - mu) ** 2))


def _tau2_dl(y: np.ndarray, v: np.ndarray) -> float:
    """DerSimonian & Laird (1986): ``max(0, (Q - (k-1)) / (sum w - sum w^2 / sum w))``."""
    w = 1 / v
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    return max(0.0, (_q(y, w) - (len(y) - 1)) / c)


def _reml_p(v: np.ndarray, tau2: float) -> np.ndarray:
    """``P = W - W 1 1' W / sum(w)`` with ``W = diag(1 / (v + tau2))``."""
    w = 1 / (v + tau2)
    return np.diag(w) - np.outer(w, w) / np.sum(w)


def _tau2_reml(y: np.ndarray, v: np.ndarray) -> float:
    """REML by Fisher scoring (Viechtbauer 2005, eq. 12), from the DL value.

    Update ``tau2 <- max(0, tau2 + (y'PPy - tr(P)) / tr(PP))`` until the change is below
    1e-10. metafor starts from the Hedges estimate and halves steps that would go below 0;
    both converge to the same constrained maximum of the restricted likelihood.
    """
    tau2 = _tau2_dl(y, v)
    for _ in range(_REML_MAXITER):
        p = _reml_p(v, tau2)
        py = p @ y
        new = max(0.0, tau2 + (py @ py - np.trace(p)) / np.sum(p * p))
        if abs(new - tau2) < _REML_TOL:
            return new
        tau2 = new
    raise RuntimeError("REML Fisher scoring did not converge")


def _tau2_pm(y: np.ndarray, v: np.ndarray) -> float:
    """Paule & Mandel (1982): root of ``Q(tau2) = k - 1``, 0 if ``Q(0) < k - 1``.

    ``Q(tau2) = sum(w (y - mu_w)^2)`` with ``w = 1 / (v + tau2)`` is decreasing in tau2.
    """
    target = len(y) - 1

    def f(t: float) -> float:
        return _q(y, 1 / (v + t)) - target

    if f(0.0) <= 0:
        return 0.0
    hi = 1.0
    while f(hi) > 0:
        hi *= 2
    return float(optimize.brentq(f, 0.0, hi, xtol=1e-14, rtol=1e-14))


_TAU2 = {"DL": _tau2_dl, "REML": _tau2_reml, "PM": _tau2_pm}


def pool(
    yi: Sequence[float],
    vi: Sequence[float],
    method: Method = "REML",
    hksj: bool = False,
    level: float = 0.95,
) -> PoolResult:
    """Pool study effects by inverse-variance weighting.

    Parameters
    ----------
    yi, vi : sequence of float
        Study effects and their sampling variances (positive, finite).
    method : {"FE", "DL", "REML", "PM"}
        Fixed effect, or random effects with the DerSimonian-Laird, restricted maximum
        likelihood or Paule-Mandel estimator of tau2.
    hksj : bool
        Knapp-Hartung (Hartung-Knapp-Sidik-Jonkman) inference: t distribution with ``k - 1``
        df and the adjusted SE below (metafor ``test="knha"``; no truncation of the factor).
    level : float
        Confidence level for the CI and the prediction interval.

    Returns
    -------
    PoolResult

    Notes
    -----
    With ``w_i = 1 / (v_i + tau2)`` (tau2 = 0 for FE)::

        estimate = sum(w y) / sum(w)
        se^2     = 1 / sum(w)                                        (Wald, z)
        se^2     = sum(w (y - estimate)^2) / ((k - 1) sum(w))        (hksj, t_{k-1})
        CI       = estimate +/- c se,  c = z_{(1+level)/2} or t_{(1+level)/2, k-1}
        PI       = estimate +/- c sqrt(tau2 + se^2)

    Heterogeneity uses the fixed-effect weights ``u_i = 1 / v_i``:
    ``Q = sum(u (y - mu_FE)^2)`` on ``k - 1`` df. For the random-effects fits
    ``I2 = 100 tau2 / (tau2 + s2)`` and ``H2 = (tau2 + s2) / s2`` with the typical
    within-study variance ``s2 = (k - 1) sum(u) / (sum(u)^2 - sum(u^2))``; for FE
    ``I2 = 100 max(0, (Q - df) / Q)`` and ``H2 = Q / df``.

    tau2 estimators: DL (DerSimonian & Laird 1986), truncated at 0; REML by Fisher scoring
    (Viechtbauer 2005) from the DL value, converged to 1e-10, truncated at 0; PM
    (Paule & Mandel 1982) solves the generalised ``Q(tau2) = k - 1``, 0 if ``Q < k - 1``.

    References
    ----------
    DerSimonian, R., & Laird, N. (1986). Meta-analysis in clinical trials.
    Controlled Clinical Trials, 7, 177-188.
    Paule, R. C., & Mandel, J. (1982). Consensus values and weighting factors.
    Journal of Research of the National Bureau of Standards, 87, 377-385.
    Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in the
    random-effects model. Journal of Educational and Behavioral Statistics, 30, 261-293.
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48.
    Knapp, G., & Hartung, J. (2003). Improved tests for a random effects meta-regression with
    a single covariate. Statistics in Medicine, 22, 2693-2710.
    Higgins, J. P. T., & Thompson, S. G. (2002). Quantifying heterogeneity in a meta-analysis.
    Statistics in Medicine, 21, 1539-1558.
    Riley, R. D., Higgins, J. P. T., & Deeks, J. J. (2011). Interpretation of random effects
    meta-analyses. BMJ, 342, d549.
    """
    y, v = _as_arrays(yi, vi)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    k = len(y)
    z = float(stats.norm.ppf((1 + level) / 2))
    nan = math.nan

    if k == 1:
        est, se = float(y[0]), math.sqrt(v[0])
        return PoolResult(
            k=1,
            estimate=est,
            se=se,
            ci_low=est - z * se,
            ci_high=est + z * se,
            statistic=est / se,
            p=float(2 * stats.norm.sf(abs(est / se))),
            tau2=0.0,
            tau2_se=nan,
            i2=nan,
            h2=nan,
            q=nan,
            q_df=0,
            q_p=nan,
            pi_low=nan,
            pi_high=nan,
            method=method,
            hksj=False,
            level=level,
            weights=(100.0,),
        )

    df = k - 1
    u = 1 / v
    q = _q(y, u)
    tau2 = 0.0 if method == "FE" else _TAU2[method](y, v)

    w = 1 / (v + tau2)
    est = float(np.sum(w * y) / np.sum(w))
    if hksj:
        se = math.sqrt(np.sum(w * (y - est) ** 2) / (df * np.sum(w)))
        dist = stats.t(df)
    else:
        se = math.sqrt(1 / np.sum(w))
        dist = stats.norm()
    crit = float(dist.ppf((1 + level) / 2))
    # Knapp-Hartung SE is 0 when all estimates coincide: z = +/-inf (as metafor), or NaN at 0.
    statistic = est / se if se > 0 else (math.copysign(math.inf, est) if est else nan)
    p = float(2 * dist.sf(abs(statistic)))

    if method == "FE":
        i2 = 0.0 if q <= df else 100 * (q - df) / q
        h2 = q / df
    else:
        s2 = df * np.sum(u) / (np.sum(u) ** 2 - np.sum(u**2))
        i2 = float(100 * tau2 / (tau2 + s2))
        h2 = float((tau2 + s2) / s2)
    tau2_se = math.sqrt(2 / np.sum(_reml_p(v, tau2) ** 2)) if method == "REML" else nan
    half_pi = crit * math.sqrt(tau2 + se**2)

    return PoolResult(
        k=k,
        estimate=est,
        se=se,
        ci_low=est - crit * se,
        ci_high=est + crit * se,
        statistic=statistic,
        p=p,
        tau2=float(tau2),
        tau2_se=tau2_se,
        i2=i2,
        h2=h2,
        q=q,
        q_df=df,
        q_p=float(stats.chi2.sf(q, df)),
        pi_low=est - half_pi,
        pi_high=est + half_pi,
        method=method,
        hksj=hksj,
        level=level,
        weights=tuple(float(x) for x in 100 * w / np.sum(w)),
    )


def _check_labels(y: np.ndarray, labels: Sequence[Hashable], name: str) -> None:
    if len(labels) != len(y):
        raise ValueError(f"{name} has {len(labels)} entries for {len(y)} studies")


def leave_one_out(
    yi: Sequence[float], vi: Sequence[float], labels: Sequence[Hashable], **kw: Any
) -> list[tuple[Hashable, PoolResult]]:
    """Pool the studies with each one omitted in turn.

    Returns ``[(label_i, pool(all studies except i, **kw)), ...]`` in input order.
    Needs at least two studies.
    """
    y, v = _as_arrays(yi, vi)
    _check_labels(y, labels, "labels")
    if len(y) < 2:
        raise ValueError("leave_one_out needs at least two studies")
    keep = ~np.eye(len(y), dtype=bool)
    return [(lab, pool(y[keep[i]], v[keep[i]], **kw)) for i, lab in enumerate(labels)]


def subgroups(
    yi: Sequence[float], vi: Sequence[float], groups: Sequence[Hashable], **kw: Any
) -> dict[Hashable, PoolResult]:
    """Pool each subgroup separately (own tau2 per subgroup).

    Returns a dict ``{group: pool(studies in group, **kw)}`` in order of first appearance.
    """
    y, v = _as_arrays(yi, vi)
    _check_labels(y, groups, "groups")
    g = np.asarray(groups, dtype=object)
    return {lab: pool(y[g == lab], v[g == lab], **kw) for lab in dict.fromkeys(groups)}


def subgroup_difference(
    yi: Sequence[float], vi: Sequence[float], groups: Sequence[Hashable], **kw: Any
) -> tuple[float, int, float]:
    """Test for differences between subgroups.

    Notes
    -----
    Each subgroup is pooled with :func:`subgroups` (its own tau2). With subgroup estimates
    ``m_g`` and standard errors ``s_g``, ``a_g = 1 / s_g^2``::

        Q_between = sum(a_g (m_g - sum(a m) / sum(a))^2)  ~  chi^2 on G - 1 df

    the "test for subgroup differences" of the Cochrane Handbook (chapter 10) and of
    Borenstein et al. (2009, ch. 19), as in RevMan. With ``method="FE"`` it equals
    ``Q_total - sum(Q_within)``.

    Returns
    -------
    q_between, df, p : float, int, float
    """
    res = subgroups(yi, vi, groups, **kw)
    if len(res) < 2:
        raise ValueError("subgroup_difference needs at least two subgroups")
    m = np.array([r.estimate for r in res.values()])
    a = 1 / np.array([r.se for r in res.values()]) ** 2
    q = _q(m, a)
    df = len(res) - 1
    return q, df, float(stats.chi2.sf(q, df))


def egger_test(yi: Sequence[float], vi: Sequence[float], min_k: int = 10) -> tuple[float, float, float]:
    """Egger's regression test for funnel-plot asymmetry.

    Parameters
    ----------
    yi, vi : sequence of float
        Study effects and sampling variances.
    min_k : int
        Refuse to run with fewer studies (the Cochrane Handbook advises at least 10); never
        below 3, the minimum for a residual degree of freedom.

    Returns
    -------
    intercept, se, p : float
        Egger intercept, its standard error, two-sided p-value from t with ``k - 2`` df.

    Notes
    -----
    Ordinary least squares of the standard normal deviate on precision,
    ``y_i / s_i = b0 + b1 / s_i + e_i`` with ``s_i = sqrt(v_i)``; the test is on ``b0``
    (Egger et al. 1997). This is the same fit as the weighted regression
    ``y_i = b1 + b0 s_i`` with weights ``1 / v_i`` and a multiplicative dispersion term, so the
    t statistic equals metafor's ``regtest(yi, vi, model="lm", predictor="sei")``.

    References
    ----------
    Egger, M., Davey Smith, G., Schneider, M., & Minder, C. (1997). Bias in meta-analysis
    detected by a simple, graphical test. BMJ, 315, 629-634.
    """
    y, v = _as_arrays(yi, vi)
    k = len(y)
    if k < max(min_k, 3):
        raise ValueError(f"egger_test needs at least {max(min_k, 3)} studies, got {k}")
    if np.ptp(v) == 0:
        raise ValueError("egger_test needs studies with different variances")
    s = np.sqrt(v)
    x = np.column_stack([np.ones(k), 1 / s])
    coef = np.linalg.solve(x.T @ x, x.T @ (y / s))
    resid = y / s - x @ coef
    cov = resid @ resid / (k - 2) * np.linalg.inv(x.T @ x)
    se = math.sqrt(cov[0, 0])
    return float(coef[0]), se, float(2 * stats.t.sf(abs(coef[0] / se), k - 2))
