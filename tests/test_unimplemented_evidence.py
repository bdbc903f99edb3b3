"""UNIMPLEMENTED only from a well-formed POST of the operation: the answer to a deliberately malformed request
(another method, path, target or Content-Type, unsigned or mis-signed, a body that is no JSON object) is judged
as a refusal or not, even when it names UnknownOperationException or is a 501."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from meterconform.checks import unimplemented_evidence
from meterconform.clients import Exchange

URL = "http://127.0.0.1:9"
TRANSPORT = SimpleNamespace(url=URL)  # direct evidence needs no probe: nothing is sent
HEADERS = {"X-Amz-Target": "AWSMPMeteringService.RegisterUsage", "Content-Type": "application/x-amz-json-1.1",
           "Authorization": "AWS4-HMAC-SHA256 Credential=***, SignedHeaders=host, Signature=***"}
BODY = {"ProductCode": "prod-meterconform0001", "PublicKeyVersion": 1}


def _exchange(status=404, error="UnknownOperationException", **changes) -> Exchange:
    fields = dict(operation="RegisterUsage", via="raw", request=BODY, request_headers=dict(HEADERS), method="POST",
                  url=URL + "/", status=status, headers={"content-type": "application/x-amz-json-1.1"},
                  body=json.dumps({"__type": error, "message": "no"}).encode() if error else b"<html>501</html>")
    fields.update(changes)
    return Exchange(**fields)


@pytest.mark.parametrize("changes", [
    {"request": BODY}, {"request": b""}, {"request": b'{"ProductCode": "p"}'}, {"via": "boto3", "request_headers": {}},
], ids=["dict", "empty-body", "json-object-bytes", "boto3"])
@pytest.mark.parametrize("status,error", [(404, "UnknownOperationException"), (501, None)])
def test_a_well_formed_post_answered_unknown_operation_is_evidence(changes, status, error):
    assert unimplemented_evidence(TRANSPORT, _exchange(status, error, **changes))


MALFORMED = {
    "GET": {"method": "GET"}, "PUT": {"method": "PUT"}, "DELETE": {"method": "DELETE"}, "PATCH": {"method": "PATCH"},
    "other-path": {"url": URL + "/v1/meter"},
    "no-target": {"request_headers": {k: v for k, v in HEADERS.items() if k != "X-Amz-Target"}},
    "other-target": {"request_headers": {**HEADERS, "X-Amz-Target": "AWSMPMeteringService.registerusage"}},
    "json-content-type": {"request_headers": {**HEADERS, "Content-Type": "application/json"}},
    "no-content-type": {"request_headers": {k: v for k, v in HEADERS.items() if k != "Content-Type"}},
    "unsigned": {"signing": "unsigned"}, "mis-signed": {"signing": "mis-signed"},
    "malformed-json": {"request": b'{"ProductCode": '}, "json-array": {"request": [1]},
    "json-string-bytes": {"request": b'"RegisterUsage"'}, "too-deep-for-json": {"request": b"[" * 100_000},
}


@pytest.mark.parametrize("changes", MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("status,error", [(404, "UnknownOperationException"), (501, None)])
def test_a_malformed_request_answered_unknown_operation_is_no_evidence(changes, status, error):
    assert unimplemented_evidence(TRANSPORT, _exchange(status, error, **changes)) is None
