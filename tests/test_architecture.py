"""The package's import direction: each stage imports only the stages below it.

The rules are the ones each subpackage's docstring states. They are read from the source (every
``import`` and ``from ... import`` statement, also those inside functions), so a lazy import that
breaks the direction fails here too.
"""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from tests.paths import PROJECT

BASE = {"evidence", "evidence.config", "evidence.vocab", "evidence.tables", "evidence.locking", "evidence.http"}

# the stage (top-level part of a module's name) -> the stages it may import, besides the base and itself
ALLOWED = {
    "base": set(),
    "curation": set(),
    "pubmed": {"curation"},
    "synthesis": {"curation"},
    "wording": {"curation"},
    "registry": {"curation"},
    "report": {"curation", "synthesis", "pubmed"},
    "jobs": {"curation", "pubmed", "registry", "synthesis", "wording", "report"},
    "serve": {"curation", "wording"},
    "cli": {"curation", "pubmed", "registry", "synthesis", "wording", "report", "jobs", "serve"},
    "__main__": {"cli"},
}
# modules a stage may not import although it may import their stage
FORBIDDEN = {"report": {"evidence.pubmed.eutils", "evidence.pubmed.update"}}


def module_name(path) -> str:
    parts = path.relative_to(PROJECT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage(module: str) -> str:
    if module in BASE:
        return "base"
    return module.split(".")[1]


def imported_modules(path) -> set[str]:
    """Every evidence module (or package) that the file at ``path`` imports, wherever the statement stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "evidence"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "evidence":
            if node.module == "evidence":
                found |= {f"evidence.{a.name}" for a in node.names if a.name != "__version__"} | {"evidence"}
            else:
                found.add(node.module)
                found |= {
                    f"{node.module}.{a.name}"
                    for a in node.names
                    if (PROJECT / node.module.replace(".", "/") / a.name).exists()
                    or (PROJECT / node.module.replace(".", "/") / f"{a.name}.py").exists()
                }
    return found


SOURCES = sorted((PROJECT / "evidence").rglob("*.py"))


def test_every_module_belongs_to_a_known_stage():
    assert {stage(module_name(p)) for p in SOURCES} <= set(ALLOWED)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_imports_go_down_the_stages_only(path):
    module = module_name(path)
    own = stage(module)
    wrong = sorted(
        m
        for m in imported_modules(path)
        if stage(m) not in ALLOWED[own] | {"base", own} or m in FORBIDDEN.get(own, set())
    )
    assert not wrong, f"{module} ({own}) imports {wrong}; allowed: base, {own}, {sorted(ALLOWED[own])}"


def test_the_rule_catches_an_upward_import(tmp_path):
    """The checker itself: a wording module that imports synthesis is found."""
    fake = PROJECT / "evidence" / "wording" / "rules.py"
    source = tmp_path / "evidence" / "wording" / "x.py"
    source.parent.mkdir(parents=True)
    source.write_text("def f():\n    from evidence.synthesis import verdicts\n")
    assert "evidence.synthesis.verdicts" in imported_modules(source)
    assert stage("evidence.synthesis.verdicts") not in ALLOWED[stage(module_name(fake))]


def _loaded_evidence_modules(module: str) -> set[str]:
    """The evidence modules that importing ``module`` loads, in a fresh interpreter."""
    code = f"import sys, {module}; print(' '.join(m for m in sys.modules if m.startswith('evidence')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, check=True)
    return set(out.stdout.split())


def test_report_renders_only():
    loaded = _loaded_evidence_modules("evidence.report.render")
    assert "evidence.report.render" in loaded
    assert not {m for m in loaded if m.startswith("evidence.jobs")} | (loaded & FORBIDDEN["report"]), loaded


def test_wording_checker_loads_no_synthesis():
    loaded = _loaded_evidence_modules("evidence.wording.rules")
    assert not {m for m in loaded if m.startswith(("evidence.synthesis", "evidence.jobs", "evidence.report"))}, loaded
