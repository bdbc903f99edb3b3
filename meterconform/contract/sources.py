"""Where a clause's quote comes from: resolve a quote `source` to the shipped public text, check the quote is verbatim.

Every source names a public document shipped in schemas/sources/ (listed in its index.toml):
  model:<ref>   the pinned botocore service model (schemas/sources/service-2.json), see `model_text`
  page:<name>   a plain-text snapshot of a public page (index.toml [page.<name>]: file, url, retrieved)
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from meterconform.contract.service_model import definition_text, doc_text
from meterconform.resources import schemas_dir

KINDS = ("model", "page")
HEADER_END = "\n---\n"  # a snapshot's header (URL:, Retrieved:, From:, Trimmed: lines) ends with a line "---"
ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*")


@dataclass(frozen=True)
class Document:
    """One shipped public document: its file in schemas/sources/, the URL it was taken from and when."""

    name: str  # "model" or the page name of `page:<name>`
    file: str
    url: str
    retrieved: str
    version: str | None = None

    @property
    def path(self) -> Path:
        return sources_dir() / self.file


def sources_dir() -> Path:
    """schemas/sources/: the shipped public documents and their index.toml."""
    return schemas_dir() / "sources"


@cache
def documents() -> dict[str, Document]:
    """Every shipped document by name ("model", and each page name), from schemas/sources/index.toml."""
    index = tomllib.loads((sources_dir() / "index.toml").read_text(encoding="utf-8"))
    found = {"model": Document("model", **index["model"])}
    for name, entry in index.get("page", {}).items():
        found[name] = Document(name, **entry)
    return found


def document(source: str) -> Document | None:
    """The shipped document a quote's `source` cites ("model:..." or "page:<name>"), or None if there is none."""
    kind, _, ref = source.partition(":")
    if kind == "model":
        return documents()["model"]
    if kind == "page":
        return documents().get(ref)
    return None


def source_url(source: str) -> str | None:
    """The public URL a reader opens to check the quote, or None for an unknown source."""
    doc = document(source)
    return None if doc is None else doc.url


def source_label(source: str) -> str:
    """How a report names a source: "botocore 1.44.8 service model: MeterUsageRequest.ClientToken" or the page URL."""
    doc = document(source)
    if doc is None:
        return source
    if doc.name == "model":
        return f"{doc.version} service model: {source.removeprefix('model:')}"
    return doc.url


@cache
def pinned_model() -> dict[str, Any]:
    """The shipped botocore model (schemas/sources/service-2.json) that `model:` quotes are checked against."""
    return json.loads(documents()["model"].path.read_text(encoding="utf-8"))


def snapshot(name: str) -> tuple[dict[str, str], str] | None:
    """A page snapshot's header fields ({"URL": ..., "Retrieved": ...}) and its text; None if no such page is
    shipped."""
    doc = documents().get(name)
    if doc is None or name == "model" or not doc.path.is_file():
        return None
    raw = doc.path.read_text(encoding="utf-8")
    head, sep, body = raw.partition(HEADER_END)
    if not sep:
        return None
    fields = dict(m.groups() for m in re.finditer(r"^([A-Z][A-Za-z]+): (.*)$", head, flags=re.M))
    return fields, body


def normalize(text: str) -> str:
    """Markdown/whitespace-insensitive form: backticks and ** dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", text.replace("`", "").replace("**", "")).strip()


def quote_found(quote: str, haystack: str) -> bool:
    """True when `quote` occurs verbatim in `haystack` (both normalized); "..." elides text between fragments, in
    order."""
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


def source_text(source: str, model: Mapping[str, Any] | None = None) -> str | None:
    """The text a quote's `source` names (model quotes: in `model`, by default the pinned one); None if it does not
    exist."""
    kind, _, ref = source.partition(":")
    if kind == "model":
        return model_text(source, pinned_model() if model is None else model)
    if kind == "page":
        found = snapshot(ref)
        return None if found is None else found[1]
    return None
