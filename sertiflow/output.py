"""Printing results: tidy tables for people, stable JSON for scripts, CSV for spreadsheets."""

from __future__ import annotations

import csv
import functools
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "console",
    "print_json",
    "print_table",
    "printable",
    "say",
    "say_error",
    "to_jsonable",
    "write_csv",
]


@functools.cache
def console() -> Console:
    """The console tables are printed on, made on first use (rich loads only when a command
    prints a table, not for ``--help``). Piped output (files, scripts, CI logs) gets wide tables
    instead of rich's 80-column default."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 200)


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: control characters and escape sequences (an
    imported name could otherwise move the cursor, recolour or retitle the operator's
    terminal) are shown as ``\\x1b``-style escapes; a line break becomes a space."""
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() else " " if ch in "\n\r\t" else f"\\x{ord(ch):02x}" for ch in text
    )


def say(text: str, *, err: bool = False, nl: bool = True) -> None:
    """``click.echo`` of ``text`` with every line made ``printable``: names, notes and
    references come from users and imported files, and must not drive the terminal."""
    click.echo("\n".join(printable(line) for line in text.split("\n")), err=err, nl=nl)


def say_error(message: str) -> None:
    """``error: MESSAGE`` as one line on standard error (a line break becomes a space)."""
    click.echo(f"error: {printable(message)}", err=True)


def to_jsonable(value: Any) -> Any:
    """Dates and datetimes as ISO strings, recursively."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    """One JSON document on standard output, keys sorted (stable for scripts)."""
    sys.stdout.write(json.dumps(to_jsonable(value), ensure_ascii=False, sort_keys=True, indent=2))
    sys.stdout.write("\n")


def print_table(
    title: str | None,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    right: Iterable[int] = (),
) -> None:
    """A table; columns whose index is in ``right`` are right-aligned (numbers)."""
    from rich.table import Table

    aligned = set(right)
    table = Table(title=title, title_justify="left", header_style="bold", show_lines=False)
    for index, header in enumerate(headers):
        table.add_column(header, justify="right" if index in aligned else "left")
    for row in rows:
        table.add_row(*("" if cell is None else printable(str(to_jsonable(cell))) for cell in row))
    console().print(table)


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """CSV on standard output."""
    writer = csv.writer(sys.stdout)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([to_jsonable(cell) for cell in row])
