"""The project's vocabulary, defined once: every other module takes its lists and rules from here.

A leaf module (it imports nothing of the package), so that curation, analysis, GRADE, verdicts,
the wording checker and the report all speak the same words in the same order.

Ordered values
--------------
CONDITIONS      condition ids of the curated tables (search definitions use the same ids)
SUBCONDITIONS   named sub-conditions (frozen shoulder, piriformis ...) -> their broader condition
TECHNIQUES, PUBLICATION_STATUSES, INTERVENTION_SCOPES, POPULATION_SCOPES
                the applicability columns of studies and review findings
DOMAINS         outcome domains, in the order pages and tables show them
COMPARATORS     comparator types of a trial: sham, no treatment, usual care, another active
                treatment, the same treatment without dry needling (add-on)
WINDOWS         time windows after the end of treatment (``WINDOW_LIMITS`` in weeks)
ANY             the value of a review finding that pools several comparators or windows
LEVELS          GRADE certainty, lowest first (``certainty_rank`` orders them)
VERDICTS        claim verdicts, in the order the report lists them
PROBLEM_VERDICTS  the verdicts that mark a claim as a problem (listed first in the report)
REGISTRY_STATUSES  a ClinicalTrials.gov registration's overall status (API v2 ``overallStatus``);
                ``ONGOING_STATUSES`` the ones of a trial that has not ended

Effect sizes
------------
SMD_CLASSES     Cohen's cut-offs as given in the Cochrane Handbook (section 15.5.3.1): 0.8 large,
                0.5 moderate, 0.2 small
MD_CLASSES      multiples of the instrument's minimal important difference: 2 large, 1 moderate,
                0.5 small (our policy)
effect_class    the size class of an estimate; ``direction`` the one rule for "favours dry
                needling" (the sign convention: negative favours dry needling)
effect_text     the one way an effect is written: measure, estimate, 95% CI, scale (a missing CI
                or scale reads "not reported")

Question ids
------------
QuestionId      condition:domain:comparator:window, with parse, format, label, sort key, HTML
                anchor, figure file name and plot title
review_finding_id, parse_review_finding_id
                a review's finding on a question: review_id:condition:domain:comparator:window
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

CONDITIONS = (
    "all_dry_needling",
    "neck_pain",
    "low_back_pain",
    "shoulder_pain",
    "headache",
    "tmd",
    "hip_pain",
    "knee_pain",
    "plantar_heel_pain",
    "lateral_elbow_tendinopathy",
    "medial_elbow_tendinopathy",
    "achilles_tendinopathy",
    "patellar_tendinopathy",
    "myofascial_pain_syndrome",
    "fibromyalgia",
)
# named sub-conditions the materials single out -> the condition whose evidence is the broader one
SUBCONDITIONS = {
    "adhesive_capsulitis": "shoulder_pain",
    "iliotibial_band_syndrome": "knee_pain",
    "patellofemoral_pain": "knee_pain",
    "piriformis_syndrome": "hip_pain",
    "sacroiliac_joint_pain": "low_back_pain",
}
SUBCONDITION_LABELS = {
    "adhesive_capsulitis": "frozen shoulder (adhesive capsulitis)",
    "iliotibial_band_syndrome": "iliotibial band syndrome",
    "patellofemoral_pain": "patellofemoral pain (runner's knee)",
    "piriformis_syndrome": "piriformis syndrome",
    "sacroiliac_joint_pain": "sacroiliac joint pain",
}
# applicability of a study or a review finding (data/curated/README.md)
TECHNIQUES = ("trigger_point_dn", "tendon_needling", "electrical_periosteal", "other", "not_stated")
PUBLICATION_STATUSES = ("peer_reviewed", "preprint", "conference_abstract")
INTERVENTION_SCOPES = ("dn_only", "needling_incl_acupuncture", "dry_and_wet")
POPULATION_SCOPES = ("condition", "broader", "mixed")
DOMAINS = ("pain", "disability", "rom", "ppt", "qol", "medication", "global", "strength", "other")
COMPARATORS = ("sham", "no_treatment", "usual_care", "active_other", "add_on")
WINDOWS = ("immediate", "short", "mid", "long")
ANY = "any"
# window bounds in weeks after the end of treatment: immediate <= 1, short <= 13, mid <= 26, long > 26
WINDOW_LIMITS = {"immediate": (0.0, 1.0), "short": (1.0, 13.0), "mid": (13.0, 26.0), "long": (26.0, math.inf)}
LEVELS = ("very_low", "low", "moderate", "high")
VERDICTS = ("supported", "overstated", "uncertain", "unsupported", "contradicted", "not_checkable")
PROBLEM_VERDICTS = ("contradicted", "overstated")
REGISTRY_STATUSES = (
    "NOT_YET_RECRUITING",
    "RECRUITING",
    "ENROLLING_BY_INVITATION",
    "ACTIVE_NOT_RECRUITING",
    "SUSPENDED",
    "COMPLETED",
    "TERMINATED",
    "WITHDRAWN",
    "UNKNOWN",
    "AVAILABLE",
    "NO_LONGER_AVAILABLE",
    "TEMPORARILY_NOT_AVAILABLE",
    "APPROVED_FOR_MARKETING",
    "WITHHELD",
)
ONGOING_STATUSES = ("NOT_YET_RECRUITING", "RECRUITING", "ENROLLING_BY_INVITATION", "ACTIVE_NOT_RECRUITING")
# comparisons that say which of two active treatments is better, not whether dry needling works
HEAD_TO_HEAD = ("active_other",)

# outcomes where a lower value is better (pain, disability, medication use); the rest are higher-is-better
LOWER_IS_BETTER = frozenset({"pain", "disability", "medication"})

OUTCOME_NOUNS = {
    "pain": "pain",
    "disability": "disability",
    "rom": "range of motion",
    "ppt": "pressure pain threshold",
    "qol": "quality of life",
    "medication": "medication use",
    "global": "global improvement",
    "strength": "strength",
    "other": "the outcome",
}
# the domain as a table label or heading ("the outcome" reads as a sentence part, not a label)
OUTCOME_LABELS = {**OUTCOME_NOUNS, "other": "other outcome"}
COMPARATOR_PHRASES = {
    "sham": "sham needling",
    "no_treatment": "no treatment or waiting list",
    "usual_care": "usual care",
    "active_other": "another active treatment",
    "add_on": "the same treatment without dry needling",
    ANY: "control treatments",
}
WINDOW_PHRASES = {
    "immediate": "up to one week after treatment",
    "short": "in the short term (up to 3 months)",
    "mid": "at 3 to 6 months",
    "long": "after more than 6 months",
    ANY: "",
}

# what the trial-level extraction found for a trial (extraction_coverage.csv), and what that means for a gap in
# a question: the numbers are not readable here, or the sources read here give none in a usable form
NOT_READABLE_HERE = "not readable here"
EXTRACTION_STATUS = {
    "numbers_extracted": "numbers read here, none usable for this question",
    "numbers_only_in_figures": f"{NOT_READABLE_HERE} (numbers only in figures)",
    "full_text_not_available": f"{NOT_READABLE_HERE} (full text not available)",
    "not_found": f"{NOT_READABLE_HERE} (no report with results found)",
    "medians_without_iqr": "sources read give medians without IQR",
    "within_group_only": "sources read give within-group results only",
    "p_values_only": "sources read give p-values only",
    "no_between_group_numbers": "sources read give no between-group numbers",
}
# how pages name the applicability values of studies and review findings
APPLICABILITY_LABELS = {
    "trigger_point_dn": "trigger-point dry needling",
    "tendon_needling": "tendon needling",
    "electrical_periosteal": "electrical or periosteal needling",
    "other": "other needling technique",
    "not_stated": "technique not stated",
    "peer_reviewed": "peer reviewed",
    "preprint": "preprint (not peer reviewed)",
    "conference_abstract": "conference abstract only",
    "dn_only": "dry needling only",
    "needling_incl_acupuncture": "needling including acupuncture",
    "dry_and_wet": "dry and wet needling pooled",
    "condition": "this condition",
    "broader": "a broader population",
    "mixed": "mixed populations",
}
# comparator classes of a claim's evidence profile, in the order it lists them
COMPARATOR_CLASS_LABELS = {
    "sham": "sham or placebo",
    "no_treatment": "no treatment, waiting list or usual care",
    "add_on": "added to the same treatment",
    "active_other": "another active treatment",
    "mixed": "mixed comparators pooled by a review",
}

SMD_CLASSES = ((0.8, "large"), (0.5, "moderate"), (0.2, "small"))
MD_CLASSES = ((2.0, "large"), (1.0, "moderate"), (0.5, "small"))


def certainty_rank(level: str) -> int:
    """0 for very low up to 3 for high; -1 for an empty or unknown level."""
    return LEVELS.index(level) if level in LEVELS else -1


def order_of(value: str, values: Sequence[str]) -> int:
    """The position of ``value`` in an ordered vocabulary list (unknown values sort last)."""
    return values.index(value) if value in values else len(values)


def effect_class(estimate: float, measure: str, mid: float = math.nan) -> str:
    """``large`` / ``moderate`` / ``small`` / ``trivial`` for an estimate, "" when it cannot be told.

    SMD: |SMD| against ``SMD_CLASSES``. MD: |MD| / MID against ``MD_CLASSES`` (needs the MID of
    the instrument on the question's scale). Any other measure (RR, OR): "".
    """
    if estimate is None or math.isnan(estimate):
        return ""
    if measure == "SMD":
        size, bands = abs(estimate), SMD_CLASSES
    elif measure == "MD" and not (mid is None or math.isnan(mid)) and mid > 0:
        size, bands = abs(estimate) / mid, MD_CLASSES
    else:
        return ""
    return next((name for cut, name in bands if size >= cut), "trivial")


def effect_text(measure: str, estimate: str, ci_low: str = "", ci_high: str = "", scale: str = "") -> str:
    """An effect as text, e.g. "MD -0.95 (95% CI -1.88 to -0.02) on NPRS 0-10"; "" without an estimate.

    The values are given as they should be printed (strings). A CI with a missing end reads
    "95% CI not reported"; an MD without its scale says "scale not reported" (an MD means nothing
    without it); SMD, RR and OR need no scale.
    """
    if not str(estimate).strip():
        return ""
    ci = f"95% CI {ci_low} to {ci_high}" if str(ci_low).strip() and str(ci_high).strip() else "95% CI not reported"
    if measure == "MD":
        return f"{measure} {estimate} ({ci}) " + (f"on {scale}" if str(scale).strip() else "(scale not reported)")
    return f"{measure} {estimate} ({ci})".strip()


def direction(estimate: float, ci_low: float, ci_high: float) -> bool | None:
    """The one rule for "favours dry needling", for effects oriented so that negative favours it.

    True when the 95% CI lies wholly below 0, False when wholly above 0, None when it includes 0.
    Without a CI the sign of the estimate decides (None for 0 or no estimate).
    """
    if math.isnan(ci_low) or math.isnan(ci_high):
        if math.isnan(estimate) or estimate == 0:
            return None
        return estimate < 0
    if ci_high < 0:
        return True
    if ci_low > 0:
        return False
    return None


class QuestionId(NamedTuple):
    """An evidence question: condition x outcome domain x comparator type x window.

    Written ``condition:domain:comparator:window`` in every table; ``parse`` and ``str`` convert.
    """

    condition: str
    domain: str
    comparator: str
    window: str

    SEPARATOR = ":"

    @classmethod
    def parse(cls, text: str) -> QuestionId:
        """``QuestionId`` of ``condition:domain:comparator:window``; ValueError for anything else."""
        parts = str(text).split(cls.SEPARATOR)
        if len(parts) != 4 or not all(parts):
            raise ValueError(f"not a question id (condition:domain:comparator:window): {text!r}")
        return cls(*parts)

    def __str__(self) -> str:
        return self.SEPARATOR.join(self)

    @property
    def label(self) -> str:
        """In words, e.g. "pain, vs sham needling, up to one week after treatment"."""
        parts = [
            OUTCOME_LABELS.get(self.domain, self.domain),
            "vs " + COMPARATOR_PHRASES.get(self.comparator, self.comparator),
        ]
        window = WINDOW_PHRASES.get(self.window, self.window)
        return ", ".join(parts + ([window] if window else []))

    @property
    def sort_key(self) -> tuple:
        """Condition, then domain, comparator and window in their natural order."""
        return (
            self.condition,
            order_of(self.domain, DOMAINS),
            order_of(self.comparator, (*COMPARATORS, ANY)),
            order_of(self.window, (*WINDOWS, ANY)),
        )

    @property
    def anchor(self) -> str:
        """The HTML id of the question's section on its condition page."""
        return "q-" + "--".join(self)

    @property
    def title(self) -> str:
        """The id for a plot title: its parts joined by middle dots."""
        return " \u00b7 ".join(self)

    def figure_name(self, kind: str = "forest") -> str:
        """File name of the question's forest (or funnel) plot."""
        return f"{kind}_" + "__".join(self) + ".svg"


def review_finding_id(review_id: str, question: QuestionId) -> str:
    """The id of a published review's finding on a question: ``review_id:condition:domain:comparator:window``."""
    return f"{review_id}{QuestionId.SEPARATOR}{question}"


def parse_review_finding_id(text: str) -> tuple[str, QuestionId]:
    """(review id, question) of a review finding id; ValueError for anything else."""
    review_id, _, question = str(text).partition(QuestionId.SEPARATOR)
    if not review_id:
        raise ValueError(f"not a review finding id (review_id:condition:domain:comparator:window): {text!r}")
    return review_id, QuestionId.parse(question)
