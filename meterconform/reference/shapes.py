"""Checks parsed JSON input against the service model's shapes: JSON types, required members, constraints."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import botocore.loaders
import botocore.model

from . import exceptions as exc

SERVICE = "meteringmarketplace"


@dataclass(frozen=True)
class Node:
    """One shape of the model, reduced to what input checking needs."""

    name: str
    kind: str  # structure | list | string | integer | timestamp | boolean
    members: tuple[tuple[str, Node], ...] = ()
    required: frozenset[str] = frozenset()
    member: Node | None = None
    min: int | None = None
    max: int | None = None
    pattern: re.Pattern[str] | None = field(default=None, compare=False)
    pattern_text: str | None = None


def _compile_pattern(text: str) -> re.Pattern[str]:
    """Compile a Smithy (ECMAScript, unanchored search) pattern so `$` means end of input, as in ECMAScript."""
    if text.endswith("$") and not text.endswith("\\$"):
        text = text[:-1] + r"\Z"
    return re.compile(text)


def _node(shape: Any) -> Node:
    meta = shape.metadata
    pattern = meta.get("pattern")
    common = dict(
        name=shape.name,
        kind=shape.type_name,
        min=meta.get("min"),
        max=meta.get("max"),
        pattern=_compile_pattern(pattern) if pattern else None,
        pattern_text=pattern,
    )
    if shape.type_name == "structure":
        return Node(
            members=tuple((name, _node(member)) for name, member in shape.members.items()),
            required=frozenset(shape.required_members),
            **common,
        )
    if shape.type_name == "list":
        return Node(member=_node(shape.member), **common)
    return Node(**common)


@functools.cache
def service_model() -> Any:
    """The installed botocore service model of Marketplace Metering (loaded once), read with botocore's loader
    rather than a session, so no AWS profile or config file of the machine is consulted (a missing AWS_PROFILE
    would stop the endpoint from starting)."""
    loader = botocore.loaders.create_loader()
    return botocore.model.ServiceModel(loader.load_service_model(SERVICE, "service-2"), service_name=SERVICE)


@functools.cache
def input_node(operation: str) -> Node:
    """The compiled input shape of `operation` (e.g. "MeterUsage")."""
    return _node(service_model().operation_model(operation).input_shape)


def operation_names() -> tuple[str, ...]:
    """The operations the model defines."""
    return tuple(service_model().operation_names)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_error(path: str, expected: str, value: Any) -> exc.SerializationException:
    return exc.SerializationException(
        f"Cannot deserialize {path}: expected {expected}, got a JSON {_json_type(value)}."
    )


NUMERIC_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")


LENIENT_KINDS = frozenset({"boolean", "integer", "timestamp", "string"})


def _coerced(value: Any, kind: str) -> Any:
    """What a lenient JSON binder reads a scalar of the wrong JSON type as (the lenient-json-types fault):
    "true"/"false" as booleans, numeric strings as numbers, numbers as strings; anything else unchanged."""
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    if kind in ("integer", "timestamp") and isinstance(value, str) and NUMERIC_TEXT.match(value):
        number = float(value)
        return int(number) if kind == "integer" and number.is_integer() else number
    if kind == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def clean(
    value: Any,
    node: Node,
    path: str,
    *,
    null_members: bool = True,
    fractional_timestamps: bool = True,
    lenient_types: frozenset[str] = frozenset(),
) -> Any:
    """Check JSON types against `node`; return the value with null and unknown structure members removed.

    `null_members=False` refuses a member sent as null, `fractional_timestamps=False` a timestamp with a
    fraction of a second, `lenient_types` (shape kinds) coerces scalars of the wrong JSON type as lenient binders do
    (all three only for the fault switch: the contract allows the first two and forbids the third)."""
    strict = {
        "null_members": null_members,
        "fractional_timestamps": fractional_timestamps,
        "lenient_types": lenient_types,
    }
    kind = node.kind
    if kind in lenient_types:
        value = _coerced(value, kind)
    if kind == "structure":
        if not isinstance(value, dict):
            raise _type_error(path, f"an object ({node.name})", value)
        out = {}
        for name, child in node.members:
            member = value.get(name)
            where = f"{path}.{name}" if path else name
            if member is not None:
                out[name] = clean(member, child, where, **strict)
            elif name in value and not null_members:
                raise _type_error(where, f"a value of {child.name}", None)
        return out
    if kind == "list":
        if not isinstance(value, list):
            raise _type_error(path, f"an array ({node.name})", value)
        member: Node = node.member  # type: ignore[assignment]
        return [clean(item, member, f"{path}[{i}]", **strict) for i, item in enumerate(value)]
    if kind == "string":
        if not isinstance(value, str):
            raise _type_error(path, "a string", value)
        return value
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(path, "an integer", value)
        return value
    if kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(path, "a number of epoch seconds", value)
        if not fractional_timestamps and isinstance(value, float) and not value.is_integer():
            raise exc.SerializationException(f"Cannot deserialize {path}: expected whole epoch seconds, got {value!r}.")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _type_error(path, "a boolean", value)
        return value
    raise AssertionError(f"shape kind {kind!r} of {node.name} is not handled")


def check_required(value: Any, node: Node, path: str = "") -> None:
    """Raise ValidationException for the first required member missing (absent or null) in a cleaned value."""
    if node.kind == "structure":
        for name, child in node.members:
            where = f"{path}.{name}" if path else name
            if name not in value:
                if name in node.required:
                    raise exc.ValidationException(
                        f"1 validation error detected: Value null at '{where}' failed to satisfy constraint: "
                        "Member must not be null"
                    )
                continue
            check_required(value[name], child, where)
    elif node.kind == "list":
        for i, item in enumerate(value):
            check_required(item, node.member, f"{path}[{i}]")  # type: ignore[arg-type]


ErrorFactory = Callable[[str], exc.MeteringError]


def _violation(errors: Mapping[str, ErrorFactory], node: Node, path: str, text: str) -> exc.MeteringError:
    factory = errors.get(node.name, exc.ValidationException)
    return factory(f"1 validation error detected: Value at '{path}' failed to satisfy constraint: {text}")


def check_constraints(
    value: Any,
    node: Node,
    errors: Mapping[str, ErrorFactory],
    limits: Mapping[str, tuple[int | None, int | None]] = {},
    path: str = "",
    patterns: Mapping[str, re.Pattern[str] | None] = {},
) -> None:
    """Raise the first model-constraint violation (length, range, pattern), as `errors[shape]` or Validation.

    `limits` overrides a shape's (min, max) by shape name: the profile's allocation cap, or a fault;
    `patterns` overrides a shape's pattern by shape name (None: unchecked), only for a fault.
    """
    lo, hi = limits.get(node.name, (node.min, node.max))
    kind = node.kind
    if kind == "structure":
        for name, child in node.members:
            if name in value:
                check_constraints(value[name], child, errors, limits, f"{path}.{name}" if path else name, patterns)
        return
    if kind == "list":
        if lo is not None and len(value) < lo:
            raise _violation(errors, node, path, f"Member must have length greater than or equal to {lo}")
        if hi is not None and len(value) > hi:
            raise _violation(errors, node, path, f"Member must have length less than or equal to {hi}")
        for i, item in enumerate(value):
            check_constraints(item, node.member, errors, limits, f"{path}[{i}]", patterns)  # type: ignore[arg-type]
        return
    if kind == "string":
        if lo is not None and len(value) < lo:
            raise _violation(errors, node, path, f"Member must have length greater than or equal to {lo}")
        if hi is not None and len(value) > hi:
            raise _violation(errors, node, path, f"Member must have length less than or equal to {hi}")
        pattern = patterns.get(node.name, node.pattern)
        if pattern is not None and not pattern.search(value):
            raise _violation(errors, node, path, f"Member must satisfy regular expression pattern: {node.pattern_text}")
        return
    if kind == "integer":
        if lo is not None and value < lo:
            raise _violation(errors, node, path, f"Member must have value greater than or equal to {lo}")
        if hi is not None and value > hi:
            raise _violation(errors, node, path, f"Member must have value less than or equal to {hi}")
