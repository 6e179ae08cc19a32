"""The notebooks: executing them, exporting them to HTML, and the tables they show.

``run_notebooks`` executes every ``notebooks/*.ipynb`` with nbclient against one data
directory (``$EVIDENCE_DATA_DIR`` inside the kernel) and exports each to
``data/derived/report/notebooks/<name>.html``. The notebooks themselves define no logic: they
call ``setup`` once, then the table helpers below, which read the files of a data directory (the
notebooks are for researchers re-running analyses from what is on disk) and compute through
``evidence.pubmed.status`` and ``evidence.vocab`` like the report does.

Tables for reading are rounded by ``rounded``: effects and their intervals to 2 decimals,
p-values and variances to 3, I² and weights to 1 (the derived CSV files keep 6 significant digits).
``setup`` links the notebook to its page in the HTML report: relative to the exported notebook
(``report/notebooks/``) when ``run_notebooks`` executes it, else relative to the notebook's
working directory.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from evidence.config import DEFAULT_DATA_DIR, NOTEBOOKS_DIR, PROJECT_ROOT, DataPaths
from evidence.curation.schema import Curated, load_curated
from evidence.curation.searches import load_search_definitions
from evidence.pubmed import status
from evidence.pubmed.store import PubmedStore
from evidence.report import TEMPLATES_DIR
from evidence.tables import atomic_write_bytes, read_csv
from evidence.vocab import QuestionId

DATA_DIR_ENV = "EVIDENCE_DATA_DIR"
DERIVED_DIR_ENV = "EVIDENCE_DERIVED_DIR"  # where the run builds data/derived (its staging folder), if elsewhere
REPORT_BASE_ENV = "EVIDENCE_REPORT_BASE"  # the report folder as seen from where the notebook is read
EXPORT_REPORT_BASE = "../"  # from report/notebooks/<name>.html
DECIMALS = {
    **dict.fromkeys(("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "yi", "mid"), 2),
    **dict.fromkeys(("p", "p_value", "vi", "tau2"), 3),
    **dict.fromkeys(("i2", "weight"), 1),
}

KERNEL_NAME = "python3"
NOTEBOOK_TIMEOUT = 600


# ----------------------------------------------------------------------------- the notebooks' tables


def notebook_paths() -> DataPaths:
    """The data directory a notebook reads: ``$EVIDENCE_DATA_DIR``, else the project's ``data/``; its
    derived outputs from ``$EVIDENCE_DERIVED_DIR`` when set (the main job's staging folder)."""
    derived = os.environ.get(DERIVED_DIR_ENV)
    return DataPaths(Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR), Path(derived) if derived else None)


def display_path(path: Path) -> str:
    """``path`` relative to the project folder when it lies inside it, so that outputs name no
    machine-specific location; otherwise the path as given."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def report_link(paths: DataPaths, page: str) -> str:
    """The address of a report page (``page`` relative to the report folder, e.g.
    "conditions/neck_pain.html#forest") as seen from where the notebook is read."""
    base = os.environ.get(REPORT_BASE_ENV)
    if base is None:
        base = Path(os.path.relpath(paths.report, Path.cwd())).as_posix() + "/"
    return base + page


def setup(condition: str, section: str = "") -> DataPaths:
    """The one setup call of every notebook: display options, then print the data directory, the
    condition and what the snapshot holds, and link to the condition's report page (at ``section``);
    returns the data paths the notebook reads."""
    from IPython.display import Markdown, display

    pd.set_option("display.max_colwidth", 120)
    pd.set_option("display.max_rows", 200)
    paths = notebook_paths()
    print("data directory:", display_path(paths.root))
    print("condition:", condition)
    print(snapshot_note(paths))
    page = f"conditions/{condition}.html" + (f"#{section}" if section else "")
    display(Markdown(f"In the report: [{condition} ({section or 'condition page'})]({report_link(paths, page)})"))
    return paths


def rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for reading: the numeric columns named in ``DECIMALS`` rounded (effects 2
    decimals, p-values 3), empty cells left empty."""
    out = frame.copy()
    for column, digits in DECIMALS.items():
        if column in out.columns:
            values = pd.to_numeric(out[column], errors="coerce")
            out[column] = [f"{v:.{digits}f}" if pd.notna(v) else "" for v in values]
    return out


def _snapshot(paths: DataPaths) -> status.Snapshot:
    return status.Snapshot.read(PubmedStore(paths.pubmed))


def snapshot_note(paths: DataPaths) -> str:
    """One sentence on what the PubMed snapshot of ``paths`` holds."""
    return status.snapshot_note(_snapshot(paths))


def search_log(paths: DataPaths) -> pd.DataFrame:
    """The search log of ``paths`` (``status.search_log``)."""
    return status.search_log(_snapshot(paths))


def records_by_condition_year(paths: DataPaths) -> pd.DataFrame:
    """Records per condition and year (``status.records_by_condition_year``)."""
    return status.records_by_condition_year(_snapshot(paths))


def _curated(paths: DataPaths) -> Curated:
    """The curated tables of ``paths``, loaded and checked once for each state of their files (a notebook
    reads them in several cells; a file changed since is read again)."""
    files = sorted(paths.curated.glob("*.csv"))
    return _load_curated(paths.curated, tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files))


@functools.lru_cache(maxsize=2)
def _load_curated(directory: Path, files: tuple) -> Curated:
    return load_curated(directory)


def prisma_flow(paths: DataPaths) -> pd.DataFrame:
    """The PRISMA 2020 flow per condition (``status.prisma_flow``)."""
    return status.prisma_flow(
        load_search_definitions(paths.searches),
        _curated(paths).studies,
        _snapshot(paths),
        read_csv(paths.derived_table("forest"), ["question_id", "study_id"]),
    )


def prisma_text(paths: DataPaths, condition_id: str) -> str:
    """One condition's PRISMA 2020 flow as text (``status.prisma_text``)."""
    return status.prisma_text(prisma_flow(paths), _curated(paths).studies, condition_id)


def exclusion_reasons(paths: DataPaths, condition_id: str | None = None) -> pd.DataFrame:
    """Excluded studies with their reasons (``status.exclusion_reasons``)."""
    return status.exclusion_reasons(_curated(paths).studies, condition_id)


def condition_questions(paths: DataPaths, condition_id: str) -> pd.DataFrame:
    """The evidence questions of one condition with their GRADE certainty, in natural order, rounded."""
    questions = read_csv(paths.derived_table("questions"))
    certainty = read_csv(paths.derived_table("certainty"))
    out = questions[questions["condition_id"] == condition_id]
    if not certainty.empty:
        out = out.merge(
            certainty[["question_id", "suggested", "final", "reasons", "override_reason"]], on="question_id", how="left"
        ).fillna("")
    ids = out["question_id"].map(QuestionId.parse)
    out = out.assign(label=[q.label for q in ids], _key=[q.sort_key for q in ids])
    return rounded(out.sort_values("_key", kind="mergesort").drop(columns="_key").reset_index(drop=True))


def forest_rows(paths: DataPaths, condition_id: str) -> pd.DataFrame:
    """The studies in each pooled estimate of one condition (forest.csv), rounded."""
    forest = read_csv(paths.derived_table("forest"))
    return rounded(
        forest[forest["question_id"].map(lambda q: QuestionId.parse(q).condition) == condition_id].reset_index(
            drop=True
        )
    )


def summary_rows(paths: DataPaths, condition_id: str) -> pd.DataFrame:
    """The summary-of-findings rows of one condition (its effects are already written to 2 decimals)."""
    summary = read_csv(paths.derived_table("summary"))
    return summary[summary["condition_id"] == condition_id].drop(columns="condition_id").reset_index(drop=True)


def forest_figures(paths: DataPaths, condition_id: str) -> list[tuple[str, Path]]:
    """(question label, SVG path) of the condition's forest plots that exist, in natural order."""
    q = condition_questions(paths, condition_id)
    out = []
    for qid in map(QuestionId.parse, q.loc[pd.to_numeric(q["k"], errors="coerce") > 0, "question_id"]):
        path = paths.figures / qid.figure_name()
        if path.exists():
            out.append((qid.label, path))
    return out


def claims_overview(paths: DataPaths, condition_id: str | None = None) -> pd.DataFrame:
    """One row per registered claim (about ``condition_id`` only, if given): verdict, certainty,
    effect, sources (evidence ids), allowed wording, conditions and the number of places in the
    materials that make it."""
    from evidence.curation.claims import load_claims

    claims = load_claims(paths.claims)
    verdicts = read_csv(paths.derived_table("verdicts")).set_index("claim_id")
    rows = []
    for claim in sorted(claims, key=lambda c: c.id):
        if condition_id and condition_id not in claim.conditions:
            continue
        v = verdicts.loc[claim.id] if claim.id in verdicts.index else pd.Series(dtype=str)
        rows.append(
            {
                "claim_id": claim.id,
                "statement": claim.statement,
                "type": claim.type,
                "conditions": "; ".join(claim.conditions),
                "verdict": v.get("verdict", "not built"),
                "certainty": v.get("certainty", ""),
                "effect": v.get("effect", ""),
                "sources": v.get("evidence_ids", ""),
                "allowed_wording": v.get("allowed_wording", ""),
                "occurrences": len(claim.occurrences),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "claim_id",
            "statement",
            "type",
            "conditions",
            "verdict",
            "certainty",
            "effect",
            "sources",
            "allowed_wording",
            "occurrences",
        ],
    )


# ----------------------------------------------------------------------------- execution and export


def set_parameters(nb: Any, **parameters: Any) -> Any:
    """Insert a cell assigning ``parameters`` after the cell tagged "parameters" (as papermill
    does, tagged "injected-parameters"); returns the notebook."""
    import nbformat

    source = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    nb.cells.insert(tagged[0] + 1 if tagged else 0, cell)
    return nb


def execute_notebook(
    path: Path,
    data_dir: Path,
    parameters: Mapping[str, Any] | None = None,
    timeout: int = NOTEBOOK_TIMEOUT,
    derived_dir: Path | None = None,
) -> Any:
    """Execute one notebook with nbclient (kernel python3, ``$EVIDENCE_DATA_DIR`` = ``data_dir``,
    ``$EVIDENCE_DERIVED_DIR`` = ``derived_dir`` when given, the project root on ``PYTHONPATH``,
    working directory the notebooks folder) and return the executed notebook. A failing cell raises
    ``nbclient.exceptions.CellExecutionError``."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(path), as_version=4)
    if parameters:
        set_parameters(nb, **parameters)
    # the kernel imports this very package, installed or not
    pythonpath = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {
        **os.environ,
        DATA_DIR_ENV: str(Path(data_dir).resolve()),
        REPORT_BASE_ENV: EXPORT_REPORT_BASE,
        "PYTHONPATH": pythonpath,
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    env.pop(DERIVED_DIR_ENV, None)
    if derived_dir is not None:
        env[DERIVED_DIR_ENV] = str(Path(derived_dir).resolve())
    client = NotebookClient(
        nb,
        kernel_name=KERNEL_NAME,
        timeout=timeout,
        extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no start-up chatter on stderr
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(Path(path).parent)}},
    )
    client.execute(env=env)
    return nb


def notebook_html(nb: Any, title: str = "Notebook") -> str:
    """An executed notebook as a self-contained HTML page with no external script
    (``templates/notebook.html.j2`` drops nbconvert's CDN links for MathJax, require.js, Mermaid).
    nbconvert's warnings (SVG outputs without alt text) go to a private logger that drops them. Consecutive
    stream outputs of a cell are joined first: how a kernel splits printed text into messages varies from run
    to run, and the page must not."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    quiet = logging.Logger("evidence.nbconvert", logging.ERROR)  # not registered: no global logger changes
    exporter = HTMLExporter(
        template_name="lab", extra_template_paths=[str(TEMPLATES_DIR)], template_file="notebook.html.j2", log=quiet
    )
    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def notebook_title(nb: Any, fallback: str) -> str:
    """The page title of a notebook: "Notebook: " and the first markdown heading ("# 01 · Search overview"),
    else ``fallback``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return f"Notebook: {line[2:].strip()}"
    return fallback


def run_notebooks(paths: DataPaths, notebooks_dir: Path = NOTEBOOKS_DIR) -> list[Path]:
    """Execute every notebook against ``paths`` (its derived outputs where ``paths`` has them) and
    export it to ``report/notebooks/<name>.html``.

    The notebooks run at the same time, each in its own kernel (a process: most of the time is the
    kernels starting and importing), and are written in name order; the first failure is raised."""
    from concurrent.futures import ThreadPoolExecutor

    notebooks = sorted(Path(notebooks_dir).glob("*.ipynb"))
    key = notebook_inputs_key(paths, notebooks)
    if notebooks_up_to_date(paths, notebooks, key):
        return _exports(paths, notebooks)  # the same inputs: the exports there are what a run would write
    with ThreadPoolExecutor(max_workers=max(1, len(notebooks))) as pool:
        executed = list(
            pool.map(lambda nb_path: execute_notebook(nb_path, paths.root, derived_dir=paths.derived_dir), notebooks)
        )
    written = []
    for nb_path, nb in zip(notebooks, executed):
        target = paths.report / "notebooks" / f"{nb_path.stem}.html"
        atomic_write_bytes(target, notebook_html(nb, notebook_title(nb, nb_path.stem)).encode("utf-8"))
        written.append(target)
    atomic_write_bytes(paths.report / "notebooks" / INPUTS_KEY, key.encode())
    return written


def _exports(paths: DataPaths, notebooks: list[Path]) -> list[Path]:
    return [paths.report / "notebooks" / f"{nb_path.stem}.html" for nb_path in notebooks]


def notebooks_up_to_date(paths: DataPaths, notebooks: list[Path], key: str | None = None) -> bool:
    """Whether every notebook's export is there and was made from the inputs of now (``notebook_inputs_key``)."""
    key_file = paths.report / "notebooks" / INPUTS_KEY
    if not key_file.exists() or not all(e.exists() for e in _exports(paths, notebooks)):
        return False
    return key_file.read_text() == (key or notebook_inputs_key(paths, notebooks))


#: report/notebooks/inputs.sha256: what the exported notebooks were run on (see notebook_inputs_key)
INPUTS_KEY = "inputs.sha256"


def notebook_inputs_key(paths: DataPaths, notebooks: list[Path]) -> str:
    """sha256 of everything a notebook run reads: the notebooks, the data directory's files (the derived
    tables and figures of ``paths``, not the report) and the package's source and templates. The
    notebooks are deterministic (tested), so the same key means the same exports: the main job then
    skips running them, as a build tool skips an up-to-date target."""
    import hashlib

    package = Path(__file__).resolve().parents[1]
    files = [
        *notebooks,
        *(p for p in sorted(paths.root.rglob("*")) if p.is_file() and _read_by_notebooks(p, paths)),
        *(p for p in sorted(paths.derived.rglob("*")) if p.is_file() and paths.report not in p.parents),
        *sorted(package.rglob("*.py")),
        *sorted((package / "report" / "templates").glob("*")),
    ]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _read_by_notebooks(path: Path, paths: DataPaths) -> bool:
    """The data directory's own inputs (PubMed, registry, curated), not a derived or staging folder."""
    relative = path.relative_to(paths.root).parts
    return relative[0] in ("pubmed", "registry", "curated")
