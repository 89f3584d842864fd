"""Process diagrams as text: Mermaid (renders in most Markdown viewers) or Graphviz."""

from __future__ import annotations

from workflow.model import Phase, ProcessDefinition

__all__ = ["graphviz", "mermaid"]


def mermaid(definition: ProcessDefinition) -> str:
    """A Mermaid ``stateDiagram-v2`` of ``definition``."""
    lines = ["stateDiagram-v2", f"    %% {definition.title} ({definition.ident})"]
    for name, state in definition.states.items():
        lines.append(f"    {name} : {state.label.replace(':', ' ')}")
    lines.append(f"    [*] --> {definition.initial}")
    for transition in definition.transitions:
        for source in transition.sources:
            lines.append(f"    {source} --> {transition.dest} : {transition.trigger}")
    for name, state in definition.states.items():
        if state.phase is Phase.CLOSED:
            lines.append(f"    {name} --> [*]")
    return "\n".join(lines) + "\n"


def graphviz(definition: ProcessDefinition) -> str:
    """A Graphviz ``digraph`` of ``definition``; closed states are double circles."""
    lines = [
        f'digraph "{definition.ident}" {{',
        "    rankdir=LR;",
        '    node [shape=box, style=rounded, fontname="Helvetica"];',
    ]
    for name, state in definition.states.items():
        shape = ", shape=doublecircle" if state.phase is Phase.CLOSED else ""
        label = f"{name}\\n{state.label}".replace('"', "'")
        lines.append(f'    {name} [label="{label}"{shape}];')
    for transition in definition.transitions:
        for source in transition.sources:
            lines.append(f'    {source} -> {transition.dest} [label="{transition.trigger}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
