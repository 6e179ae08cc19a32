"""Printed intervals kept as printed (issue 19): an MD from two arm CIs when the arm sizes are missing,
and an asymmetric printed CI kept rather than rebuilt symmetric. Both tests failed before the rule."""

from __future__ import annotations

import math

from scipy import stats

from evidence.synthesis import analysis, effects
from tests.synthesis.test_analysis import _curated, outcome


def disability(instrument: str, **values):
    """An outcome row on a 0-100 disability instrument."""
    return outcome(outcome_domain="disability", instrument=instrument, scale_max="100", **values)


def test_the_se_of_a_difference_from_two_arm_cis_reproduces_the_printed_p():
    # Bureau 2022 as stored: LS mean PRTEE improvement 26.9 (19.4 to 34.4) vs 33.4 (25.2 to 41.5), p = .25
    md, var = effects.md_from_arm_cis(26.9, 19.4, 34.4, 33.4, 25.2, 41.5)
    assert md == -6.5 and math.isclose(math.sqrt(var), 5.65, abs_tol=0.01)
    p = 2 * stats.norm.sf(abs(md) / math.sqrt(var))
    assert round(p, 2) == 0.25
    arms = dict(dn_mean=26.9, dn_ci_low=19.4, dn_ci_high=34.4, ctrl_mean=33.4, ctrl_ci_low=25.2, ctrl_ci_high=41.5)
    row = disability("PRTEE", lower_is_better="false", value_type="change", p_value="0.25", **arms)
    eff = analysis.row_effect(row)
    assert eff["usable"] and eff["basis"] == "arm_ci" and eff["converted"]
    assert math.isclose(eff["md"], 6.5)  # oriented: higher is better, so the control's larger gain is positive
    assert math.isnan(eff["smd"])  # no SD without the arm sizes


def test_an_asymmetric_printed_ci_is_kept_as_printed():
    # Sterling 2015, 6 months: MD -4.4 (-9.6 to -0.74) on the 0-100 NDI, significant as printed
    printed = dict(effect_measure="MD", effect=-4.4, effect_ci_low=-9.6, effect_ci_high=-0.74)
    row = disability("NDI", timepoint_weeks="20", window="mid", **printed)
    [q] = analysis.build_questions(analysis.effect_table(_curated([row], ["S1"])))
    assert (q.result.ci_low, q.result.ci_high) == (-9.6, -0.74)
    assert q.result.p < 0.05  # the rebuilt symmetric interval (-8.83 to 0.03) gave p = 0.052
