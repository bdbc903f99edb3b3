"""Where a clause's quote comes from: resolve a quote `source` to its text, and check the quote is verbatim."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Mapping

from meterconform.model import definition_text, doc_text

SOURCES_ENV = "METERCONFORM_SOURCES"  # a directory holding CONTRACT-NOTES.md and seeds/*.txt
DEFAULT_SOURCES = Path("/work/shared")
ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*")


def normalize(text: str) -> str:
    """Markdown/whitespace-insensitive form: backticks and ** dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", text.replace("`", "").replace("**", "")).strip()


def quote_found(quote: str, haystack: str) -> bool:
    """True when `quote` occurs verbatim in `haystack` (both normalized); "..." elides text between fragments, in order."""
    hay = normalize(haystack)
    pos = 0
    for fragment in (f for f in ELLIPSIS.split(normalize(quote)) if f):
        found = hay.find(fragment, pos)
        if found < 0:
            return False
        pos = found + len(fragment)
    return True


def model_text(source: str, model: Mapping[str, Any]) -> str | None:
    """The text a "model:..." source names, or None if the model has no such operation, shape or member."""
    ref = source.removeprefix("model:")
    if ref == "metadata":
        return definition_text(model["metadata"])
    for suffix, pick in (
        (" (operation doc)", lambda name: doc_text(model["operations"][name].get("documentation"))),
        (" (operation definition)", lambda name: definition_text(model["operations"][name]["http"])),
        (" (definition)", lambda name: definition_text(model["shapes"][name])),
    ):
        if ref.endswith(suffix):
            try:
                return pick(ref.removesuffix(suffix))
            except KeyError:
                return None
    shape_name, _, member = ref.partition(".")
    shape = model["shapes"].get(shape_name)
    if shape is None:
        return None
    if member:
        spec = shape.get("members", {}).get(member)
        return None if spec is None else doc_text(spec.get("documentation"))
    return doc_text(shape.get("documentation"))


def sources_dir() -> Path | None:
    """The directory with CONTRACT-NOTES.md and seeds/, from $METERCONFORM_SOURCES or /work/shared; None if absent."""
    path = Path(os.environ.get(SOURCES_ENV, DEFAULT_SOURCES))
    return path if (path / "CONTRACT-NOTES.md").is_file() else None


def notes_section(notes: str, heading_prefix: str) -> str | None:
    """The text of the `## <heading>` section whose heading starts with `heading_prefix` ("preamble": before the first)."""
    parts = re.split(r"^## ", notes, flags=re.M)
    if heading_prefix == "preamble":
        return parts[0]
    for part in parts[1:]:
        if part.startswith(heading_prefix):
            return part
    return None


def seed_entry(seed: str, type_name: str) -> str | None:
    """The description of `type_name` in the seed's "Name | Description" list."""
    match = re.search(rf"^{re.escape(type_name)} \|\n(.*?)(?=^[A-Za-z]+ \|$|\Z)", seed, flags=re.M | re.S)
    return match.group(1) if match else None


def source_text(source: str, model: Mapping[str, Any], notes: str | None, seed: str | None) -> str | None:
    """The text a quote's `source` names; None if it does not exist (or the notes/seed file is not available)."""
    kind, _, ref = source.partition(":")
    if kind == "model":
        return model_text(source, model)
    if kind == "notes":
        return None if notes is None else notes_section(notes, ref)
    if kind == "seed":
        return None if seed is None else seed_entry(seed, ref)
    return None
