"""The notebooks: committed without outputs, with a tagged parameters cell and no logic of their
own; executed with nbclient against the committed data (slow)."""

from __future__ import annotations

import ast
import re
import sys

import nbformat
import pytest
from lxml import html as lxml_html

from evidence.config import NOTEBOOKS_DIR
from evidence.jobs.notebooks import DECIMALS, execute_notebook, notebook_html
from tests.paths import PROJECT
from tests.report.test_render import placeholder_problems

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
EXPECTED = ["01-search-overview", "02-effect-sizes", "03-claims"]


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_the_numbered_notebooks_exist():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    for cell in code_cells(nb):
        assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: a cell has outputs"


ALLOWED_IMPORTS = {"evidence", "pandas", "IPython.display"} | set(sys.stdlib_module_names)
DISPLAY_CALLS = {"display", "print"}


def _is_display_call(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Name)
        and stmt.value.func.id in DISPLAY_CALLS
    )


def logic_in(source: str) -> list[str]:
    """What in a notebook cell is logic of its own rather than calls into evidence and display:
    a function, class or lambda; a while loop; a comprehension; a for loop that does anything but
    display or print each item; an import from outside evidence, pandas, IPython.display and the
    standard library."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            problems.append(f"line {node.lineno}: defines a {type(node).__name__}")
        elif isinstance(node, ast.While):
            problems.append(f"line {node.lineno}: while loop")
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            problems.append(f"line {node.lineno}: {type(node).__name__} over data")
        elif isinstance(node, (ast.For, ast.AsyncFor)) and not all(map(_is_display_call, node.body)):
            problems.append(f"line {node.lineno}: for loop that computes (only display/print allowed)")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for module in modules:
                if not any(module == m or module.startswith(m + ".") for m in ALLOWED_IMPORTS):
                    problems.append(f"line {node.lineno}: imports {module}")
    return problems


@pytest.mark.parametrize(
    "source",
    [
        "def mean(x):\n    return sum(x) / len(x)",
        "class Table:\n    pass",
        "key = lambda r: r.k",
        "while rows:\n    rows.pop()",
        "for r in rows.itertuples():\n    total += r.k",
        "for r in rows.itertuples():\n    display(r)\n    n = n + 1",
        "ks = [r.k for r in rows.itertuples()]",
        "total = sum(r.k for r in rows.itertuples())",
        "import numpy as np",
        "from scipy import stats",
        "from IPython.core import magic",
    ],
)
def test_logic_check_flags_logic(source):
    assert logic_in(source)


@pytest.mark.parametrize(
    "source",
    [
        "import pandas as pd\nimport json\nfrom IPython.display import Markdown, SVG, display\nfrom evidence import report",
        "from evidence.tables import read_csv\nquestions = report.condition_questions(paths, condition)",
        "for label, svg in figures:\n    display(Markdown(label))\n    display(SVG(filename=str(svg)))",
        "if log.empty:\n    print(report.snapshot_note(paths))\nelse:\n    display(log)",
    ],
)
def test_logic_check_allows_calls_into_evidence_and_display(source):
    assert logic_in(source) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_and_no_logic_of_their_own(path):
    nb = nbformat.read(str(path), as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and 'condition = "neck_pain"' in tagged[0].source
    cells = code_cells(nb)
    assert len(cells) > 2
    problems = [f"cell {i}: {p}" for i, cell in enumerate(cells) for p in logic_in(cell.source)]
    assert problems == [], f"{path.name}: put logic in evidence/jobs/notebooks.py, not in a notebook"
    assert any("from evidence.jobs import notebooks" in c.source for c in cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_one_setup_call_and_no_unused_import(path):
    nb = nbformat.read(str(path), as_version=4)
    trees = [ast.parse(c.source) for c in code_cells(nb)]
    calls = [
        n
        for t in trees
        for n in ast.walk(t)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "setup"
    ]
    assert len(calls) == 1 and isinstance(calls[0].args[0], ast.Name) and calls[0].args[0].id == "condition"
    imported = {
        alias.asname or alias.name.split(".")[0]
        for t in trees
        for n in ast.walk(t)
        if isinstance(n, (ast.Import, ast.ImportFrom))
        for alias in n.names
    }
    used = {n.id for t in trees for n in ast.walk(t) if isinstance(n, ast.Name)}
    assert imported - used == set(), f"{path.name}: unused import(s)"


def _html_tables(nb) -> list:
    """Every DataFrame an executed notebook displays, as lxml tables."""
    from lxml import html

    return [
        table
        for c in code_cells(nb)
        for out in c.outputs
        if "text/html" in out.get("data", {})
        for table in html.fromstring(out["data"]["text/html"]).xpath("//table")
    ]


def _outputs_text(nb) -> str:
    parts = []
    for cell in code_cells(nb):
        for out in cell.outputs:
            parts.append(out.get("text", ""))
            parts.extend(str(v) for k, v in out.get("data", {}).items() if k.startswith("text/"))
    return "\n".join(parts)


def _assert_ran_cleanly(nb) -> None:
    errors = [o for c in code_cells(nb) for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert all(c.execution_count is not None for c in code_cells(nb))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_executes_against_the_committed_data(path):
    nb = execute_notebook(path, PROJECT / "data")
    _assert_ran_cleanly(nb)
    assert "condition: neck_pain" in _outputs_text(nb)
    page = notebook_html(nb, path.stem)
    assert "<script src=" not in page and "cdnjs" not in page
    # the link to the report page, relative to the exported notebook in report/notebooks/
    links = set(lxml_html.fromstring(page).xpath("//a/@href"))
    expected = {"01-search-overview": "prisma", "02-effect-sizes": "forest", "03-claims": "claims"}[path.stem]
    assert f"../conditions/neck_pain.html#{expected}" in links
    # numbers rounded for reading: effects 2 decimals, p-values 3
    checked = 0
    for table in _html_tables(nb):
        header = [" ".join(th.text_content().split()) for th in table.xpath("./thead/tr[1]/th")]
        for row in table.xpath("./tbody/tr"):
            cells = dict(zip(header, [" ".join(c.text_content().split()) for c in row.xpath("./th|./td")]))
            for column, digits in DECIMALS.items():
                value = cells.get(column, "")
                if value:
                    assert re.fullmatch(rf"-?\d+\.\d{{{digits}}}", value), f"{path.stem}: {column} = {value}"
                    checked += 1
    assert checked or path.stem != "02-effect-sizes"
    # no placeholder in what the notebook shows (its code may say None)
    outputs = lxml_html.fromstring(page).xpath('//div[contains(@class, "jp-OutputArea-output")]')
    shown = "".join(lxml_html.tostring(o, encoding="unicode") for o in outputs)
    assert outputs and placeholder_problems(f"<html><body>{shown}</body></html>".encode()) == []


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_executes_for_another_condition(path):
    nb = execute_notebook(path, PROJECT / "data", parameters={"condition": "plantar_heel_pain"})
    _assert_ran_cleanly(nb)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    at = next(i for i, t in enumerate(tags) if "parameters" in t)
    assert "injected-parameters" in tags[at + 1]
    assert "condition: plantar_heel_pain" in _outputs_text(nb)


def test_display_path_hides_the_machine_location_of_the_project(tmp_path):
    from evidence.config import PROJECT_ROOT
    from evidence.jobs.notebooks import display_path

    assert display_path(PROJECT_ROOT / "data") == "data"
    assert display_path(tmp_path) == str(tmp_path)


def test_notebooks_run_again_only_when_their_inputs_change(tmp_path, monkeypatch):
    """The exports carry the sha256 of what they were run on; with the same inputs the main job does not
    run them again, and a changed curated file (or a changed derived table) makes them stale."""
    import shutil

    from evidence.config import DataPaths
    from evidence.jobs import notebooks as nbs

    paths = DataPaths(tmp_path / "data")
    shutil.copytree(PROJECT / "data", paths.root, ignore=shutil.ignore_patterns("staging*"))
    books = sorted((PROJECT / "notebooks").glob("*.ipynb"))
    key = nbs.notebook_inputs_key(paths, books)
    (paths.report / "notebooks" / nbs.INPUTS_KEY).write_text(key)
    assert nbs.notebooks_up_to_date(paths, books)
    monkeypatch.setattr(nbs, "execute_notebook", lambda *a, **k: pytest.fail("ran although up to date"))
    assert nbs.run_notebooks(paths) == [paths.report / "notebooks" / f"{b.stem}.html" for b in books]
    (paths.report / "index.html").write_text("a report page is not an input")
    assert nbs.notebooks_up_to_date(paths, books)
    claims = paths.curated / "claims.yaml"
    claims.write_text(claims.read_text() + "\n# a curated change\n")
    assert not nbs.notebooks_up_to_date(paths, books)
    assert nbs.notebook_inputs_key(paths, books) != key


def test_the_committed_notebook_exports_are_up_to_date_with_the_committed_inputs():
    """A clean clone's main job leaves the committed report as it is: the committed exports' key is that of
    the committed data, notebooks and package source (after changing any of them, run the main job and commit
    data/derived with the change)."""
    from evidence.config import DataPaths
    from evidence.jobs import notebooks as nbs

    books = sorted((PROJECT / "notebooks").glob("*.ipynb"))
    assert nbs.notebooks_up_to_date(DataPaths(PROJECT / "data"), books)
