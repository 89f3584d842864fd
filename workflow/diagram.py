"""Process diagrams as text: Mermaid (renders in most Markdown viewers) or Graphviz.

A transition with guards (conditions checked before it fires, which ``sertiflow process show``
spells out) carries ``GUARDED`` after its trigger; Graphviz also draws it dashed.
"""

from __future__ import annotations

from workflow.model import Phase, ProcessDefinition, Transition

__all__ = ["GUARDED", "graphviz", "mermaid"]

GUARDED = "[guard]"
"""The mark after a guarded transition's trigger."""


def _label(transition: Transition) -> str:
    return f"{transition.trigger} {GUARDED}" if transition.guards else transition.trigger


def mermaid(definition: ProcessDefinition) -> str:
    """A Mermaid ``stateDiagram-v2`` of ``definition``."""
    lines = ["stateDiagram-v2", f"    %% {definition.title} ({definition.ident})"]
    for name, state in definition.states.items():
        lines.append(f"    {name} : {state.label.replace(':', ' ')}")
    lines.append(f"    [*] --> {definition.initial}")
    for transition in definition.transitions:
        for source in transition.sources:
            lines.append(f"    {source} --> {transition.dest} : {_label(transition)}")
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
            style = ", style=dashed" if transition.guards else ""
            lines.append(
                f'    {source} -> {transition.dest} [label="{_label(transition)}"{style}];'
            )
    lines.append("}")
    return "\n".join(lines) + "\n"
