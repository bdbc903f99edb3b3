"""The package keeps the shape docs/architecture.md describes: few top-level modules, thin commands, no huge
module, and no plugin state on private attributes."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "meterconform"


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_the_top_level_holds_at_most_ten_modules():
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= 10, modules


def test_every_command_is_thin_and_no_module_is_huge():
    commands = {p.name: _lines(p) for p in (PACKAGE / "commands").glob("*.py")}
    assert {name: n for name, n in commands.items() if n > 150} == {}
    modules = {str(p.relative_to(PACKAGE)): _lines(p) for p in PACKAGE.rglob("*.py")}
    assert {name: n for name, n in modules.items() if n > 800} == {}


def test_no_plugin_state_lives_on_private_attributes():
    private = re.compile(r"_meterconform\b|\._mc_|\b_mc_")
    hits = [
        f"{p.relative_to(PACKAGE)}:{n}: {line.strip()}"
        for p in PACKAGE.rglob("*.py")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if private.search(line)
    ]
    assert hits == []
