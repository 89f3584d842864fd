"""The README shows each process as it is defined, not as it once was."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow.diagram import mermaid
from workflow.processes import ProcessRegistry

README = Path(__file__).resolve().parents[2] / "README.md"


_KEYS = ProcessRegistry().keys()
LATEST = [ProcessRegistry().get(key) for key in _KEYS]
"""The version of each process new applications get: the one the README shows."""


@pytest.mark.parametrize("definition", LATEST, ids=lambda d: d.ident)
def test_the_readme_holds_the_current_diagram_of_every_process(definition: object) -> None:
    from workflow.model import ProcessDefinition

    assert isinstance(definition, ProcessDefinition)
    assert f"```mermaid\n{mermaid(definition)}```" in README.read_text(encoding="utf-8")


def test_the_readme_starts_with_the_run_and_test_commands() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```sh") + 1 : lines.index("```sh") + 3]
    assert [line.split("#")[0].strip() for line in block] == ["make run", "make test"]
