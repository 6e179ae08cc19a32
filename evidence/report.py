"""The main job (``python -m evidence report``), the notebooks' helpers and the static HTML report.

``run_main_job`` validates the curated data, refreshes the PubMed snapshot when it can, rebuilds
the derived tables, executes the notebooks and writes the report. ``build_report`` writes
``data/derived/report/``: plain HTML pages that work when ``index.html`` is opened from disk
(no server, no network, no CDN; the only script is a few lines inlined in ``index.html``; the
forest plots are copied beside the pages and referenced relatively). The same inputs give
byte-identical pages: rows are sorted and nothing depends on the clock.

Pages
-----
index.html                      the claims table with filters, links to everything else
conditions/<condition_id>.html  one per search definition: studies, forest plots, summary of
                                findings, questions without usable data, reviews, risk of bias
claims/<claim_id>.html          one per registered claim: verdict, evidence, occurrences
provenance.html                 searches, search log, sensitivity, unscreened records, changes
notebooks/<name>.html           the executed notebooks (when they were run)

The notebooks (``notebooks/*.ipynb``) read the data directory from ``$EVIDENCE_DATA_DIR``
(``notebook_paths``) and use the table helpers below; they define no logic of their own.
"""

from __future__ import annotations

import logging
import math
import os
import re
import socket
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import urlparse

import pandas as pd

from evidence import __version__
from evidence.config import DEFAULT_DATA_DIR, NOTEBOOKS_DIR, PROJECT_ROOT, ConfigError, DataPaths
from evidence.grade import COMPARATOR_PHRASES, LEVELS, OUTCOME_NOUNS, WINDOW_PHRASES, rob_category
from evidence.searches import SearchDefinitions, condition_of, load_search_definitions
from evidence.store import PubmedStore
from evidence.tables import atomic_write_bytes, read_csv

DATA_DIR_ENV = "EVIDENCE_DATA_DIR"
TEMPLATES_DIR = Path(__file__).parent / "templates"
KERNEL_NAME = "python3"
NOTEBOOK_TIMEOUT = 600
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

DOMAIN_ORDER = ("pain", "disability", "rom", "ppt", "qol", "medication", "global", "strength", "other")
COMPARATOR_ORDER = ("sham", "no_treatment", "usual_care", "active_other", "add_on", "any")
WINDOW_ORDER = ("immediate", "short", "mid", "long", "any")
VERDICT_ORDER = ("supported", "overstated", "uncertain", "unsupported", "contradicted", "not_checkable")
GENERAL = "general"  # the filter value of claims about no single condition
HOW_TO_SEARCH = ("run `NCBI_EMAIL=you@example.org python -m evidence update` (or `python -m evidence report` "
                 "with NCBI_EMAIL set and network access)")


# ----------------------------------------------------------------------------- small helpers

def notebook_paths() -> DataPaths:
    """The data directory a notebook reads: ``$EVIDENCE_DATA_DIR``, else the project's ``data/``."""
    return DataPaths(Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR))


def display_path(path: Path) -> str:
    """``path`` relative to the project folder when it lies inside it, so that outputs name no
    machine-specific location; otherwise the path as given."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _num(value: Any) -> float:
    """A cell as a float (NaN when empty or not a number)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def fmt(value: Any, digits: int = 2) -> str:
    """A number with ``digits`` decimals, or "" when the cell is empty."""
    x = _num(value)
    return "" if math.isnan(x) else f"{x:.{digits}f}"


def _order(value: str, order: Sequence[str]) -> int:
    return order.index(value) if value in order else len(order)


def question_sort_key(question_id: str) -> tuple:
    """Sort questions by condition, then outcome, comparator and window in their natural order."""
    condition, domain, comparator, window = question_id.split(":")
    return (condition, _order(domain, DOMAIN_ORDER), _order(comparator, COMPARATOR_ORDER),
            _order(window, WINDOW_ORDER))


def question_label(question_id: str) -> str:
    """A question id in words, e.g. "pain, vs sham needling, up to one week after treatment"."""
    _, domain, comparator, window = question_id.split(":")
    parts = [OUTCOME_NOUNS.get(domain, domain), "vs " + COMPARATOR_PHRASES.get(comparator, comparator)]
    if WINDOW_PHRASES.get(window, window):
        parts.append(WINDOW_PHRASES.get(window, window))
    return ", ".join(parts)


def question_anchor(question_id: str) -> str:
    """The HTML id of a question's section on its condition page."""
    return "q-" + question_id.replace(":", "--")


def split_reasons(text: str) -> list[str]:
    """"key: text" items joined with "; " (questions.csv ``not_used``: "study: reason"; certainty.csv
    ``reasons``: "domain: reason") as a list; a "; " inside an item's text is kept."""
    return [part for part in re.split(r";\s(?=[A-Za-z][A-Za-z0-9_]*:\s)", text or "") if part]


def split_list(text: str) -> list[str]:
    """A "; "-joined cell as a list (empty cell: empty list)."""
    return [part.strip() for part in (text or "").split(";") if part.strip()]


def pubmed_url(pmid: str) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


def doi_url(doi: str) -> str:
    return f"https://doi.org/{doi}"


# ----------------------------------------------------------------------------- tables for notebooks

def search_log(paths: DataPaths) -> pd.DataFrame:
    """The search log: date, search id, count, retrieved, new PMIDs (empty when no search has run)."""
    log = PubmedStore(paths.pubmed).log()
    return log[["date", "search_id", "rct_filter", "count", "retrieved", "new_pmids_n", "missing_pmids",
                "newly_retracted"]].reset_index(drop=True)


def snapshot_note(paths: DataPaths) -> str:
    """One sentence on what the PubMed snapshot holds."""
    log = PubmedStore(paths.pubmed).log()
    if log.empty:
        return f"No PubMed search has been run into this snapshot yet; to run one, {HOW_TO_SEARCH}."
    return (f"{len(log)} search run(s) logged, the latest on {max(log['date'])}; "
            f"{len(PubmedStore(paths.pubmed).records())} PubMed record(s) stored.")


def records_by_condition_year(paths: DataPaths) -> pd.DataFrame:
    """PubMed records retrieved per condition (rows) and publication year (columns)."""
    store = PubmedStore(paths.pubmed)
    hits, records = store.hits(), store.records()
    if hits.empty:
        return pd.DataFrame(columns=["condition_id"])
    frame = hits.assign(condition_id=hits["search_id"].map(condition_of))[["condition_id", "pmid"]].drop_duplicates()
    frame = frame.merge(records[["pmid", "year"]], on="pmid", how="left")
    frame["year"] = frame["year"].replace("", "unknown").fillna("unknown")
    table = frame.pivot_table(index="condition_id", columns="year", values="pmid", aggfunc="count", fill_value=0)
    return table.sort_index().sort_index(axis=1)


PRISMA_COLUMNS = ("condition_id", "searched", "identified_pubmed", "identified_other", "screened",
                  "awaiting_screening", "excluded", "included", "included_with_data")


def prisma_flow(paths: DataPaths) -> pd.DataFrame:
    """A PRISMA 2020 flow per condition of the search definitions (one row each).

    identified_pubmed   unique PMIDs the condition's searches retrieved (0 when not searched yet)
    identified_other    screened studies of the condition that the searches did not retrieve
                        (found in reviews' reference lists and by hand)
    screened            studies of the condition with a decision in studies.csv
    awaiting_screening  retrieved PMIDs without any decision in studies.csv
    excluded, included  decisions in studies.csv (reasons: ``exclusion_reasons``)
    included_with_data  included studies that contribute an effect to at least one question
    """
    from evidence.curation import load_curated

    definitions = load_search_definitions(paths.searches)
    studies = load_curated(paths.curated).studies
    store = PubmedStore(paths.pubmed)
    hits = store.hits()
    hits = hits.assign(condition_id=hits["search_id"].map(condition_of))
    searched = set(store.log()["search_id"].map(condition_of))
    decided = set(studies["pmid"]) - {""}
    forest = read_csv(paths.derived / "forest.csv", ["question_id", "study_id"])
    with_data = set(zip(forest["question_id"].str.split(":").str[0], forest["study_id"]))
    rows = []
    for cid in definitions.ids:
        found = set(hits.loc[hits["condition_id"] == cid, "pmid"])
        mine = studies[studies["condition_id"] == cid]
        included = mine[mine["decision"] == "include"]
        rows.append({
            "condition_id": cid, "searched": cid in searched,
            "identified_pubmed": len(found), "identified_other": int((~mine["pmid"].isin(found)).sum()),
            "screened": len(mine), "awaiting_screening": len(found - decided),
            "excluded": int((mine["decision"] == "exclude").sum()), "included": len(included),
            "included_with_data": sum((cid, s) in with_data for s in included["study_id"]),
        })
    return pd.DataFrame(rows, columns=list(PRISMA_COLUMNS))


def prisma_text(paths: DataPaths, condition_id: str) -> str:
    """The PRISMA 2020 flow of one condition as indented text (identification, screening, included)."""
    flow = prisma_flow(paths).set_index("condition_id")
    if condition_id not in flow.index:
        raise ConfigError(f"unknown condition id {condition_id!r}; known: {', '.join(flow.index)}")
    f = flow.loc[condition_id]
    searched = "" if f["searched"] else " (no PubMed search run into this snapshot yet)"
    lines = ["Identification",
             f"  records identified from PubMed (search {condition_id}): {f['identified_pubmed']}{searched}",
             f"  studies identified from other sources (reviews, reference lists): {f['identified_other']}",
             "Screening",
             f"  records screened (a decision in studies.csv): {f['screened']}",
             f"  records awaiting screening: {f['awaiting_screening']}",
             f"  excluded, with reasons: {f['excluded']}"]
    reasons = exclusion_reasons(paths, condition_id)
    lines += [f"    - {r.study_id}: {r.exclusion_reason}" for r in reasons.itertuples()]
    lines += ["Included", f"  studies included: {f['included']} (with usable effect data: {f['included_with_data']})"]
    return "\n".join(lines)


def exclusion_reasons(paths: DataPaths, condition_id: str | None = None) -> pd.DataFrame:
    """Excluded studies with their reasons (of one condition, or all), sorted."""
    from evidence.curation import load_curated

    studies = load_curated(paths.curated).studies
    out = studies[studies["decision"] == "exclude"]
    if condition_id:
        out = out[out["condition_id"] == condition_id]
    return (out[["condition_id", "study_id", "exclusion_reason"]]
            .sort_values(["condition_id", "study_id"], kind="mergesort").reset_index(drop=True))


def condition_questions(paths: DataPaths, condition_id: str) -> pd.DataFrame:
    """The evidence questions of one condition with their GRADE certainty, in natural order."""
    questions = read_csv(paths.derived / "questions.csv")
    certainty = read_csv(paths.derived / "certainty.csv")
    out = questions[questions["condition_id"] == condition_id]
    if not certainty.empty:
        out = out.merge(certainty[["question_id", "suggested", "final", "reasons", "override_reason"]],
                        on="question_id", how="left").fillna("")
    out = out.assign(label=out["question_id"].map(question_label))
    return out.sort_values("question_id", key=lambda s: s.map(question_sort_key), kind="mergesort").reset_index(drop=True)


def forest_figures(paths: DataPaths, condition_id: str) -> list[tuple[str, Path]]:
    """(question label, SVG path) of the condition's forest plots that exist, in natural order."""
    from evidence.pipeline import figure_name

    q = condition_questions(paths, condition_id)
    out = []
    for qid in q.loc[q["k"].map(_num) > 0, "question_id"]:
        path = paths.derived / "figures" / figure_name(qid)
        if path.exists():
            out.append((question_label(qid), path))
    return out


def claims_overview(paths: DataPaths, condition_id: str | None = None) -> pd.DataFrame:
    """One row per registered claim (about ``condition_id`` only, if given): verdict, certainty,
    effect, sources (evidence ids), allowed wording, conditions and the number of places in the
    materials that make it."""
    from evidence.claims import load_claims

    claims = load_claims(paths.curated / "claims.yaml")
    verdicts = read_csv(paths.derived / "claim_verdicts.csv").set_index("claim_id")
    rows = []
    for claim in sorted(claims, key=lambda c: c.id):
        if condition_id and condition_id not in claim.conditions:
            continue
        v = verdicts.loc[claim.id] if claim.id in verdicts.index else pd.Series(dtype=str)
        rows.append({"claim_id": claim.id, "statement": claim.statement, "type": claim.type,
                     "conditions": "; ".join(claim.conditions), "verdict": v.get("verdict", "not built"),
                     "certainty": v.get("certainty", ""), "effect": v.get("effect", ""),
                     "sources": v.get("evidence_ids", ""), "allowed_wording": v.get("allowed_wording", ""),
                     "occurrences": len(claim.occurrences)})
    return pd.DataFrame(rows, columns=["claim_id", "statement", "type", "conditions", "verdict", "certainty",
                                       "effect", "sources", "allowed_wording", "occurrences"])


# ----------------------------------------------------------------------------- report inputs

@dataclass(frozen=True)
class ReportInputs:
    """Everything a report page reads, loaded once."""

    definitions: SearchDefinitions
    curated: Any  # evidence.curation.Curated
    claims: list  # list[evidence.claims.Claim]
    questions: pd.DataFrame
    certainty: pd.DataFrame
    summary: pd.DataFrame
    verdicts: pd.DataFrame
    sensitivity: pd.DataFrame
    subgroups: pd.DataFrame
    records: pd.DataFrame
    hits: pd.DataFrame
    log: pd.DataFrame

    @cached_property
    def verdict_by_claim(self) -> dict[str, dict[str, str]]:
        return {r["claim_id"]: r for r in self.verdicts.to_dict("records")}

    @cached_property
    def review_by_id(self) -> dict[str, dict[str, str]]:
        return {r["review_id"]: r for r in self.curated.reviews.to_dict("records")}

    @cached_property
    def certainty_by_question(self) -> dict[str, dict[str, str]]:
        return {r["question_id"]: r for r in self.certainty.to_dict("records")}

    @cached_property
    def record_by_pmid(self) -> dict[str, dict[str, str]]:
        return {r["pmid"]: r for r in self.records.to_dict("records")}


def load_inputs(paths: DataPaths) -> ReportInputs:
    """Read the curated data, the derived tables and the PubMed tables (strings throughout)."""
    from evidence.claims import load_claims
    from evidence.curation import load_curated

    needed = paths.derived / "claim_verdicts.csv"
    if not needed.exists():
        raise ConfigError(f"{needed} is missing: run `python -m evidence analyse` first")
    store = PubmedStore(paths.pubmed)
    return ReportInputs(
        definitions=load_search_definitions(paths.searches), curated=load_curated(paths.curated),
        claims=sorted(load_claims(paths.curated / "claims.yaml"), key=lambda c: c.id),
        questions=read_csv(paths.derived / "questions.csv"), certainty=read_csv(paths.derived / "certainty.csv"),
        summary=read_csv(paths.derived / "summary_of_findings.csv"), verdicts=read_csv(needed),
        sensitivity=read_csv(paths.derived / "sensitivity.csv"), subgroups=read_csv(paths.derived / "subgroups.csv"),
        records=store.records(), hits=store.hits(), log=store.log(),
    )


def _links(pmid: str, doi: str) -> list[dict[str, str]]:
    out = []
    if pmid:
        out.append({"text": f"PMID {pmid}", "href": pubmed_url(pmid)})
    if doi:
        out.append({"text": f"doi:{doi}", "href": doi_url(doi)})
    return out


def _cite(row: Mapping[str, str]) -> str:
    """ "First author year" of a study, review or source row."""
    return " ".join(x for x in (row.get("first_author", ""), row.get("year", "")) if x)


def _retracted(inputs: ReportInputs) -> set[str]:
    r = inputs.records
    return set(r.loc[r["retracted"] == "true", "pmid"])


# ----------------------------------------------------------------------------- page contexts

def _index_context(inputs: ReportInputs, notebooks: list[dict[str, str]]) -> dict:
    verdicts = inputs.verdict_by_claim
    labels = {c.id: c.label for c in inputs.definitions.conditions}
    rows = []
    for claim in inputs.claims:
        v = verdicts.get(claim.id, {})
        rows.append({"id": claim.id, "statement": claim.statement, "type": claim.type,
                     "verdict": v.get("verdict", "not_built"), "certainty": v.get("certainty", ""),
                     "wording": v.get("allowed_wording", ""),
                     "conditions": " ".join(claim.conditions) or GENERAL,
                     "condition_labels": [labels.get(c, c) for c in claim.conditions]})
    counts = {v: sum(r["verdict"] == v for r in rows) for v in VERDICT_ORDER}
    used = sorted({c for claim in inputs.claims for c in claim.conditions},
                  key=lambda c: (c not in labels, list(labels).index(c) if c in labels else 0, c))
    condition_options = [{"value": c, "label": labels.get(c, c)} for c in used]
    if any(not claim.conditions for claim in inputs.claims):
        condition_options.append({"value": GENERAL, "label": "General (no single condition)"})
    studies = inputs.curated.studies
    conditions = []
    for c in inputs.definitions.conditions:
        mine = studies[studies["condition_id"] == c.id]
        conditions.append({"id": c.id, "label": c.label, "included": int((mine["decision"] == "include").sum()),
                           "excluded": int((mine["decision"] == "exclude").sum()),
                           "questions": int((inputs.questions["condition_id"] == c.id).sum())})
    return {"title": "Claims about dry needling, checked against the evidence", "rows": rows,
            "verdict_counts": [{"verdict": v, "n": counts[v]} for v in VERDICT_ORDER if counts[v]],
            "verdict_options": [v for v in VERDICT_ORDER if counts[v]], "condition_options": condition_options,
            "conditions": conditions, "notebooks": notebooks, "snapshot": _snapshot_line(inputs)}


def _snapshot_line(inputs: ReportInputs) -> str:
    if inputs.log.empty:
        return "No PubMed search has been run into this snapshot yet; the tables come from the curated data alone."
    return f"PubMed snapshot: latest search {max(inputs.log['date'])}, {len(inputs.records)} record(s) stored."


def _study_rows(inputs: ReportInputs, condition_id: str) -> list[dict]:
    studies = inputs.curated.studies
    mine = studies[studies["condition_id"] == condition_id]
    mine = mine.assign(_d=mine["decision"].map({"include": 0, "exclude": 1}))
    mine = mine.sort_values(["_d", "first_author", "year", "study_id"], kind="mergesort")
    retracted = _retracted(inputs)
    return [{"id": r["study_id"], "cite": _cite(r), "title": r["title"], "journal": r["journal"],
             "design": r["design"].replace("_", " "), "n": r["n_randomised"],
             "comparator_type": COMPARATOR_PHRASES.get(r["comparator_type"], r["comparator_type"]),
             "intervention": r["intervention"], "comparator": r["comparator"], "decision": r["decision"],
             "reason": r["exclusion_reason"], "links": _links(r["pmid"], r["doi"]),
             "retracted": bool(r["pmid"]) and r["pmid"] in retracted} for r in mine.to_dict("records")]


def _question_rows(inputs: ReportInputs, condition_id: str, figures: Path) -> tuple[list[dict], list[dict]]:
    """(questions with data, questions without usable data) of a condition, in natural order;
    ``figures`` is the derived figures folder (a funnel plot is shown when one was drawn)."""
    from evidence.pipeline import figure_name

    q = inputs.questions[inputs.questions["condition_id"] == condition_id]
    cert = inputs.certainty_by_question
    with_data, without = [], []
    for r in sorted(q.to_dict("records"), key=lambda r: question_sort_key(r["question_id"])):
        qid = r["question_id"]
        funnel = figure_name(qid).replace("forest_", "funnel_", 1)
        base = {"id": qid, "anchor": question_anchor(qid), "label": question_label(qid),
                "not_used": split_reasons(r["not_used"])}
        if _num(r["k"]) <= 0:
            without.append(base)
            continue
        c = cert.get(qid, {})
        k = int(_num(r["k"]))
        unit = "" if r["measure"] == "SMD" else f" ({r['scale']})"
        effect = f"{r['measure']} {fmt(r['estimate'])} (95% CI {fmt(r['ci_low'])} to {fmt(r['ci_high'])}){unit}"
        details = [f"{k} stud{'y' if k == 1 else 'ies'}, {r['n_participants']} participants",
                   "single study" if k == 1 else f"random effects ({r['method']})"]
        if k >= 2:
            details.append(f"I\u00b2 {fmt(r['i2'], 0)}%")
        if k >= 3 and fmt(r["pi_low"]):
            details.append(f"95% prediction interval {fmt(r['pi_low'])} to {fmt(r['pi_high'])}")
        if r["effect_class"]:
            details.append(f"effect size: {r['effect_class']}")
        with_data.append({**base, "effect": effect, "details": "; ".join(details), "studies": split_list(r["study_ids"]),
                          "certainty": c.get("final", ""), "suggested": c.get("suggested", ""),
                          "override_reason": c.get("override_reason", ""),
                          "grade_reasons": split_reasons(c.get("reasons", "")), "figure": "figures/" + figure_name(qid),
                          "funnel": f"figures/{funnel}" if (figures / funnel).exists() else ""})
    return with_data, without


def _sof_rows(inputs: ReportInputs, condition_id: str) -> list[dict]:
    s = inputs.summary[inputs.summary["condition_id"] == condition_id]
    rows = sorted(s.to_dict("records"), key=lambda r: question_sort_key(r["question_id"]))
    return [{"anchor": question_anchor(r["question_id"]), "outcome": OUTCOME_NOUNS.get(r["outcome_domain"], r["outcome_domain"]),
             "comparator": COMPARATOR_PHRASES.get(r["comparator_type"], r["comparator_type"]),
             "window": WINDOW_PHRASES.get(r["window"], r["window"]), "k": r["k"], "n": r["n_participants"],
             "effect": r["effect"], "certainty": r["certainty"], "suggested": r["suggested_certainty"],
             "statement": r["statement"]} for r in rows]


def _review_rows(inputs: ReportInputs, condition_id: str) -> list[dict]:
    f = inputs.curated.review_findings
    reviews = inputs.review_by_id
    mine = f[f["condition_id"] == condition_id].to_dict("records")
    mine.sort(key=lambda r: (r["review_id"], _order(r["outcome_domain"], DOMAIN_ORDER),
                             _order(r["comparator_type"], COMPARATOR_ORDER), _order(r["window"], WINDOW_ORDER)))
    rows = []
    for r in mine:
        rev = reviews.get(r["review_id"], {})
        effect = ""
        if r["effect"]:
            ci = f" (95% CI {r['ci_low']} to {r['ci_high']})" if r["ci_low"] else ""
            effect = f"{r['effect_measure']} {r['effect']}{ci}" + (f" on {r['scale']}" if r["scale"] else "")
        size = ", ".join(x for x in (f"{r['n_trials']} trials" if r["n_trials"] else "",
                                     f"{r['n_participants']} participants" if r["n_participants"] else "") if x)
        rows.append({"review_id": r["review_id"], "cite": _cite(rev) or r["review_id"], "title": rev.get("title", ""),
                     "links": _links(rev.get("pmid", ""), rev.get("doi", "")),
                     "outcome": OUTCOME_NOUNS.get(r["outcome_domain"], r["outcome_domain"]),
                     "comparator": COMPARATOR_PHRASES.get(r["comparator_type"], r["comparator_type"]),
                     "window": WINDOW_PHRASES.get(r["window"], r["window"]) or "any time", "size": size,
                     "effect": effect, "i2": f"{r['i2']}%" if r["i2"] else "", "certainty": r["certainty"],
                     "conclusion": r["conclusion"]})
    return rows


def _rob_rows(inputs: ReportInputs, condition_id: str) -> list[dict]:
    studies = inputs.curated.studies
    included = studies[(studies["condition_id"] == condition_id) & (studies["decision"] == "include")]
    rob = {r["study_id"]: r for r in inputs.curated.risk_of_bias.to_dict("records")}
    rows = []
    for s in sorted(included.to_dict("records"), key=lambda r: (r["first_author"], r["year"], r["study_id"])):
        r = rob.get(s["study_id"])
        domains = [r[d] if r else "" for d in ("d1_randomisation", "d2_deviations", "d3_missing_data",
                                               "d4_measurement", "d5_reporting")]
        rows.append({"id": s["study_id"], "cite": _cite(s), "assessed": r is not None,
                     "tool": r["tool"] if r else "", "overall": r["overall"] if r else "", "domains": domains,
                     "pedro": r["pedro_score"] if r else "", "source": r["source"] if r else "",
                     "category": rob_category(pd.Series(r) if r else None)})
    return rows


def _coverage(inputs: ReportInputs, condition_id: str) -> dict[str, str]:
    """The curators' coverage row of a condition (coverage.csv: status, what was searched, note)."""
    coverage = inputs.curated.tables.get("coverage")
    if coverage is None:
        return {}
    rows = coverage[coverage["condition_id"] == condition_id].to_dict("records")
    return rows[0] if rows else {}


def _sensitivity_rows(inputs: ReportInputs, condition_id: str) -> tuple[list[dict], list[dict]]:
    """Leave-one-out re-poolings and subgroup differences by comparator for one condition."""
    loo = inputs.sensitivity[inputs.sensitivity["question_id"].str.split(":").str[0] == condition_id]
    sub = inputs.subgroups[inputs.subgroups["condition_id"] == condition_id]
    leave_one_out = [{"question": question_label(r["question_id"]), "left_out": r["left_out"],
                      "effect": f"{fmt(r['estimate'])} ({fmt(r['ci_low'])} to {fmt(r['ci_high'])})",
                      "i2": fmt(r["i2"], 0)} for r in loo.to_dict("records")]
    subgroups = [{"outcome": r["outcome_domain"], "window": r["window"], "measure": f"{r['measure']} ({r['scale']})",
                  "comparators": r["comparators"], "test": f"Q = {fmt(r['q_between'])}, df = {r['df']}, "
                  f"p = {fmt(r['p'], 3)}"} for r in sub.to_dict("records")]
    return leave_one_out, subgroups


def _condition_context(inputs: ReportInputs, condition_id: str, figures: Path) -> dict:
    condition = inputs.definitions.condition(condition_id)
    studies = _study_rows(inputs, condition_id)
    with_data, without = _question_rows(inputs, condition_id, figures)
    loo, subgroups = _sensitivity_rows(inputs, condition_id)
    verdicts = inputs.verdict_by_claim
    claims = [{"id": c.id, "statement": c.statement, "verdict": verdicts.get(c.id, {}).get("verdict", "not_built")}
              for c in inputs.claims if condition_id in c.conditions]
    return {"title": condition.label, "condition": condition, "coverage": _coverage(inputs, condition_id),
            "included": [s for s in studies if s["decision"] == "include"],
            "excluded": [s for s in studies if s["decision"] == "exclude"],
            "questions": with_data, "no_data": without, "sof": _sof_rows(inputs, condition_id),
            "reviews": _review_rows(inputs, condition_id), "rob": _rob_rows(inputs, condition_id), "claims": claims,
            "leave_one_out": loo, "subgroups": subgroups}


def _evidence_item(inputs: ReportInputs, ref: str, labels: dict[str, str]) -> dict:
    """One evidence id of a verdict as {text, href, detail}: a question or a review finding links to
    its condition page; a safety or mechanism row is listed with what it says."""
    parts = ref.split(":")
    if len(parts) == 4 and parts[0] in labels:
        return {"text": f"{labels[parts[0]]}: {question_label(ref)}", "kind": "evidence question (this tracker)", "id": ref,
                "href": f"../conditions/{parts[0]}.html#{question_anchor(ref)}", "detail": ""}
    if len(parts) == 5:
        review_id, condition = parts[0], parts[1]
        review = inputs.review_by_id.get(review_id)
        label = (f"{_cite(review) if review else review_id}, {labels.get(condition, condition)}: "
                 f"{question_label(':'.join(parts[1:]))}")
        href = f"../conditions/{condition}.html#reviews" if condition in labels else ""
        return {"text": label, "kind": "published review finding", "id": ref, "href": href, "detail": ""}
    safety = inputs.curated.safety
    row = safety[safety["safety_id"] == ref].to_dict("records")
    if row:
        r = row[0]
        count = f"{r['events']} of {r['denominator']} {r['denominator_unit']}" if r["denominator"] else \
            f"{r['events'] or '?'} {r['denominator_unit']}"
        rate = f", {r['rate_percent']}%" if r["rate_percent"] else ""
        return {"text": ref, "kind": "safety data", "id": ref, "href": "",
                "detail": f"{r['event_type'].replace('_', ' ')} ({r['severity']}): {count}{rate}; source {r['source_id']}"}
    mech = inputs.curated.mechanisms
    row = mech[mech["mechanism_id"] == ref].to_dict("records")
    if row:
        r = row[0]
        return {"text": ref, "kind": "mechanism study", "id": ref, "href": "",
                "detail": f"{r['population'].replace('_', ' ')}, {r['direction'].replace('_', ' ')}: {r['finding']}"}
    return {"text": ref, "kind": "", "id": ref, "href": "", "detail": ""}


def _claim_context(inputs: ReportInputs, claim: Any) -> dict:
    v = inputs.verdict_by_claim.get(claim.id, {})
    known = set(inputs.definitions.ids)
    labels = {c.id: c.label for c in inputs.definitions.conditions}
    reviews = inputs.review_by_id
    named = [{"id": r, "cite": _cite(reviews.get(r, {})) or r, "title": reviews.get(r, {}).get("title", ""),
              "links": _links(reviews.get(r, {}).get("pmid", ""), reviews.get(r, {}).get("doi", ""))}
             for r in sorted(claim.reviews)]
    return {"title": claim.id, "claim": claim, "verdict": v.get("verdict", "not_built"),
            "certainty": v.get("certainty", ""), "effect": v.get("effect", ""), "reason": v.get("reason", ""),
            "override_reason": v.get("override_reason", ""), "wording": v.get("allowed_wording", ""),
            "conditions": [{"id": c, "label": labels.get(c, c), "linked": c in known} for c in claim.conditions],
            "evidence": [_evidence_item(inputs, ref, labels) for ref in split_list(v.get("evidence_ids", ""))],
            "named_reviews": named,
            "occurrences": sorted(({"document": o.document, "locator": o.locator} for o in claim.occurrences),
                                  key=lambda o: (o["document"], o["locator"]))}


def _record_rows(inputs: ReportInputs, pmids: Iterable[str]) -> list[dict]:
    records = inputs.record_by_pmid
    rows = []
    for pmid in sorted(set(pmids), key=lambda p: (len(p), p)):
        r = records.get(pmid, {})
        rows.append({"pmid": pmid, "href": pubmed_url(pmid), "year": r.get("year", ""),
                     "cite": r.get("first_author", ""), "title": r.get("title", "(record not stored)"),
                     "retracted": r.get("retracted") == "true"})
    return rows


def verdict_changes(current: pd.DataFrame, previous: pd.DataFrame | None) -> list[dict[str, str]] | None:
    """Claims whose verdict differs from the previous build (new and removed claims included);
    None when there is no previous build."""
    if previous is None:
        return None
    old = dict(zip(previous.get("claim_id", []), previous.get("verdict", [])))
    new = dict(zip(current["claim_id"], current["verdict"]))
    changes = []
    for cid in sorted(set(old) | set(new)):
        before, after = old.get(cid, "(not registered)"), new.get(cid, "(removed)")
        if before != after:
            changes.append({"claim_id": cid, "before": before, "after": after, "exists": cid in new})
    return changes


def _provenance_context(inputs: ReportInputs, paths: DataPaths, previous: pd.DataFrame | None) -> dict:
    from evidence.status import last_runs, search_sensitivity, unscreened

    store = PubmedStore(paths.pubmed)
    d = inputs.definitions
    searches = [{"id": c.id, "label": c.label, "query": d.query(c.id)} for c in d.conditions]
    log = inputs.log.to_dict("records")
    runs = last_runs(store)
    new_records = [{"search_id": r["search_id"], "date": r["date"], "n": r["new_pmids_n"],
                    "records": _record_rows(inputs, split_list(r["new_pmids"]))}
                   for r in runs.to_dict("records") if split_list(r["new_pmids"])]
    sens = search_sensitivity(store, inputs.curated.studies)
    sens = sens.sort_values(["condition_id", "study_id"], kind="mergesort")
    studies = inputs.curated.studies
    retracted = []
    for r in _record_rows(inputs, _retracted(inputs)):
        used = studies.loc[studies["pmid"] == r["pmid"], ["study_id", "condition_id", "decision"]]
        retracted.append({**r, "studies": [f"{s.study_id} ({s.condition_id}, {s.decision})" for s in used.itertuples()]})
    return {"title": "Provenance", "searches": searches, "dry_needling_block": d.dry_needling_block,
            "rct_filter": d.rct_filter, "log": log, "how_to_search": HOW_TO_SEARCH,
            "sensitivity": sens.to_dict("records"),
            "sensitivity_counts": {k: int((sens["retrieved"] == k).sum()) for k in ("yes", "no", "not searched")},
            "unscreened": _record_rows(inputs, unscreened(store, inputs.curated.studies)),
            "new_records": new_records, "retracted": retracted,
            "changes": verdict_changes(inputs.verdicts, previous), "n_records": len(inputs.records)}


# ----------------------------------------------------------------------------- rendering

def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["words"] = lambda s: str(s).replace("_", " ")
    env.globals.update(version=__version__, levels=LEVELS)
    return env


def notebook_links(report_dir: Path) -> list[dict[str, str]]:
    """The notebooks of the project, each with the report-relative link of its HTML export if it exists."""
    out = []
    for nb in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        html = report_dir / "notebooks" / f"{nb.stem}.html"
        out.append({"name": nb.stem, "href": f"notebooks/{nb.stem}.html" if html.exists() else ""})
    return out


def render_pages(paths: DataPaths, previous_verdicts: pd.DataFrame | None = None,
                 inputs: ReportInputs | None = None) -> dict[str, str]:
    """Every page of the report as {path relative to the report folder: HTML}."""
    inputs = inputs or load_inputs(paths)
    env = _environment()
    report_dir = paths.derived / "report"

    def page(template: str, root: str, context: dict) -> str:
        return env.get_template(template).render(root=root, **context)

    pages = {"index.html": page("index.html.j2", "", _index_context(inputs, notebook_links(report_dir))),
             "provenance.html": page("provenance.html.j2", "", _provenance_context(inputs, paths, previous_verdicts))}
    for cid in inputs.definitions.ids:
        pages[f"conditions/{cid}.html"] = page("condition.html.j2", "../",
                                               _condition_context(inputs, cid, paths.derived / "figures"))
    for claim in inputs.claims:
        pages[f"claims/{claim.id}.html"] = page("claim.html.j2", "../", _claim_context(inputs, claim))
    return pages


def build_report(paths: DataPaths, previous_verdicts: pd.DataFrame | None = None) -> Path:
    """Write the static report into ``data/derived/report/`` and return the path of index.html.

    Copies the forest (and funnel) plots into ``report/figures/`` and the stylesheet beside the pages, and
    removes pages and figures left over from earlier builds (``report/notebooks/`` is kept).
    """
    report_dir = paths.derived / "report"
    pages = render_pages(paths, previous_verdicts)
    files: dict[str, bytes] = {name: html.encode("utf-8") for name, html in pages.items()}
    files["style.css"] = (TEMPLATES_DIR / "style.css").read_bytes()
    figures = paths.derived / "figures"
    for svg in sorted([*figures.glob("forest_*.svg"), *figures.glob("funnel_*.svg")]):
        files[f"figures/{svg.name}"] = svg.read_bytes()
    for name, data in files.items():
        target = report_dir / name
        if not target.exists() or target.read_bytes() != data:
            atomic_write_bytes(target, data)
    for sub in ("conditions", "claims", "figures"):
        for stale in sorted((report_dir / sub).glob("*")):
            if stale.is_file() and f"{sub}/{stale.name}" not in files:
                stale.unlink()
    return report_dir / "index.html"


# ----------------------------------------------------------------------------- notebooks

def set_parameters(nb: Any, **parameters: Any) -> Any:
    """Insert a cell assigning ``parameters`` after the cell tagged "parameters" (as papermill
    does, tagged "injected-parameters"); returns the notebook."""
    import nbformat

    source = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    nb.cells.insert(tagged[0] + 1 if tagged else 0, cell)
    return nb


def execute_notebook(path: Path, data_dir: Path, parameters: Mapping[str, Any] | None = None,
                     timeout: int = NOTEBOOK_TIMEOUT) -> Any:
    """Execute one notebook with nbclient (kernel python3, ``$EVIDENCE_DATA_DIR`` = ``data_dir``, the
    project root on ``PYTHONPATH``, working directory the notebooks folder) and return the executed notebook. A failing cell
    raises ``nbclient.exceptions.CellExecutionError``."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(path), as_version=4)
    if parameters:
        set_parameters(nb, **parameters)
    # the kernel imports this very package, installed or not
    pythonpath = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, DATA_DIR_ENV: str(Path(data_dir).resolve()), "PYTHONPATH": pythonpath,
           "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    client = NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=timeout,
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no start-up chatter on stderr
                            resources={"metadata": {"path": str(Path(path).parent)}})
    client.execute(env=env)
    return nb


def notebook_html(nb: Any, title: str = "Notebook") -> str:
    """An executed notebook as a self-contained HTML page with no external script
    (``templates/notebook.html.j2`` drops nbconvert's CDN links for MathJax, require.js, Mermaid)."""
    from nbconvert import HTMLExporter

    quiet = logging.getLogger("evidence.nbconvert")  # nbconvert warns about SVG outputs without alt text
    quiet.setLevel(logging.ERROR)
    exporter = HTMLExporter(template_name="lab", extra_template_paths=[str(TEMPLATES_DIR)],
                            template_file="notebook.html.j2", log=quiet)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def run_notebooks(paths: DataPaths, notebooks_dir: Path = NOTEBOOKS_DIR) -> list[Path]:
    """Execute every notebook against ``paths`` and export it to ``report/notebooks/<name>.html``."""
    out_dir = paths.derived / "report" / "notebooks"
    written = []
    for nb_path in sorted(Path(notebooks_dir).glob("*.ipynb")):
        nb = execute_notebook(nb_path, paths.root)
        target = out_dir / f"{nb_path.stem}.html"
        atomic_write_bytes(target, notebook_html(nb, nb_path.stem).encode("utf-8"))
        written.append(target)
    return written


# ----------------------------------------------------------------------------- the main job

def network_answers(base_url: str, timeout: float = 3.0) -> str | None:
    """None when a TCP connection to the E-utilities host opens, else why not."""
    url = urlparse(base_url)
    host = url.hostname or ""
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"cannot connect to {host}:{port} ({exc})"


def refresh_snapshot(paths: DataPaths, echo: Callable[[str], None] = print) -> str:
    """Run every search when NCBI_EMAIL is set and the network answers; return a one-line summary
    (which says why the committed snapshot is used otherwise). A failing search is reported and skipped."""
    import requests

    from evidence.config import load_settings
    from evidence.eutils import EutilsClient, EutilsError
    from evidence.pubmed import PubmedXMLError
    from evidence.update import update_search

    settings = load_settings()
    if not settings.email:
        return "uses the committed PubMed snapshot: NCBI_EMAIL is not set"
    why = network_answers(settings.base_url)
    if why:
        return f"uses the committed PubMed snapshot: network unreachable, {why}"
    definitions = load_search_definitions(paths.searches)
    client = EutilsClient(settings)
    store = PubmedStore(paths.pubmed)
    done, new, failed = 0, 0, []
    for cid in definitions.ids:
        try:
            summary = update_search(client, definitions, store, cid, progress=False)
        except (EutilsError, PubmedXMLError, requests.RequestException, OSError) as exc:
            failed.append(cid)
            echo(f"           search {cid} failed, going on: {exc}")
            continue
        done += 1
        new += len(summary.new)
        echo("           " + summary.line())
    text = f"refreshed from PubMed: {done} search(es), {new} new record(s)"
    return text + (f"; failed: {', '.join(failed)} (their snapshot rows are kept)" if failed else "")


def _step(name: str, func: Callable[[], str]) -> str:
    """Run one step of the main job and print one line: name, seconds, what it did."""
    start = time.perf_counter()
    detail = func()
    print(f"{name:<10} {time.perf_counter() - start:6.1f} s  {detail}", flush=True)
    return detail


def run_main_job(paths: DataPaths, execute_notebooks: bool = True, refresh: bool = True) -> int:
    """The main command: validate, refresh (if possible), rebuild, run the notebooks, write the report.

    Returns 0 on success, 2 when the curated data has problems, 1 when a notebook fails.
    """
    from evidence.pipeline import build_derived, validation_problems

    problems: list[str] = []

    def validate_step() -> str:
        problems.extend(validation_problems(paths))
        return f"{len(problems)} problem(s)" if problems else "curated tables and claims register are valid"

    _step("validate", validate_step)
    if problems:
        for p in problems:
            print(f"  {p}")
        print(f"{len(problems)} problem(s) in {paths.curated}: fix them and run again")
        return EXIT_USAGE

    if refresh:
        _step("refresh", lambda: refresh_snapshot(paths))
    else:
        _step("refresh", lambda: "uses the committed PubMed snapshot: --offline")

    verdicts_path = paths.derived / "claim_verdicts.csv"
    previous = read_csv(verdicts_path) if verdicts_path.exists() else None

    def rebuild() -> str:
        derived = build_derived(paths)
        q = derived.questions
        return (f"{len(q)} question(s) ({(q['k'] > 0).sum()} with data), "
                f"{len(derived.verdicts)} claim verdict(s) -> {paths.derived}")

    _step("rebuild", rebuild)

    if execute_notebooks:
        from nbclient.exceptions import CellExecutionError

        try:
            _step("notebooks", lambda: f"{len(run_notebooks(paths))} notebook(s) executed and exported to "
                                       f"{paths.derived / 'report' / 'notebooks'}")
        except (CellExecutionError, RuntimeError, TimeoutError) as exc:
            print(f"notebooks  failed: {exc}")
            return EXIT_FAILED
    else:
        _step("notebooks", lambda: "skipped (--no-notebooks)")

    index = Path()

    def report() -> str:
        nonlocal index
        index = build_report(paths, previous)
        return f"{len(list(index.parent.rglob('*.html')))} page(s)"

    _step("report", report)
    print(f"report: {index.resolve()}")
    return EXIT_OK
