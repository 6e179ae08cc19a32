"""Evidence questions: effect sizes from the curated outcome rows, one per study, pooled.

A question is condition x outcome domain x comparator type x timepoint window. For each
included study the question uses one outcome row (the policy below); two or more studies with
usable data are pooled by random-effects meta-analysis (REML, ``evidence.synthesis.meta.pool``), one is
reported as a single study, none as "no usable data" (with the reason per study).

Sign convention (stated once, tested): every effect in the derived tables is oriented so that a
negative value favours dry needling. For lower-is-better outcomes (pain, disability) that is the
plain dry needling minus control difference; for higher-is-better outcomes (range of motion,
pressure pain threshold, function scores) the difference is multiplied by -1 and the row says
``oriented = true``.

How a row becomes an effect (first that applies; ``basis`` says which):

1. ``arm``: n, mean and SD per arm (an SD may come from the SE of the mean, ``sd_from_se``, or
   the 95% CI of the mean, ``sd_from_ci`` (Cochrane Handbook 6.5.2.2), or mean and SD from median
   and quartiles/range, Wan et al. 2014 and Luo et al. 2018; all flagged ``converted``);
   gives an MD and Hedges' g.
2. ``reported_ci``: a reported MD or SMD with its 95% CI, SE = CI width / 3.92. A printed CI that
   is asymmetric around its estimate (``effects.is_asymmetric``) is kept as printed: SE from the half
   on the side of no effect (``effects.from_printed_ci``), and a single-study question reports the
   printed interval, never a symmetric one rebuilt around the estimate (which can cross no effect
   where the printed one does not).
3. ``reported_p``: a reported MD with an exact p-value and the arm ns (t distribution).
4. ``arm_ci``: arm means with their 95% CIs but no arm sizes: MD = m1 - m2 with
   Var = SE1^2 + SE2^2, SE = CI width / 3.92 per arm (``effects.md_from_arm_cis``; flagged
   ``converted``); no SMD, since an SD needs n.
Anything else (a p-value bound only, within-group results only) is not usable, and the reason
is kept.

Choice of one row per study and question: rows with a usable effect first, then the latest
timepoint within the window, then a pain intensity scale (NPRS, VAS) over other instruments,
then the instrument that most rows of the question use.

Measure of a question: an MD when every usable row is on one scale (pain on 0-10 and 0-100 mm
scales is harmonised to 0-10), otherwise an SMD from the rows that have one; final values and
change scores are never mixed in one SMD analysis (the more common kind is kept).

Effect classes (our policy): for an MD, relative to the instrument's minimal important
difference (``mids.csv``): |MD| >= 2 MID large, >= MID moderate, >= MID/2 small, else trivial.
For an SMD, Cohen's rule of thumb as given in the Cochrane Handbook (section 15.5.3.1):
0.8 large, 0.5 moderate, 0.2 small, else trivial.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from evidence.curation.schema import Curated, cell_number, number
from evidence.synthesis import effects
from evidence.synthesis.meta import PoolResult, leave_one_out, pool, subgroup_difference
from evidence.vocab import EXTRACTION_STATUS, QuestionId, effect_class

PAIN_SCALES = {"NPRS", "VAS"}
HARMONISED_PAIN = "pain 0-10"

EFFECT_COLUMNS = (
    "question_id",
    "study_id",
    "condition_id",
    "outcome_domain",
    "comparator_type",
    "window",
    "instrument",
    "scale_max",
    "timepoint_weeks",
    "value_type",
    "oriented",
    "basis",
    "converted",
    "md",
    "md_var",
    "md_scale",
    "smd",
    "smd_var",
    "n_dn",
    "n_ctrl",
    "usable",
    "reason",
    "source_location",
    "printed_ci_low",
    "printed_ci_high",
)
QUESTION_COLUMNS = (
    "question_id",
    "condition_id",
    "outcome_domain",
    "comparator_type",
    "window",
    "status",
    "measure",
    "scale",
    "k",
    "n_participants",
    "estimate",
    "ci_low",
    "ci_high",
    "pi_low",
    "pi_high",
    "tau2",
    "i2",
    "p",
    "method",
    "mid",
    "effect_class",
    "study_ids",
    "not_used",
    "trial_gaps",
)
FOREST_COLUMNS = ("question_id", "study_id", "yi", "vi", "ci_low", "ci_high", "weight", "instrument", "basis")


def _arm(row: Mapping[str, Any], arm: str) -> tuple[float, float, float, bool]:
    """(n, mean, sd, converted) of one arm, deriving the SD where the row allows."""
    n, mean, sd = cell_number(row[f"{arm}_n"]), cell_number(row[f"{arm}_mean"]), cell_number(row[f"{arm}_sd"])
    se = cell_number(row[f"{arm}_se"])
    if math.isnan(n) or n <= 0:
        return n, mean, sd, False
    if not math.isnan(mean) and math.isnan(sd) and not math.isnan(se):
        return n, mean, effects.sd_from_se(se, n), True
    low, high = cell_number(row[f"{arm}_ci_low"]), cell_number(row[f"{arm}_ci_high"])
    if not math.isnan(mean) and math.isnan(sd) and not (math.isnan(low) or math.isnan(high)):
        return n, mean, effects.sd_from_ci(low, high, n), True
    med, q1, q3 = cell_number(row[f"{arm}_median"]), cell_number(row[f"{arm}_q1"]), cell_number(row[f"{arm}_q3"])
    lo, hi = cell_number(row[f"{arm}_min"]), cell_number(row[f"{arm}_max"])
    if math.isnan(mean) and not math.isnan(med):
        if not (math.isnan(q1) or math.isnan(q3)):
            mean, sd = effects.mean_sd_from_median_iqr(q1, med, q3, n)
            return n, mean, sd, True
        if not (math.isnan(lo) or math.isnan(hi)):
            mean, sd = effects.mean_sd_from_median_range(lo, med, hi, n)
            return n, mean, sd, True
    return n, mean, sd, False


def _scale(row: Mapping[str, Any]) -> tuple[str, float, float]:
    """The scale an MD is expressed on: its label, and the (from, to) scale maxima of the rescaling
    that brings the row there (equal when no rescaling is needed)."""
    instrument, top = row["instrument"], cell_number(row["scale_max"])
    if row["outcome_domain"] == "pain" and instrument in PAIN_SCALES and top in (10.0, 100.0):
        return HARMONISED_PAIN, top, 10.0
    label = instrument if math.isnan(top) else f"{instrument} 0-{top:g}"
    return label + (f" ({row['unit']})" if row["unit"] and row["unit"] != "points" else ""), 1.0, 1.0


def row_effect(row: Mapping[str, Any]) -> dict:
    """The effect of one curated outcome row (see the module docstring), oriented."""
    sign = -1.0 if row["lower_is_better"] == "false" else 1.0
    out = {
        "oriented": sign < 0,
        "basis": "",
        "converted": False,
        "md": math.nan,
        "md_var": math.nan,
        "smd": math.nan,
        "smd_var": math.nan,
        "usable": False,
        "reason": "",
        "printed_ci_low": math.nan,
        "printed_ci_high": math.nan,
    }
    scale, from_max, to_max = _scale(row)
    out["md_scale"] = scale

    def md_on_scale(md: float, var: float) -> dict:
        md, var = effects.rescale(md, var, from_max, to_max)
        return {"md": sign * md, "md_var": var}

    if row["lower_is_better"] not in ("true", "false"):
        return {**out, "reason": "the source does not say whether lower is better"}
    out["n_dn"], out["n_ctrl"] = cell_number(row["dn_n"]), cell_number(row["ctrl_n"])
    try:  # an arm whose numbers cannot give an SD (a CI or quartiles of zero width, n = 1) is not usable
        n1, m1, s1, c1 = _arm(row, "dn")
        n2, m2, s2, c2 = _arm(row, "ctrl")
        if all(math.isfinite(x) and x > 0 for x in (n1, s1, n2, s2)) and math.isfinite(m1) and math.isfinite(m2):
            md, var = effects.mean_difference(m1, s1, n1, m2, s2, n2)
            g, gvar = effects.hedges_g(m1, s1, n1, m2, s2, n2)
            return {
                **out,
                "basis": "arm",
                "converted": c1 or c2,
                **md_on_scale(md, var),
                "smd": sign * g,
                "smd_var": gvar,
                "usable": True,
            }
        est, low, high = (
            cell_number(row["effect"]),
            cell_number(row["effect_ci_low"]),
            cell_number(row["effect_ci_high"]),
        )
        measure = row["effect_measure"]
        if measure and not math.isnan(est) and not (math.isnan(low) or math.isnan(high)):
            if effects.is_asymmetric(est, low, high):  # kept as printed (module docstring)
                c = to_max / from_max if measure == "MD" else 1.0
                out["printed_ci_low"], out["printed_ci_high"] = sorted((sign * low * c, sign * high * c))
            est, var = effects.from_printed_ci(est, low, high)
            if measure == "MD":
                return {**out, "basis": "reported_ci", **md_on_scale(est, var), "usable": True}
            return {**out, "basis": "reported_ci", "smd": sign * est, "smd_var": var, "usable": True}
        p = cell_number(row["p_value"])
        if measure == "MD" and not math.isnan(est) and not math.isnan(p) and n1 > 0 and n2 > 0:
            est, var = effects.from_p(est, p, n1, n2)
            return {**out, "basis": "reported_p", **md_on_scale(est, var), "usable": True}
        arm_cis = [cell_number(row[f"{a}_ci_{e}"]) for a in ("dn", "ctrl") for e in ("low", "high")]
        if all(math.isfinite(x) for x in (m1, m2, *arm_cis)) and not (n1 > 0 and n2 > 0):
            md, var = effects.md_from_arm_cis(m1, arm_cis[0], arm_cis[1], m2, arm_cis[2], arm_cis[3])
            return {**out, "basis": "arm_ci", "converted": True, **md_on_scale(md, var), "usable": True}
    except ValueError as exc:
        return {**out, "reason": f"inconsistent numbers: {exc}"}
    if all(math.isfinite(x) for x in (m1, s1, m2, s2)) and not (n1 > 0 and n2 > 0):
        return {**out, "reason": "arm means and SDs are reported without the arm sizes"}
    if all(math.isfinite(x) for x in (m1, m2)):
        return {**out, "reason": "arm means are reported without their SDs (or SE, CI, quartiles)"}
    if row["p_value"] or row["p_text"]:
        return {**out, "reason": "only a p-value is reported, no effect estimate with its precision"}
    return {**out, "reason": "no between-group numbers reported (arm means and SDs, or a contrast with its CI)"}


def effect_table(curated: Curated) -> pd.DataFrame:
    """One row per outcome row of an included randomised study, with its effect or why none."""
    studies = curated.studies
    included = studies[(studies["decision"] == "include") & (studies["design"] != "non_randomised")]
    conditions: dict[str, list[str]] = {}
    for study, condition in zip(included["study_id"], included["condition_id"]):
        conditions.setdefault(study, []).append(condition)
    rows = []
    for o in curated.outcomes.to_dict("records"):
        for condition in conditions.get(o["study_id"], []):
            eff = row_effect(o)
            rows.append(
                {
                    "question_id": str(QuestionId(condition, o["outcome_domain"], o["comparator_type"], o["window"])),
                    "study_id": o["study_id"],
                    "condition_id": condition,
                    "outcome_domain": o["outcome_domain"],
                    "comparator_type": o["comparator_type"],
                    "window": o["window"],
                    "instrument": o["instrument"],
                    "scale_max": cell_number(o["scale_max"]),
                    "timepoint_weeks": cell_number(o["timepoint_weeks"]),
                    "value_type": o["value_type"],
                    "source_location": o["source_location"],
                    **eff,
                }
            )
    frame = pd.DataFrame(rows, columns=list(EFFECT_COLUMNS))
    return frame.sort_values(
        ["question_id", "study_id", "instrument", "timepoint_weeks"], kind="mergesort", na_position="first"
    ).reset_index(drop=True)


def _pick_rows(effects_table: pd.DataFrame) -> pd.DataFrame:
    """One row per question and study (module docstring: usable first, latest timepoint, a pain intensity
    scale for pain, then the instrument commonest in the question), sorted by question and study."""
    ranked = effects_table.assign(
        _usable=~effects_table["usable"],
        _t=-effects_table["timepoint_weeks"].fillna(-1),
        _scale=~effects_table["instrument"].isin(PAIN_SCALES),
        _inst=-effects_table.groupby(["question_id", "instrument"])["instrument"].transform("size"),
    )
    keys = ["question_id", "study_id", "_usable", "_t", "_scale", "_inst", "instrument"]
    ranked = ranked.sort_values(keys, kind="mergesort")
    return ranked.drop_duplicates(["question_id", "study_id"]).drop(columns=["_usable", "_t", "_scale", "_inst"])


def _choose_measure(rows: pd.DataFrame) -> tuple[str, str, pd.DataFrame, list[str]]:
    """(measure, scale, rows used, reasons for rows left out)."""
    usable = rows[rows["usable"]]
    with_md = usable[usable["md"].notna()]
    if len(with_md) == len(usable) and with_md["md_scale"].nunique() == 1:
        return "MD", with_md["md_scale"].iloc[0], with_md, []
    with_smd = usable[usable["smd"].notna()]
    if len(with_smd) >= 2 or len(with_md) < len(with_smd) + 1:
        kinds = with_smd["value_type"].value_counts()
        keep = kinds.index[0] if len(kinds) else ""
        used = with_smd[with_smd["value_type"] == keep] if len(kinds) > 1 else with_smd
        dropped = [
            f"{s}: {'no SMD from the reported numbers' if s not in set(with_smd.study_id) else 'change scores and final values are not mixed in an SMD'}"
            for s in usable["study_id"]
            if s not in set(used["study_id"])
        ]
        return "SMD", "SD units", used, dropped
    best = with_md.iloc[[0]]
    dropped = [
        f"{s}: on another scale than {best['md_scale'].iloc[0]}"
        for s in usable["study_id"]
        if s != best["study_id"].iloc[0]
    ]
    return "MD", best["md_scale"].iloc[0], best, dropped


@dataclass(frozen=True)
class Question:
    """One evidence question with the rows it uses and its pooled result (None if k = 0)."""

    id: str
    measure: str
    scale: str
    rows: pd.DataFrame
    result: PoolResult | None
    not_used: tuple[str, ...]


def _mid(curated: Curated, rows: pd.DataFrame, scale: str) -> float:
    """The MID on the question's scale: NPRS 0-10 for harmonised pain, else the instrument's own
    MID on the same scale range (NaN when the range or the MID is unknown)."""
    mids = curated.mids.assign(_max=number(curated.mids["scale_max"]))
    if scale == HARMONISED_PAIN:
        instrument, top = "NPRS", 10.0
    else:
        instrument, top = rows["instrument"].iloc[0], cell_number(rows["scale_max"].iloc[0])
    match = mids[(mids["instrument"] == instrument) & (mids["_max"] == top)]
    return float(match["mid"].iloc[0]) if len(match) else math.nan


def build_questions(effects_table: pd.DataFrame) -> list[Question]:
    """Group the effect rows into questions, pick one row per study, choose the measure, pool."""
    questions = []
    for qid, picked in _pick_rows(effects_table).groupby("question_id", sort=True):
        not_used = [
            f"{s}: {why}"
            for s, why, usable in zip(picked["study_id"], picked["reason"], picked["usable"])
            if not usable
        ]
        if not picked["usable"].any():
            questions.append(Question(qid, "", "", picked.iloc[0:0], None, tuple(not_used)))
            continue
        measure, scale, used, dropped = _choose_measure(picked)
        col = "md" if measure == "MD" else "smd"
        result = pool(used[col].to_numpy(), used[col + "_var"].to_numpy(), method="REML")
        printed = used[["printed_ci_low", "printed_ci_high"]].to_numpy(dtype=float)
        if result.k == 1 and col == "md" and not np.isnan(printed).any():  # a single study's printed CI stands
            result = replace(result, ci_low=float(printed[0, 0]), ci_high=float(printed[0, 1]))
        questions.append(Question(qid, measure, scale, used, result, tuple(not_used + dropped)))
    return questions


def _participants(rows: pd.DataFrame, n_randomised: pd.Series) -> int:
    """The arms' sizes summed over the rows, a study's number randomised where its arm sizes are not known."""
    total = 0.0
    for study, n_dn, n_ctrl in zip(rows["study_id"], rows["n_dn"], rows["n_ctrl"]):
        arms = n_dn + n_ctrl if not (math.isnan(n_dn) or math.isnan(n_ctrl)) else n_randomised.get(study, math.nan)
        total += 0 if math.isnan(arms) else arms
    return int(total)


def trial_gaps(coverage: pd.DataFrame, condition: str, comparator: str, used: set[str]) -> str:
    """For each trial of the question's condition and comparison in the extraction coverage record whose
    numbers the question does not use: "study: what the gap is" (``vocab.EXTRACTION_STATUS``: not readable
    here, or the sources read give nothing usable), joined by "; " in study order."""
    mine = coverage[(coverage["condition_id"] == condition) & (coverage["comparator_type"] == comparator)]
    mine = mine.sort_values("study_id")
    return "; ".join(
        f"{study}: {EXTRACTION_STATUS[status]}"
        for study, status in zip(mine["study_id"], mine["status"])
        if study not in used
    )


def question_table(questions: list[Question], curated: Curated) -> pd.DataFrame:
    """The derived questions table (``QUESTION_COLUMNS``); ``trial_gaps`` from ``extraction_coverage.csv``."""
    studies = curated.studies
    n_randomised = number(studies.drop_duplicates("study_id").set_index("study_id")["n_randomised"])
    rows = []
    for q in questions:
        condition, domain, comparator, window = QuestionId.parse(q.id)
        gaps = trial_gaps(curated.extraction_coverage, condition, comparator, set(q.rows["study_id"]))
        base = {
            "question_id": q.id,
            "condition_id": condition,
            "outcome_domain": domain,
            "comparator_type": comparator,
            "window": window,
            "not_used": "; ".join(q.not_used),
            "trial_gaps": gaps,
        }
        r = q.result
        if r is None:
            rows.append({**base, "status": "no_usable_data", "k": 0, "n_participants": 0})
            continue
        mid = _mid(curated, q.rows, q.scale) if q.measure == "MD" else math.nan
        rows.append(
            {
                **base,
                "status": "pooled" if r.k >= 2 else "single_study",
                "measure": q.measure,
                "scale": q.scale,
                "k": r.k,
                "n_participants": _participants(q.rows, n_randomised),
                "estimate": r.estimate,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "pi_low": r.pi_low,
                "pi_high": r.pi_high,
                "tau2": r.tau2,
                "i2": r.i2,
                "p": r.p,
                "method": r.method if r.k >= 2 else "single study",
                "mid": mid,
                "effect_class": effect_class(r.estimate, q.measure, mid),
                "study_ids": "; ".join(q.rows["study_id"]),
            }
        )
    return pd.DataFrame(rows, columns=list(QUESTION_COLUMNS))


def forest_table(questions: list[Question]) -> pd.DataFrame:
    """Per-study rows of each question with data: yi, vi, 95% CI and percent weight."""
    rows = []
    for q in questions:
        if q.result is None:
            continue
        col = "md" if q.measure == "MD" else "smd"
        for r, w in zip(q.rows.itertuples(), q.result.weights):
            yi, vi = getattr(r, col), getattr(r, col + "_var")
            half = 1.959963984540054 * math.sqrt(vi)
            rows.append(
                {
                    "question_id": q.id,
                    "study_id": r.study_id,
                    "yi": yi,
                    "vi": vi,
                    "ci_low": yi - half,
                    "ci_high": yi + half,
                    "weight": w,
                    "instrument": r.instrument,
                    "basis": r.basis,
                }
            )
    return pd.DataFrame(rows, columns=list(FOREST_COLUMNS))


def sensitivity_table(questions: list[Question]) -> pd.DataFrame:
    """Leave-one-out re-pooling of every question with k >= 3."""
    rows = []
    for q in questions:
        if q.result is None or q.result.k < 3:
            continue
        col = "md" if q.measure == "MD" else "smd"
        for label, res in leave_one_out(q.rows[col], q.rows[col + "_var"], list(q.rows["study_id"])):
            rows.append(
                {
                    "question_id": q.id,
                    "left_out": label,
                    "estimate": res.estimate,
                    "ci_low": res.ci_low,
                    "ci_high": res.ci_high,
                    "i2": res.i2,
                }
            )
    return pd.DataFrame(rows, columns=["question_id", "left_out", "estimate", "ci_low", "ci_high", "i2"])


def subgroup_table(questions: list[Question]) -> pd.DataFrame:
    """Test of subgroup differences by comparator type, per condition x domain x window and measure,
    where at least two comparator types have data."""
    pooled = [(QuestionId.parse(q.id), q) for q in questions if q.result is not None]
    rows = []
    keys = sorted({(qid.condition, qid.domain, qid.window, q.measure, q.scale) for qid, q in pooled})
    for condition, domain, window, measure, scale in keys:
        members = [
            (qid, q)
            for qid, q in pooled
            if (qid.condition, qid.domain, qid.window, q.measure, q.scale)
            == (condition, domain, window, measure, scale)
        ]
        if len({qid.comparator for qid, _ in members}) < 2:
            continue
        col = "md" if measure == "MD" else "smd"
        yi = np.concatenate([q.rows[col].to_numpy() for _, q in members])
        vi = np.concatenate([q.rows[col + "_var"].to_numpy() for _, q in members])
        groups = [qid.comparator for qid, q in members for _ in range(len(q.rows))]
        qb, df, p = subgroup_difference(yi, vi, groups)
        rows.append(
            {
                "condition_id": condition,
                "outcome_domain": domain,
                "window": window,
                "measure": measure,
                "scale": scale,
                "comparators": "; ".join(sorted(set(groups))),
                "q_between": qb,
                "df": df,
                "p": p,
            }
        )
    return pd.DataFrame(
        rows,
        columns=["condition_id", "outcome_domain", "window", "measure", "scale", "comparators", "q_between", "df", "p"],
    )
