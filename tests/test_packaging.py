"""The project's own promises: environment.yml and pyproject.toml name the same packages, the README
opens with the two commands, and .ci/run runs the README's test command."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from tests.conftest import PROJECT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_and_pyproject_name_the_same_packages():
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    pip_names = {_name(r) for r in project["dependencies"]} | {
        _name(r) for r in project["optional-dependencies"]["dev"]
    }
    env = yaml.safe_load((PROJECT / "environment.yml").read_text())
    conda_names = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            conda_names |= {_name(r) for r in dep["pip"] if not r.startswith("-e")}
        elif not dep.startswith(("python", "pip")) or dep.startswith("pip-"):
            conda_names.add(_name(dep))
    assert pip_names == conda_names, (
        f"only in pyproject: {pip_names - conda_names}; only in environment.yml: {conda_names - pip_names}"
    )


def readme_commands() -> list[str]:
    text = (PROJECT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_readme_opens_with_the_main_job_and_the_test_command():
    main_job, tests = readme_commands()[:2]
    assert main_job.endswith("python -m evidence report")
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command():
    ci = (PROJECT / ".ci" / "run").read_text()
    assert readme_commands()[1] in ci.splitlines()


def test_console_script_and_module_both_answer_help():
    out = subprocess.run([sys.executable, "-m", "evidence", "--help"], capture_output=True, text=True, cwd=PROJECT)
    assert out.returncode == 0
    for command in ("update", "status", "validate", "analyse", "report", "check-wording"):
        assert command in out.stdout
        sub = subprocess.run(
            [sys.executable, "-m", "evidence", command, "--help"], capture_output=True, text=True, cwd=PROJECT
        )
        assert sub.returncode == 0 and "usage:" in sub.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "evidence", "no-such-command"], capture_output=True, text=True, cwd=PROJECT
    )
    assert bad.returncode == 2


# ----------------------------------------------------------------------------- architecture promises


def _imported_evidence_modules(module: str) -> set[str]:
    """The evidence modules that importing ``module`` loads, in a fresh interpreter."""
    code = f"import sys, {module}; print(' '.join(m for m in sys.modules if m.startswith('evidence')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, check=True)
    return set(out.stdout.split())


def test_vocabulary_is_a_leaf_module():
    assert _imported_evidence_modules("evidence.vocab") == {"evidence", "evidence.vocab"}


def test_no_module_takes_question_ids_apart_by_hand():
    offenders = []
    for path in sorted((PROJECT / "evidence").rglob("*.py")):
        if path.name == "vocab.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(r"""split\(["']:["']|partition\(["']:["']|replace\(["']:["']""", line):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert not offenders, "use evidence.vocab.QuestionId:\n" + "\n".join(offenders)


def test_importing_the_package_changes_no_global_state():
    code = (
        "import logging, matplotlib; backend = matplotlib.get_backend(); salt = matplotlib.rcParams['svg.hashsalt']; "
        "levels = {n: logging.getLogger(n).level for n in ('', 'evidence', 'traitlets')}; "
        "import evidence.report.plots, evidence.report.render, evidence.jobs.notebooks, evidence.jobs.main, evidence.cli; "
        "assert matplotlib.get_backend() == backend, matplotlib.get_backend(); "
        "assert matplotlib.rcParams['svg.hashsalt'] == salt; "
        "assert {n: logging.getLogger(n).level for n in levels} == levels; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT)
    assert out.stdout.strip() == "ok", out.stderr


def test_runtime_dependencies_are_what_the_package_imports():
    """Every third-party module that evidence/ imports is a declared runtime dependency."""
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    declared = {_name(r) for r in project["dependencies"]}
    import_names = {
        "yaml": "pyyaml",
        "jinja2": "jinja2",
        "urllib3": "urllib3",
        "IPython": "ipython",
        "docx": "python-docx",
        "sklearn": "scikit-learn",
    }
    imported = set()
    for path in (PROJECT / "evidence").rglob("*.py"):
        for match in re.finditer(r"^\s*(?:import|from) ([A-Za-z_][A-Za-z0-9_]*)", path.read_text(), re.M):
            imported.add(match.group(1))
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m not in ("evidence", "__future__")}
    missing = {import_names.get(m, m) for m in third_party} - declared
    assert not missing, f"imported but not declared: {missing}"


def test_help_is_plain_text():
    """--help of the program and of every command shows no reStructuredText markup (``literal``, `ref`)."""
    from evidence.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # argparse keeps the subcommands here
    for name, text in [("evidence", parser.format_help()), *((n, p.format_help()) for n, p in commands.items())]:
        assert "`" not in text, f"{name} --help: {text}"
        assert not re.search(r":\w+:`|\.\. \w+::", text), name


def test_every_command_line_flag_is_documented_in_the_readme():
    from evidence.cli import build_parser

    text = (PROJECT / "README.md").read_text()
    commands = text[text.index("## Commands") : text.index("## Layout")]
    parser = build_parser()
    flags = {o for a in parser._actions for o in a.option_strings if o.startswith("--") and o != "--help"}
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, sub in subparsers.choices.items():
        assert f"`{name}" in commands, name
        flags |= {o for a in sub._actions for o in a.option_strings if o.startswith("--") and o != "--help"}
    missing = sorted(f for f in flags if f not in commands)
    assert not missing, f"flags not in the README's command table: {missing}"


def test_lock_file_pins_every_declared_package_and_the_commands_install_from_it():
    """requirements.lock (uv pip compile) pins each package that pyproject.toml declares, and the
    README's two commands and .ci/run install with it as constraints."""
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    declared = {_name(r) for r in project["dependencies"]} | {_name(r) for r in project["optional-dependencies"]["dev"]}
    pinned = {}
    for line in (PROJECT / "requirements.lock").read_text().splitlines():
        match = re.match(r"([A-Za-z0-9_.\-]+)==(\S+)", line)
        if match:
            pinned[_name(match.group(1))] = match.group(2)
    assert declared - set(pinned) == set(), f"declared but not in requirements.lock: {declared - set(pinned)}"
    for command in readme_commands()[:2]:
        assert "-c requirements.lock" in command, command
