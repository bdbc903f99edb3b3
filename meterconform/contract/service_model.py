"""The botocore service model of Marketplace Metering as plain data: loading, doc text, input constraints."""

from __future__ import annotations

import gzip
import html
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .operations import OPERATIONS  # noqa: F401 - the model's operations, re-exported for its readers

SERVICE = "meteringmarketplace"

CONSTRAINT_KINDS = ("required", "min", "max", "pattern", "enum")


def load_model(path: str | Path | None = None) -> dict[str, Any]:
    """The raw service-2 JSON: from `path` (.json or .json.gz) or else from the installed botocore."""
    if path is None:
        from botocore.loaders import Loader

        return json.loads(json.dumps(Loader().load_service_model(SERVICE, "service-2")))
    p = Path(path)
    raw = gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
    return json.loads(raw)


def doc_text(doc: str | None) -> str:
    """Model documentation (HTML) as one line of plain text: tags dropped, entities decoded, spaces collapsed."""
    if not doc:
        return ""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", doc))).strip()


def error_shapes(model: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every modelled error shape by name (shapes with `exception: true`), in model order."""
    return {name: shape for name, shape in model["shapes"].items() if shape.get("exception")}


@dataclass(frozen=True)
class Constraint:
    """One input constraint of the model, at one member path of one operation's request."""

    operation: str
    path: str  # member path inside the request, "[]" marks a list item: "UsageRecords[].Dimension"
    kind: str  # one of CONSTRAINT_KINDS
    value: Any
    shape: str  # the shape carrying the constraint (the structure, for "required")

    @property
    def ref(self) -> str:
        """The stable reference a clause's `model` key uses: "BatchMeterUsage:UsageRecords.max"."""
        return f"{self.operation}:{self.path}.{self.kind}"


def input_constraints(model: Mapping[str, Any]) -> list[Constraint]:
    """Every required member, length, range, pattern, list size and enum reachable from each input shape."""
    found: list[Constraint] = []
    for op_name, op in model["operations"].items():
        if "input" in op:
            found.extend(_walk(model["shapes"], op_name, op["input"]["shape"], "", ()))
    return found


def _walk(
    shapes: Mapping[str, Any], op: str, shape_name: str, path: str, seen: tuple[str, ...]
) -> Iterator[Constraint]:
    if shape_name in seen:  # a recursive shape: its constraints were listed on the first visit
        return
    shape = shapes[shape_name]
    seen = seen + (shape_name,)
    if shape["type"] == "structure":
        for member, spec in shape["members"].items():
            member_path = f"{path}.{member}" if path else member
            if member in shape.get("required", ()):
                yield Constraint(op, member_path, "required", True, shape_name)
            yield from _walk(shapes, op, spec["shape"], member_path, seen)
        return
    for kind in ("min", "max", "pattern", "enum"):
        if kind in shape:
            yield Constraint(op, path, kind, shape[kind], shape_name)
    if shape["type"] == "list":
        yield from _walk(shapes, op, shape["member"]["shape"], f"{path}[]", seen)
    elif shape["type"] == "map":
        yield from _walk(shapes, op, shape["key"]["shape"], f"{path}{{key}}", seen)
        yield from _walk(shapes, op, shape["value"]["shape"], f"{path}{{}}", seen)


def definition_text(shape: Mapping[str, Any]) -> str:
    """A shape's constraints as quotable text: "type string; max 100; min 1; pattern ^[a-z]+$" (no docs, no members)."""
    parts = []
    for key, value in shape.items():
        if key in ("documentation", "members", "member", "key", "value") or isinstance(value, dict):
            continue
        shown = (
            ", ".join(str(v) for v in value)
            if isinstance(value, list)
            else str(value).lower()
            if isinstance(value, bool)
            else str(value)
        )
        parts.append(f"{key} {shown}")
    return "; ".join(parts)
