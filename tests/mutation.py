"""``make mutation``: mutmut over each security- or deadline-critical module, with its own tests.

pyproject.toml's ``[tool.sertiflow.mutation]`` names each module and the tests that cover it;
``[tool.mutmut]`` holds what the runs share. mutmut reads its settings from the folder it runs in
and keeps its state in ``mutants/`` there, so each module gets a folder ``mutants/<module>/`` that
links to the sources and tests and holds a pyproject.toml with that module's settings. Every run
starts afresh (cached verdicts would not notice a new test) and the score is printed per module
and in total. To look at a surviving mutant: ``cd mutants/<module> && ../../.venv/bin/mutmut show
<name>``; never ``mutmut apply``, which writes the mutant into the real source through the links.

    python -m tests.mutation [workflow/calendar.py ...]   # default: every module
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
MUTMUT = Path(sys.executable).with_name("mutmut")
KILLED = ("killed", "timeout", "caught by type check")
"""Verdicts that count as detected: a mutant that makes the tests hang is caught too."""


@dataclass(frozen=True)
class Score:
    module: str
    counts: Mapping[str, int]  # verdict -> number of mutants
    undetected: Sequence[str]  # "name: verdict" of each mutant the tests let through
    ok: bool  # mutmut itself ran to the end

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def killed(self) -> int:
        return sum(self.counts.get(verdict, 0) for verdict in KILLED)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return json.dumps(value)  # a JSON string or number is a TOML one
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _toml_table(name: str, table: Mapping[str, object]) -> str:
    lines = [f"[{name}]"]
    lines += [f"{json.dumps(key)} = {_toml_value(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


def _workdir(module: str, tests: list[str], project: Mapping[str, Any]) -> Path:
    """``mutants/<module>/``: links to the sources and tests, and this module's settings."""
    shared: dict[str, Any] = dict(project["tool"]["mutmut"])
    folder = MUTANTS / module.removesuffix(".py").replace("/", ".")
    shutil.rmtree(folder / "mutants", ignore_errors=True)  # start afresh
    folder.mkdir(parents=True, exist_ok=True)
    linked = [*shared["source_paths"], *shared.get("also_copy", []), "tests/"]
    for name in {path.strip("/").split("/")[0] for path in linked}:
        link = folder / name
        if not link.is_symlink():
            link.symlink_to(os.path.relpath(ROOT / name, folder))
    settings = {
        **shared,
        "only_mutate": [module],
        "pytest_add_cli_args_test_selection": tests,
    }
    (folder / "pyproject.toml").write_text(
        "# Written by tests/mutation.py from the project's pyproject.toml: do not edit.\n"
        + _toml_table("tool.mutmut", settings)
        + _toml_table("tool.pytest.ini_options", project["tool"]["pytest"]["ini_options"])
    )
    return folder


def _mutmut(folder: Path, *args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MUTMUT), *args], cwd=folder, text=True, capture_output=capture, check=False
    )


def run_module(module: str, tests: list[str], project: Mapping[str, Any], jobs: int) -> Score:
    """Mutate ``module``, run ``tests`` against each mutant, and count the verdicts."""
    print(f"\n=== {module}: {' '.join(tests)}", flush=True)
    folder = _workdir(module, tests, project)
    ran = _mutmut(folder, "run", "--max-children", str(jobs))
    listed = _mutmut(folder, "results", "--all", "true", capture=True)
    verdicts = dict(re.findall(r"^\s+(\S+): (.+)$", listed.stdout, flags=re.MULTILINE))
    counts: dict[str, int] = {}
    for verdict in verdicts.values():
        counts[verdict] = counts.get(verdict, 0) + 1
    undetected = [f"{name}: {v}" for name, v in sorted(verdicts.items()) if v not in KILLED]
    return Score(module, counts, undetected, ran.returncode == 0 and listed.returncode == 0)


def report(scores: Sequence[Score]) -> str:
    """One line per module, the total, and each mutant the tests let through."""

    def line(name: str, killed: int, total: int, ok: bool = True) -> str:
        percent = f"{100 * killed / total:5.1f}%" if total else "    -"
        return f"{name:<24} {killed:>4}/{total:<4} {percent}" + ("" if ok else "  (run failed)")

    lines = ["", f"{'mutation score':<24} killed/total"]
    lines += [line(s.module, s.killed, s.total, s.ok) for s in scores]
    lines.append(line("total", sum(s.killed for s in scores), sum(s.total for s in scores)))
    for score in scores:
        if score.undetected:
            lines.append(f"\nnot killed in {score.module}:")
            lines += [f"  {name}" for name in score.undetected]
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    modules: dict[str, list[str]] = project["tool"]["sertiflow"]["mutation"]
    wanted = list(argv) or list(modules)
    unknown = [module for module in wanted if module not in modules]
    if unknown:
        print(f"not in [tool.sertiflow.mutation]: {', '.join(unknown)}", file=sys.stderr)
        return 2
    jobs = int(os.environ.get("MUTATION_JOBS", "0")) or min(2, os.cpu_count() or 1)
    scores = [run_module(module, modules[module], project, jobs) for module in wanted]
    print(report(scores))
    return 0 if all(score.ok for score in scores) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
