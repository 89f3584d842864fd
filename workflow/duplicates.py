"""When a new application would duplicate an open one of the same business.

A business keeps one open application per process, except where the law files several at once:

- **trademark**: one application per mark (DJKI files each mark separately), so another is
  refused only when an open one has the same mark name and the same Nice classes;
- **SNI**: one certification per product and standard, so another is refused only when an open
  one has the same product type and SNI number;
- **halal** (each path): one per path, unless the product scope differs (``product_scope``).

Names are compared as the dossier keys marks (blanks collapsed, upper case), classes as a set
of numbers ("30, 29" is "29,30"). An application that does not record them yet is told apart
from none that also lacks them: a second one is refused until the first, or the new one, says
what it is about.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from workflow.evidence import mark_key

__all__ = ["IDENTITY_DETAILS", "describe", "duplicate_of", "identity"]

IDENTITY_DETAILS: Mapping[str, tuple[str, ...]] = {
    "trademark": ("mark_name", "nice_classes"),
    "sni": ("product_type", "sni_number"),
    "halal_regular": ("product_scope",),
    "halal_self_declare": ("product_scope",),
}
"""The details that tell two open applications of a process apart (none: one per process)."""

_NUMBERS = re.compile(r"\d+")


def _normal(name: str, value: Any) -> str:
    text = "" if value is None else str(value)
    if name == "nice_classes":
        return ",".join(str(n) for n in sorted({int(n) for n in _NUMBERS.findall(text)}))
    return mark_key(text)


def identity(process_key: str, details: Mapping[str, Any] | None) -> tuple[str, ...]:
    """What an application of ``process_key`` with ``details`` is about, normalised; equal
    identities are duplicates."""
    details = details or {}
    return tuple(_normal(n, details.get(n)) for n in IDENTITY_DETAILS.get(process_key, ()))


def duplicate_of(
    process_key: str,
    details: Mapping[str, Any] | None,
    open_applications: Iterable[tuple[int, Mapping[str, Any] | None]],
) -> int | None:
    """The first of ``open_applications`` (id, details) of the same process that the new one
    (``details``) would duplicate, or None."""
    wanted = identity(process_key, details)
    for app_id, other in open_applications:
        if identity(process_key, other) == wanted:
            return app_id
    return None


def describe(process_key: str, details: Mapping[str, Any] | None) -> str:
    """What an application is about, in words, for a refusal: ``the mark SAGU IBU ANA in
    class(es) 30``, or what it does not record yet."""
    names = IDENTITY_DETAILS.get(process_key, ())
    if not names:
        return ""
    values = dict(zip(names, identity(process_key, details), strict=True))
    if not any(values.values()):
        return f" (it records no {' or '.join(names)} yet)"
    if process_key == "trademark":
        return f" for the mark {values['mark_name'] or '(unnamed)'} in class(es) " + (
            values["nice_classes"] or "(none given)"
        )
    if process_key == "sni":
        return f" for the product {values['product_type'] or '(unnamed)'} under " + (
            values["sni_number"] or "(no SNI number given)"
        )
    return f" for the product scope {values['product_scope']}"
