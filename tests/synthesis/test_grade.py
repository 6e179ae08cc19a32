"""GRADE rules of evidence.synthesis.grade on small constructed inputs: each domain on both sides of every
threshold that grade.py's docstring states, rate_question with and without an override, the
certainty table, the informative statements (Santesso et al. 2020) and the overrides file.

Weights are percentages (as in forest.csv). The baseline question below has nothing wrong with it:
k = 4, I^2 10%, CI (-3.6, -2.4) and PI (-4.0, -2.0) on a 0-10 scale with an MID of 2, 600 participants.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from evidence.curation.inputs import input_problems, load_inputs
from evidence.curation.schema import Curated
from evidence.synthesis import grade
from tests.conftest import copy_data, curated_tables

QID = "neck_pain:pain:sham:short"
FOUR = {"A": 25.0, "B": 25.0, "C": 25.0, "D": 25.0}
CONCERNS = {s: "some_concerns" for s in FOUR}


def question(**values) -> pd.Series:
    base = {
        "question_id": QID,
        "outcome_domain": "pain",
        "measure": "MD",
        "mid": 2.0,
        "k": 4,
        "n_participants": 600,
        "estimate": -3.0,
        "ci_low": -3.6,
        "ci_high": -2.4,
        "pi_low": -4.0,
        "pi_high": -2.0,
        "i2": 10.0,
    }
    return pd.Series({**base, **values})


def rate(q: pd.Series | None = None, weights=None, rob=None, nonstandard=None, **kw) -> grade.Certainty:
    return grade.rate_question(
        question() if q is None else q,
        FOUR if weights is None else weights,
        CONCERNS if rob is None else rob,
        nonstandard or {},
        **kw,
    )


def test_baseline_question_is_high_with_a_reason_for_every_domain():
    c = rate()
    assert [d.domain for d in c.downgrades] == list(grade.GRADE_DOMAINS)
    assert [d.levels for d in c.downgrades] == [0, 0, 0, 0, 0]
    assert (c.suggested, c.final, c.override_reason) == ("high", "high", "")
    assert all(d.reason for d in c.downgrades)


# --- risk of bias: share of the weight from high-risk and not-assessed studies ---------------------


@pytest.mark.parametrize(
    "weights,rob,levels",
    [
        ({"A": 50.1, "B": 49.9}, {"A": "high", "B": "low"}, 2),  # more than half: very serious
        ({"A": 50.0, "B": 50.0}, {"A": "high", "B": "low"}, 1),  # exactly half is not "more than half"
        ({"A": 25.0, "B": 75.0}, {"A": "high", "B": "low"}, 1),  # at least a quarter
        ({"A": 24.9, "B": 75.1}, {"A": "high", "B": "low"}, 0),  # just under a quarter
        ({"A": 50.1, "B": 49.9}, {"A": "unknown", "B": "low"}, 1),  # not assessed: more than half
        ({"A": 50.0, "B": 50.0}, {"A": "unknown", "B": "low"}, 0),  # exactly half not assessed
        ({"A": 20.0, "B": 30.1, "C": 49.9}, {"A": "high", "B": "unknown", "C": "low"}, 1),  # 20 + 30.1 > 50
        ({"A": 20.0, "B": 30.0, "C": 50.0}, {"A": "high", "B": "unknown", "C": "low"}, 0),  # 20 + 30 = 50
        ({"A": 60.0, "B": 40.0}, {"B": "low"}, 1),  # a study missing from rob counts as unknown
        ({"A": 100.0}, {"A": "some_concerns"}, 0),  # some concerns is not high risk
    ],
)
def test_risk_of_bias_by_weight_share(weights, rob, levels):
    assert rate(weights=weights, rob=rob).levels("risk_of_bias") == levels


def test_risk_of_bias_reason_states_the_shares():
    rob = {"A": "high", "B": "unknown", "C": "low"}
    d = rate(weights={"A": 60.0, "B": 30.0, "C": 10.0}, rob=rob).downgrades[0]
    assert d.reason == "very serious: 60% of the weight from high-risk studies, 30% not assessed"


@pytest.mark.parametrize(
    "overall,pedro,category",
    [
        ("high", "", "high"),
        ("some_concerns", "", "some_concerns"),
        ("low", "3", "low"),  # a RoB judgement wins over a PEDro score
        ("", "5", "high"),  # PEDro only: 5 or less is high risk
        ("", "0", "high"),
        ("", "6", "some_concerns"),  # 6 or more is some concerns...
        ("", "10", "some_concerns"),  # ...never low (PEDro does not assess selective reporting)
        ("", "", "unknown"),
    ],
)
def test_rob_category_pedro_policy(overall, pedro, category):
    assert grade.rob_category(pd.Series({"overall": overall, "pedro_score": pedro})) == category


def test_rob_category_of_a_study_without_a_row_is_unknown():
    assert grade.rob_category(None) == "unknown"


def test_pedro_scores_drive_the_risk_of_bias_rating():
    rows = {"A": ("", "5"), "B": ("", "4"), "C": ("", "9"), "D": ("", "10")}
    rob = {s: grade.rob_category(pd.Series({"overall": o, "pedro_score": p})) for s, (o, p) in rows.items()}
    assert rate(rob=rob).levels("risk_of_bias") == 1  # 50% from PEDro <= 5: at least a quarter, not more than half
    rob["C"] = grade.rob_category(pd.Series({"overall": "", "pedro_score": "5"}))
    assert rate(rob=rob).levels("risk_of_bias") == 2  # 75% high
    rob = {s: "some_concerns" for s in FOUR}  # PEDro 6+ everywhere: no downgrade, but never "low"
    assert rate(rob=rob).levels("risk_of_bias") == 0


# --- inconsistency ---------------------------------------------------------------------------------


@pytest.mark.parametrize("i2,levels", [(75.0, 2), (74.99, 1), (50.0, 1), (49.99, 0), (0.0, 0), (100.0, 2)])
def test_inconsistency_i2_thresholds(i2, levels):
    assert rate(question(i2=i2)).levels("inconsistency") == levels


def test_inconsistency_reason_names_i2():
    assert rate(question(i2=80.0)).downgrades[1].reason == "very serious: I2 80%"


def test_single_study_inconsistency_is_not_assessable():
    d = rate(question(k=1, i2=math.nan, pi_low=math.nan, pi_high=math.nan), weights={"A": 100.0}).downgrades[1]
    assert (d.levels, d.reason) == (0, "single study: not assessable")


def test_prediction_interval_including_no_effect_when_the_ci_does_not():
    d = rate(question(k=3, i2=30.0, pi_low=-5.0, pi_high=0.5)).downgrades[1]
    assert d.levels == 1 and d.reason == "serious: I2 30%, prediction interval includes no effect"


@pytest.mark.parametrize(
    "change",
    [
        {"k": 2, "pi_low": -5.0, "pi_high": 0.5},  # the PI rule needs k >= 3
        {"k": 3, "pi_low": -5.0, "pi_high": 0.5, "ci_low": -2.5, "ci_high": 0.2},  # the CI includes no effect too
        {"k": 3, "pi_low": -5.0, "pi_high": -0.1},  # the PI excludes no effect
    ],
)
def test_prediction_interval_rule_does_not_apply(change):
    assert rate(question(i2=30.0, **change)).levels("inconsistency") == 0


# --- imprecision (MID 2 on the baseline's 0-10 scale; OIS 400) -------------------------------------


@pytest.mark.parametrize(
    "change,levels,reason",
    [
        ({}, 0, "CI excludes no effect and the MID; n >= 400"),
        ({"n_participants": 400}, 0, "CI excludes no effect and the MID; n >= 400"),
        ({"n_participants": 399}, 1, "399 participants, under the optimal information size of 400"),
        ({"ci_low": -2.5, "ci_high": -1.5}, 1, "CI spans the MID"),
        (
            {"ci_low": -3.0, "ci_high": -2.0},
            0,
            "CI excludes no effect and the MID; n >= 400",
        ),  # touching is not spanning
        ({"ci_low": -1.5, "ci_high": 0.5}, 1, "CI includes no effect"),
        (
            {"ci_low": -1.5, "ci_high": 0.5, "n_participants": 399},
            2,
            "CI includes no effect; 399 participants, under the optimal information size of 400",
        ),
        (
            {"ci_low": -2.5, "ci_high": 2.5},
            2,
            "CI includes no effect; CI spans the MID; CI includes important benefit and important harm",
        ),
        (
            {"k": 1, "n_participants": 399},
            2,
            "399 participants, under the optimal information size of 400; a single trial",
        ),
        ({"k": 1, "n_participants": 400}, 0, "CI excludes no effect and the MID; n >= 400"),
    ],
)
def test_imprecision_rules(change, levels, reason):
    d = rate(question(**change)).downgrades[2]
    assert (d.levels, d.reason) == (levels, reason)


@pytest.mark.parametrize(
    "ci,levels",
    [
        ((-0.7, -0.4), 1),  # spans -0.5
        ((-0.9, -0.6), 0),  # excludes no effect and -0.5 (the 0.75 in the mid column would be spanned)
        ((-0.6, 0.6), 2),  # important benefit and important harm
    ],
)
def test_imprecision_smd_uses_half_a_standard_deviation(ci, levels):
    # For an SMD the mid column is ignored and 0.5 SD is the MID (Norman et al. 2003).
    q = question(measure="SMD", mid=0.75, ci_low=ci[0], ci_high=ci[1], n_participants=600)
    assert rate(q).levels("imprecision") == levels


def test_imprecision_without_a_known_mid_judges_only_no_effect_and_size():
    assert rate(question(mid=math.nan, ci_low=-2.5, ci_high=-1.5)).levels("imprecision") == 0
    assert rate(question(mid=math.nan, ci_low=-2.5, ci_high=0.5)).levels("imprecision") == 1


# --- indirectness ----------------------------------------------------------------------------------


def test_pressure_pain_threshold_is_a_surrogate():
    d = rate(question(outcome_domain="ppt")).downgrades[3]
    assert d.levels == 1 and "surrogate" in d.reason


@pytest.mark.parametrize(
    "technique,co_intervention",
    [
        ("electrical_periosteal", ""),
        ("tendon_needling", ""),
        ("other", ""),
        ("trigger_point_dn", "cervical thrust manipulation in the needling arm only"),
    ],
)
def test_nonstandard_studies_come_from_the_technique_and_co_intervention_columns(technique, co_intervention):
    studies = pd.DataFrame(
        [
            {"study_id": "A", "technique": technique, "co_intervention": co_intervention},
            {"study_id": "B", "technique": "trigger_point_dn", "co_intervention": ""},
            {"study_id": "C", "technique": "not_stated", "co_intervention": ""},
        ]
    )
    found = grade.nonstandard_studies(studies)
    assert list(found) == ["A"]
    assert (technique.replace("_", " ") in found["A"]) != (technique == "trigger_point_dn")
    assert (co_intervention in found["A"]) if co_intervention else "co-intervention" not in found["A"]


@pytest.mark.parametrize("share,levels", [(25.0, 1), (24.9, 0)])
def test_non_standard_technique_by_weight_share(share, levels):
    weights = {"A": share, "B": 100.0 - share}
    c = rate(weights=weights, rob={"A": "low", "B": "low"}, nonstandard={"A": "technique: electrical periosteal"})
    assert c.levels("indirectness") == levels
    if levels:
        assert "A (technique: electrical periosteal)" in c.downgrades[3].reason


def test_standard_dry_needling_is_direct():
    d = rate(nonstandard={}).downgrades[3]
    assert (d.levels, d.reason) == (0, "population, intervention and outcome as asked")


# --- publication bias: only k >= 10, Egger p < 0.10 --------------------------------------------------


@pytest.mark.parametrize(
    "k,egger_p,levels",
    [
        (9, 0.001, 0),
        (10, 0.0999, 1),
        (10, 0.10, 0),
        (10, None, 0),
        (25, 0.05, 1),
    ],
)
def test_publication_bias_rules(k, egger_p, levels):
    assert rate(question(k=k), egger_p=egger_p).levels("publication_bias") == levels


def test_publication_bias_reasons():
    def reason(k, p):
        return rate(question(k=k), egger_p=p).downgrades[4].reason

    assert reason(9, 0.01) == "not assessable with fewer than 10 studies"
    assert reason(12, 0.031) == "serious: small-study effect (Egger p = 0.031)"
    assert reason(12, 0.5) == "no small-study effect detected (Egger p = 0.500)"


def test_registry_with_unreported_trials_suggests_publication_bias():
    counts = grade.RegistryCounts(registered=5, completed=4, unreported=("NCT03844802",), snapshot_date="2026-12-06")
    c = rate(question(k=4), registry=counts)
    assert c.levels("publication_bias") == 1 and c.suggested == "moderate"
    reason = c.downgrades[4].reason
    assert reason.startswith("not assessable with fewer than 10 studies; suspected: 1 of 5 registered trial(s)")
    assert "NCT03844802" in reason and "2026-12-06" in reason and "Guyatt 2011" in reason


def test_registry_without_unreported_trials_leaves_the_domain_and_says_so():
    clean = grade.RegistryCounts(registered=3, completed=2)
    c = rate(question(k=4), registry=clean)
    assert c.levels("publication_bias") == 0
    assert c.downgrades[4].reason.endswith(
        "registry: 3 registration(s), 2 completed, none completed 2 or more years ago without results"
    )
    assert (
        rate(question(k=4), registry=grade.RegistryCounts())
        .downgrades[4]
        .reason.endswith("registry: no registration of this condition recorded")
    )
    # Egger and the registry do not add up: the domain is down one level at most
    both = rate(question(k=12), egger_p=0.01, registry=grade.RegistryCounts(2, 2, ("NCT02373618",), "2026-12-06"))
    assert both.levels("publication_bias") == 1


# --- rate_question: levels add up, floor at very low, overrides ------------------------------------


@pytest.mark.parametrize(
    "change,suggested",
    [
        ({}, "high"),
        ({"i2": 60.0}, "moderate"),
        ({"i2": 80.0}, "low"),
        ({"i2": 80.0, "n_participants": 300}, "very_low"),
        ({"i2": 80.0, "n_participants": 300, "ci_high": 0.5, "outcome_domain": "ppt"}, "very_low"),  # 5 levels: floor
    ],
)
def test_suggested_certainty_counts_levels_down_from_high(change, suggested):
    assert rate(question(**change)).suggested == suggested


def test_override_sets_final_and_keeps_the_suggestion():
    c = rate(question(i2=80.0), override=("very_low", "panel judgement: indirect population"))
    assert (c.suggested, c.final, c.override_reason) == ("low", "very_low", "panel judgement: indirect population")
    c = rate(question(i2=80.0))
    assert (c.suggested, c.final, c.override_reason) == ("low", "low", "")


# --- certainty_table ---------------------------------------------------------------------------------


def curated(risk_of_bias: list[dict], studies: list[dict], grade_overrides: list[dict] = ()) -> Curated:
    return curated_tables(risk_of_bias=risk_of_bias, studies=studies, grade_overrides=list(grade_overrides))


def test_certainty_table_rates_questions_with_data_using_curated_rob_and_interventions():
    questions = pd.DataFrame(
        [
            question().to_dict(),
            question(question_id="neck_pain:pain:sham:long", k=2, i2=0.0).to_dict(),
            question(question_id="neck_pain:disability:sham:short", k=0).to_dict(),  # no data: not rated
        ]
    )
    forest = pd.DataFrame(
        [{"question_id": QID, "study_id": s, "weight": 25.0, "yi": -3.0, "vi": 0.1} for s in "ABCD"]
        + [
            {"question_id": "neck_pain:pain:sham:long", "study_id": s, "weight": 50.0, "yi": -3.0, "vi": 0.1}
            for s in "AB"
        ]
    )
    rob = [
        {"study_id": "A", "tool": "PEDro", "pedro_score": "4"},
        {"study_id": "B", "tool": "PEDro", "pedro_score": "5"},
        {"study_id": "C", "tool": "RoB2", "overall": "low"},
    ]  # D has no row: not assessed
    studies = [{"study_id": s, "condition_id": "neck_pain", "technique": "trigger_point_dn"} for s in "ABC"]
    studies.append({"study_id": "D", "condition_id": "neck_pain", "technique": "electrical_periosteal"})
    override = {
        "question_id": "neck_pain:pain:sham:long",
        "certainty": "moderate",
        "reason": "both trials at high risk, effect large",
    }
    table = grade.certainty_table(questions, forest, curated(rob, studies, [override]))
    assert list(table.columns) == list(grade.CERTAINTY_COLUMNS)
    assert list(table["question_id"]) == [QID, "neck_pain:pain:sham:long"]
    first = table.iloc[0]
    # A and B (PEDro <= 5) are 50% high risk, D 25% not assessed: 75% > 50 -> -1 (not > 50% high: not -2);
    # D is electrical dry needling with 25% of the weight -> indirectness -1.
    levels = tuple(first[d] for d in ("risk_of_bias", "indirectness", "inconsistency", "imprecision"))
    assert levels == (1, 1, 0, 0)
    assert (first["suggested"], first["final"], first["override_reason"]) == ("low", "low", "")
    assert "risk_of_bias: serious: 50% of the weight from high-risk studies, 25% not assessed" in first["reasons"]
    assert "publication_bias: not assessable with fewer than 10 studies" in first["reasons"]
    second = table.iloc[1]
    assert (second["risk_of_bias"], second["suggested"], second["final"]) == (2, "low", "moderate")
    assert second["override_reason"] == "both trials at high risk, effect large"
    # the registry's counts of the question's condition feed the publication-bias domain
    flagged = {"neck_pain": grade.RegistryCounts(3, 2, ("NCT03844802",), "2026-12-06")}
    with_registry = grade.certainty_table(
        questions.assign(condition_id="neck_pain"), forest, curated(rob, studies, [override]), flagged
    )
    assert list(with_registry["publication_bias"]) == [1, 1] and with_registry.iloc[0]["suggested"] == "very_low"
    other = grade.certainty_table(
        questions.assign(condition_id="tmd"), forest, curated(rob, studies, [override]), flagged
    )
    assert list(other["publication_bias"]) == [0, 0]


def test_certainty_table_of_no_questions_has_the_columns():
    empty = pd.DataFrame(columns=["question_id", "k"])
    table = grade.certainty_table(
        empty, pd.DataFrame(columns=["question_id", "study_id", "weight", "yi", "vi"]), curated([], [])
    )
    assert table.empty and list(table.columns) == list(grade.CERTAINTY_COLUMNS)


# --- informative statements (Santesso et al. 2020, J Clin Epidemiol 119:126, Table 3) ----------------

# (certainty, size) -> (wording when dry needling lowers the outcome, wording when it raises it),
# written out from the paper's table, "X" being dry needling.
SANTESSO = {
    ("high", "large"): ("results in a large reduction in {o}", "results in a large increase in {o}"),
    ("high", "moderate"): ("reduces {o}", "increases {o}"),
    ("high", "small"): ("reduces {o} slightly", "increases {o} slightly"),
    ("high", "trivial"): ("results in little to no difference in {o}", "results in little to no difference in {o}"),
    ("moderate", "large"): ("likely results in a large reduction in {o}", "likely results in a large increase in {o}"),
    ("moderate", "moderate"): ("probably reduces {o}", "probably increases {o}"),
    ("moderate", "small"): ("probably reduces {o} slightly", "probably increases {o} slightly"),
    ("moderate", "trivial"): (
        "probably results in little to no difference in {o}",
        "probably results in little to no difference in {o}",
    ),
    ("low", "large"): ("may result in a large reduction in {o}", "may result in a large increase in {o}"),
    ("low", "moderate"): ("may reduce {o}", "may increase {o}"),
    ("low", "small"): ("may reduce {o} slightly", "may increase {o} slightly"),
    ("low", "trivial"): (
        "may result in little to no difference in {o}",
        "may result in little to no difference in {o}",
    ),
}
CASES = [(c, s, lowers) for (c, s) in SANTESSO for lowers in (True, False)]


@pytest.mark.parametrize("certainty,size,lowers", CASES, ids=[f"{c}-{s}-{'down' if d else 'up'}" for c, s, d in CASES])
def test_informative_statement_for_pain_where_lower_is_better(certainty, size, lowers):
    # For pain, favouring dry needling means lowering it.
    verb = SANTESSO[certainty, size][0 if lowers else 1].format(o="pain")
    assert grade.informative_statement(certainty, size, lowers, "pain", "neck pain", "sham", "short") == (
        f"Compared with sham needling, dry needling {verb} in people with neck pain in the short term (up to 3 months)."
    )


@pytest.mark.parametrize("certainty,size,lowers", CASES, ids=[f"{c}-{s}-{'down' if d else 'up'}" for c, s, d in CASES])
def test_informative_statement_for_range_of_motion_where_higher_is_better(certainty, size, lowers):
    # For range of motion, favouring dry needling means raising it.
    verb = SANTESSO[certainty, size][0 if lowers else 1].format(o="range of motion")
    favours = not lowers
    assert grade.informative_statement(certainty, size, favours, "rom", "hip pain", "any", "any") == (
        f"Compared with control treatments, dry needling {verb} in people with hip pain."
    )


@pytest.mark.parametrize("size", ["large", "moderate", "small", "trivial"])
@pytest.mark.parametrize("favours", [True, False])
def test_very_low_certainty_says_the_evidence_is_very_uncertain(size, favours):
    assert grade.informative_statement(
        "very_low", size, favours, "disability", "low back pain", "usual_care", "long"
    ) == ("The evidence is very uncertain about the effect of dry needling on disability in people with low back pain.")


# --- overrides (the grade_overrides table, validated with the other curated tables) ---------------------


def _curated_with_overrides(tmp_path, rows: list[str]):
    paths = copy_data(tmp_path / "data")
    (paths.curated / "grade_overrides.csv").write_text(
        "question_id,certainty,reason\n" + "".join(r + "\n" for r in rows), encoding="utf-8"
    )
    return paths


def test_header_only_overrides_file_means_no_overrides(tmp_path):
    paths = _curated_with_overrides(tmp_path, [])
    assert grade.overrides(load_inputs(paths).curated) == {}


def test_valid_overrides_are_loaded(tmp_path):
    paths = _curated_with_overrides(
        tmp_path,
        [f'{QID},very_low,"indirect population, see notes"', "knee_pain:pain:sham:short,high,large consistent effect"],
    )
    assert grade.overrides(load_inputs(paths).curated) == {
        QID: ("very_low", "indirect population, see notes"),
        "knee_pain:pain:sham:short": ("high", "large consistent effect"),
    }


@pytest.mark.parametrize(
    "rows,bad_row,column",
    [
        ([f"{QID},medium,a reason"], 1, "certainty"),  # not a GRADE level
        ([f"{QID},low,ok", "knee_pain:pain:sham:short,High,a reason"], 2, "certainty"),  # levels are lower case
        ([f"{QID},low,"], 1, "reason"),  # missing reason
        ([f"{QID},low,ok", 'knee_pain:pain:sham:short,low,"   "'], 2, "reason"),  # a blank reason is no reason
        ([f"{QID},,a reason"], 1, "certainty"),  # missing certainty
    ],
)
def test_bad_override_is_a_problem_naming_file_row_and_column(tmp_path, rows, bad_row, column):
    problems = input_problems(_curated_with_overrides(tmp_path, rows))
    assert [(p.file, p.row, p.column) for p in problems] == [("grade_overrides.csv", bad_row + 1, column)]  # line


def test_ten_studies_of_equal_precision_are_rated_without_egger():
    """Egger's regression needs a spread of standard errors; with none the table is still built."""
    qid = "neck_pain:pain:sham:short"
    questions = pd.DataFrame([question(question_id=qid, k=10).to_dict()])
    forest = pd.DataFrame(
        [{"question_id": qid, "study_id": f"S{i}", "weight": 10.0, "yi": -1.0 - 0.1 * i, "vi": 0.2} for i in range(10)]
    )
    table = grade.certainty_table(questions, forest, curated([], []))
    assert table.loc[0, "publication_bias"] == 0
    assert "publication_bias: not assessable: the studies do not differ in precision" in table.loc[0, "reasons"]
