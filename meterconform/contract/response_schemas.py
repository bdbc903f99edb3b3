"""Validate response bodies against the committed JSON Schemas; readable messages with the JSON path."""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema

from meterconform.contract.service_model import OPERATIONS
from meterconform.resources import schema_json


@cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema_json(name))


def json_path(parts: Any) -> str:
    """`$.Results[0].Status` for the path parts ["Results", 0, "Status"]."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _messages(name: str, body: Any) -> list[str]:
    errors = sorted(_validator(name).iter_errors(body), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return [f"{json_path(e.absolute_path)}: {e.message}" for e in errors]


def output_errors(operation: str, body: Any) -> list[str]:
    """Why a successful `operation` response body does not conform to schemas/<operation>.response.json ([] if it
    does)."""
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}; use one of {', '.join(OPERATIONS)}")
    return _messages(f"{operation}.response.json", body)


def input_errors(operation: str, body: Any) -> list[str]:
    """Why a request body breaks the model's constraints (schemas/<operation>.request.json); [] if it is valid."""
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}; use one of {', '.join(OPERATIONS)}")
    return _messages(f"{operation}.request.json", body)


def error_body_errors(body: Any) -> list[str]:
    """Why an error response body is not an awsJson1_1 error (schemas/error.json); [] if it is one."""
    return _messages("error.json", body)
