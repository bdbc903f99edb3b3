"""Shared pieces of the strategy self-tests: the default profile and the two outside validators."""

from __future__ import annotations

import copy
import datetime
import json
from pathlib import Path

import jsonschema
from botocore.validate import ParamValidator
from hypothesis import Phase, settings

from meterconform.harness.profile import load_profile
from tests.strategies.checker import MODEL

PROFILE = load_profile()
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
OPERATIONS = ("MeterUsage", "BatchMeterUsage", "RegisterUsage", "ResolveCustomer")


def to_botocore_params(operation: str, request: dict) -> dict:
    """The request as boto3 parameters: wire-form Timestamps (epoch numbers) become aware datetimes."""
    params = copy.deepcopy(request)

    def convert(usage: dict) -> None:
        if isinstance(usage.get("Timestamp"), (int, float)):
            usage["Timestamp"] = datetime.datetime.fromtimestamp(usage["Timestamp"], tz=datetime.UTC)

    if operation == "MeterUsage":
        convert(params)
    elif operation == "BatchMeterUsage":
        for record in params.get("UsageRecords", []):
            convert(record)
    return params


def botocore_report(operation: str, request: dict) -> str:
    """botocore's own client-side validation report ("" when it accepts the request)."""
    shape = MODEL.operation_model(operation).input_shape
    report = ParamValidator().validate(to_botocore_params(operation, request), shape)
    return report.generate_report() if report.has_errors() else ""


def request_schema(operation: str) -> dict | None:
    """The committed JSON Schema of the operation's request body, or None before it exists."""
    path = SCHEMAS / f"{operation}.request.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def schema_errors(operation: str, request: dict) -> list[str]:
    """Violations of schemas/<Op>.request.json (empty when the schema is absent)."""
    schema = request_schema(operation)
    if schema is None:
        return []
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(request)]


def wire_round_trip(request: dict) -> dict:
    """The request after JSON encoding and decoding: what the server reads."""
    return json.loads(json.dumps(request, allow_nan=False, ensure_ascii=False))


# For `hypothesis.find` in the "boundary is reachable" tests: generation only, since reaching the value is
# the point and shrinking a 25-record batch costs minutes.
FIND = settings(database=None, max_examples=500, deadline=None, phases=[Phase.generate])
