"""Self-test: the committed JSON Schemas match the installed botocore model, and the drift diff names each change."""

from __future__ import annotations

import copy
import gzip
import json
import subprocess
import sys

import jsonschema
import pytest

from meterconform.contract import schemagen
from meterconform.contract.service_model import load_model
from meterconform.resources import CHECKOUT

SCHEMAS = CHECKOUT / "schemas"


@pytest.fixture(scope="module")
def model():
    return load_model()


def test_committed_schemas_match_the_installed_model(model):
    lines = schemagen.check(SCHEMAS, model)
    assert not lines, (
        "schemas/ is stale against the installed botocore model:\n  "
        + "\n  ".join(lines)
        + "\nrun `python -m meterconform.contract.schemagen` and review schemas/clauses.toml"
    )


def test_every_generated_file_is_committed():
    missing = [name for name in schemagen.generated_names() if not (SCHEMAS / name).is_file()]
    assert not missing, f"generated files missing from schemas/: {missing}"


def test_generated_schemas_are_valid_json_schemas(model):
    for name, doc in schemagen.generate(model).items():
        if name != schemagen.SUMMARY:
            jsonschema.Draft202012Validator.check_schema(doc)


def _patched(model):
    patched = copy.deepcopy(model)
    shapes = patched["shapes"]
    shapes["MeterUsageRequest"]["members"]["BillingRegion"] = {
        "shape": "String",
        "documentation": "<p>A new member.</p>",
    }
    shapes["QuotaExceededException"] = {
        "type": "structure",
        "members": {"message": {"shape": "errorMessage"}},
        "exception": True,
    }
    patched["operations"]["MeterUsage"]["errors"].append({"shape": "QuotaExceededException"})
    shapes["UsageRecordList"]["max"] = 30
    shapes["TagKey"]["pattern"] = "^[a-z]+$"
    return patched


def test_drift_names_the_new_member_the_new_error_and_the_changed_limit(model):
    lines = schemagen.diff(schemagen.generate(model), schemagen.generate(_patched(model)))
    text = "\n".join(lines)

    def has(*parts):
        return any(all(p in line for p in parts) for line in lines)

    assert has("MeterUsage.request.json", "MeterUsageRequest", "BillingRegion", "added"), text
    assert has("model-summary.json", "operations.MeterUsage.errors", "added QuotaExceededException"), text
    assert has("model-summary.json", "errors.QuotaExceededException", "added"), text
    assert has("BatchMeterUsage.request.json", "UsageRecordList.maxItems", "25 -> 30"), text
    assert has("model-summary.json", "BatchMeterUsage:UsageRecords.max", "25 -> 30"), text
    assert has("MeterUsage.request.json", "TagKey.pattern", "^[a-z]+$"), text
    # The response schema carries no limits, so a changed max is not reported there.
    assert not has("BatchMeterUsage.response.json", "maxItems"), text


def test_unchanged_model_has_no_drift(model):
    assert schemagen.diff(schemagen.generate(model), schemagen.generate(copy.deepcopy(model))) == []


def test_check_command_exits_1_with_a_readable_diff_for_a_patched_model(model, tmp_path):
    patched_path = tmp_path / "service-2.json.gz"
    patched_path.write_bytes(gzip.compress(json.dumps(_patched(model)).encode()))
    out = tmp_path / "schemas"
    out.mkdir()
    schemagen.write(schemagen.generate(model), out)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "meterconform.contract.schemagen",
            "--check",
            "--out",
            str(out),
            "--model",
            str(patched_path),
        ],
        capture_output=True,
        text=True,
        cwd=CHECKOUT,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "UsageRecordList.maxItems: 25 -> 30" in run.stderr
    assert "added QuotaExceededException" in run.stderr
    assert "BillingRegion" in run.stderr
    clean = subprocess.run(
        [sys.executable, "-m", "meterconform.contract.schemagen", "--check", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=CHECKOUT,
    )
    assert clean.returncode == 0, clean.stderr


def test_request_schema_enforces_limits_and_response_schema_tolerates_new_members():
    request = json.loads((SCHEMAS / "BatchMeterUsage.request.json").read_text())
    response = json.loads((SCHEMAS / "BatchMeterUsage.response.json").read_text())
    record = {"Timestamp": 1700000000, "Dimension": "Hours", "CustomerIdentifier": "c"}
    jsonschema.validate({"ProductCode": "p", "UsageRecords": [record]}, request)
    for bad in (
        {"UsageRecords": [record] * 26},
        {"UsageRecords": [{**record, "Timestamp": "2024-01-01T00:00:00Z"}]},
        {"UsageRecords": [record], "Surprise": 1},
        {
            "UsageRecords": [
                {**record, "UsageAllocations": [{"AllocatedUsageQuantity": 1, "Tags": [{"Key": "k>", "Value": "v"}]}]}
            ]
        },
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, request)
    jsonschema.validate(
        {"Results": [{"Status": "Success", "UsageRecord": {**record, "Extra": 1}}], "NewTopLevel": True}, response
    )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"Results": [{"Status": "Bogus"}]}, response)
