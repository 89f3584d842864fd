"""Reading the values a trigger carries (certificate number, issue date ...) from user input."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from workflow.errors import InvalidInput
from workflow.model import Transition

__all__ = ["EARLIEST", "FIELD_LENGTH", "LATEST", "parse_fields"]

EARLIEST = date(1960, 1, 1)
"""No certificate, mark or document sertiflow handles is dated earlier."""
LATEST = date(2099, 12, 31)
"""Nor later: a typing slip, not a date."""
FIELD_LENGTH = 60
"""The longest text a trigger carries: the certificate number's column."""


def parse_fields(rule: Transition, given: Mapping[str, str], today: date) -> dict[str, Any]:
    """The declared fields of ``rule`` read from ``given``; every problem in one error."""
    declared = {f.name: f for f in rule.fields}
    problems = []
    unknown = sorted(set(given) - set(declared))
    if unknown:
        takes = ", ".join(declared) or "no fields"
        problems.append(f"{rule.trigger} does not take {', '.join(unknown)} (it takes {takes})")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        text = (given.get(name) or "").strip()
        if not text:
            if spec.default_today:
                values[name] = today
            elif spec.required:
                problems.append(f"{name} ({spec.label}) is required, e.g. {name}={spec.example}")
            continue
        if spec.kind == "date":
            try:
                values[name] = date.fromisoformat(text)
            except ValueError:
                problems.append(f"{name} must be a date YYYY-MM-DD, got {text!r}")
                continue
            if not EARLIEST <= values[name] <= LATEST:
                problems.append(
                    f"{name} {text} is not a plausible date: write one between "
                    f"{EARLIEST.year} and {LATEST.year}"
                )
            elif values[name] > today and not spec.allow_future:
                problems.append(f"{name} {text} is in the future")
        elif spec.pattern is not None and not re.fullmatch(spec.pattern, text):
            problems.append(f"{name} {text!r} is not a valid {spec.label}, e.g. {spec.example}")
        elif len(text) > FIELD_LENGTH:
            problems.append(f"{name} is longer than {FIELD_LENGTH} characters")
        else:
            values[name] = text
    if problems:
        raise InvalidInput("; ".join(problems))
    return values
