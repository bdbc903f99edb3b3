"""Named behaviour switches of the reference endpoint (faults, readings): validation, lookup and listing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Switches:
    """A registry of switch names → one-line descriptions; `kind` ("fault", "reading") names them in messages."""

    kind: str
    registry: Mapping[str, str]

    def validated(self, names: Iterable[str]) -> frozenset[str]:
        """Return `names` as a frozenset, or raise ValueError naming the unknown ones and the valid ones."""
        if isinstance(names, str):
            names = (names,)
        chosen = frozenset(names)
        unknown = sorted(chosen - self.registry.keys())
        if unknown:
            raise ValueError(
                f"unknown {self.kind} name(s): {', '.join(unknown)}; valid {self.kind}s are: "
                f"{', '.join(sorted(self.registry))} (see `meterconform serve --list-{self.kind}s`)"
            )
        return chosen

    def on(self, active: frozenset[str], name: str) -> bool:
        """Whether switch `name` is active; a name missing from the registry is a programming error (KeyError)."""
        if name not in self.registry:
            raise KeyError(f"{self.kind} {name!r} is consulted but not registered in {self.kind.upper()}S")
        return name in active

    def table(self) -> str:
        """The switches as a two-column text table, one per line, sorted by name."""
        width = max(map(len, self.registry))
        return "\n".join(f"{name:<{width}}  {self.registry[name]}" for name in sorted(self.registry))
