"""The project's own promises: environment.yml and pyproject.toml name the same packages, the README
opens with the two commands, and .ci/run runs the README's test command."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import yaml

from tests.conftest import PROJECT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_and_pyproject_name_the_same_packages():
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    pip_names = {_name(r) for r in project["dependencies"]} | {_name(r) for r in project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((PROJECT / "environment.yml").read_text())
    conda_names = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            conda_names |= {_name(r) for r in dep["pip"] if not r.startswith("-e")}
        elif not dep.startswith(("python", "pip")) or dep.startswith("pip-"):
            conda_names.add(_name(dep))
    assert pip_names == conda_names, f"only in pyproject: {pip_names - conda_names}; only in environment.yml: {conda_names - pip_names}"


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
        sub = subprocess.run([sys.executable, "-m", "evidence", command, "--help"], capture_output=True, text=True, cwd=PROJECT)
        assert sub.returncode == 0 and "usage:" in sub.stdout
    bad = subprocess.run([sys.executable, "-m", "evidence", "no-such-command"], capture_output=True, text=True, cwd=PROJECT)
    assert bad.returncode == 2
