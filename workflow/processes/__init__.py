"""The certification processes sertiflow knows, and the registry that maps keys to definitions.

One module per process, each exporting one frozen ``ProcessDefinition``. The registry is explicit:
adding a process or a new version means adding it to ``DEFAULT_DEFINITIONS``. A new version is
made when a process's structure changes (states, transitions): ``sni@2`` added recertification.
Deadlines are policy, as overridable per office as any setting, so new or changed deadlines apply
in place, to every version, from an application's next step on.
"""

from __future__ import annotations

from collections.abc import Iterable

from workflow.errors import NotFound
from workflow.model import ProcessDefinition
from workflow.processes.halal_regular import HALAL_REGULAR
from workflow.processes.halal_self_declare import HALAL_SELF_DECLARE
from workflow.processes.sni import SNI, SNI_V1
from workflow.processes.trademark import TRADEMARK

__all__ = [
    "DEFAULT_DEFINITIONS",
    "HALAL_REGULAR",
    "HALAL_SELF_DECLARE",
    "SNI",
    "SNI_V1",
    "TRADEMARK",
    "ProcessRegistry",
    "UnknownProcess",
]

DEFAULT_DEFINITIONS: tuple[ProcessDefinition, ...] = (
    HALAL_REGULAR,
    HALAL_SELF_DECLARE,
    TRADEMARK,
    SNI_V1,
    SNI,
)


class UnknownProcess(NotFound, LookupError):
    """No process (or no such version of it) is registered."""


class ProcessRegistry:
    """Process definitions by key and version; new applications get the latest version."""

    def __init__(self, definitions: Iterable[ProcessDefinition] = DEFAULT_DEFINITIONS) -> None:
        self._by_key: dict[str, dict[int, ProcessDefinition]] = {}
        for definition in definitions:
            versions = self._by_key.setdefault(definition.key, {})
            if definition.version in versions:
                raise ValueError(f"{definition.ident} is registered twice")
            versions[definition.version] = definition

    def keys(self) -> list[str]:
        """Process keys, in registration order."""
        return list(self._by_key)

    def get(self, key: str, version: int | None = None) -> ProcessDefinition:
        """The definition ``key`` at ``version`` (the latest when None)."""
        versions = self._by_key.get(key)
        if versions is None:
            raise UnknownProcess(
                f"unknown process {key!r}; known processes: {', '.join(self._by_key)}"
            )
        if version is None:
            return versions[max(versions)]
        try:
            return versions[version]
        except KeyError:
            known = ", ".join(str(v) for v in sorted(versions))
            raise UnknownProcess(
                f"process {key!r} has no version {version}; versions: {known}"
            ) from None

    def all(self) -> list[ProcessDefinition]:
        """Every registered definition, every version."""
        return [d for versions in self._by_key.values() for d in versions.values()]
