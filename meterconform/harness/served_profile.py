"""The target profile that matches a running reference endpoint: its seed, as TOML, with the URL it listens on."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from typing import Any

from .profile import default_profile_text

SECTIONS = ("endpoint", "contract", "product", "customers", "registration_tokens")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def served_profile_data(profile: Mapping[str, Any] | None, url: str) -> dict[str, Any]:
    """The profile the reference endpoint serves when seeded from `profile` (None: the default profile): each
    section's missing keys filled from the default profile, as the seed fills them (reference/seed.py), and
    endpoint.url set to `url`."""
    given = dict(profile or {})
    default = tomllib.loads(default_profile_text())
    data: dict[str, Any] = {}
    for name in (*SECTIONS, *(k for k in given if k not in SECTIONS)):
        base, own = default.get(name, {}), given.get(name, {})
        data[name] = {**base, **own} if isinstance(base, Mapping) and isinstance(own, Mapping) else own
    data["endpoint"] = {"url": url, **{k: v for k, v in data["endpoint"].items() if k != "url"}}
    return data


def served_profile(
    profile: Mapping[str, Any] | None, url: str, *, source: str | None = None, command: str = "meterconform serve"
) -> str:
    """The TOML text of served_profile_data: what `meterconform serve` prints and `--print-profile` writes, and
    what examples/reference.toml holds (the default seed on port 4566). `source`: the profile file it was
    seeded from; `command`: how to start that endpoint again."""
    seeded = f"seeded from {source}" if source else "the default seed"
    header = (
        f"# The target profile of a reference endpoint ({seeded}) listening on {url}.\n"
        f"# Start it with `{command}`, then: meterconform run --profile THIS-FILE\n"
        "# (`meterconform serve --print-profile FILE` writes this file for the port it got.)\n\n"
    )
    return header + to_toml(served_profile_data(profile, url))


def to_toml(data: Mapping[str, Any]) -> str:
    """TOML for a profile: tables of strings, numbers, booleans and lists of them, nested tables as [a.b]."""
    blocks: list[str] = []

    def table(node: Mapping[str, Any], path: tuple[str, ...]) -> None:
        scalars = [f"{_key(k)} = {_value(v)}" for k, v in node.items() if not isinstance(v, Mapping)]
        if path and (scalars or not any(isinstance(v, Mapping) for v in node.values())):
            blocks.append("\n".join([f"[{'.'.join(_key(p) for p in path)}]", *scalars]))
        for k, v in node.items():
            if isinstance(v, Mapping):
                table(v, (*path, k))

    table(data, ())
    return "\n\n".join(blocks) + "\n"


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) and not key.isdigit() else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise ValueError(f"a profile value of type {type(value).__name__} cannot be written as TOML: {value!r}")
