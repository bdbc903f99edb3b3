"""UNIMPLEMENTED only from a well-formed POST of the operation: the answer to a deliberately malformed request
(another method, path, target or Content-Type, unsigned or mis-signed, a body that is no JSON object) is judged
as a refusal or not, even when it names UnknownOperationException or is a 501; at most it makes the harness ask
a well-formed request of the operation, whose answer alone decides."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from meterconform.harness import checks
from meterconform.harness.checks import unimplemented_evidence
from meterconform.harness.profile import load_profile
from meterconform.transport.clients import Exchange

URL = "http://127.0.0.1:9"
TRANSPORT = SimpleNamespace(url=URL)  # a well-formed request's direct evidence needs no probe: nothing is sent
HEADERS = {
    "X-Amz-Target": "AWSMPMeteringService.RegisterUsage",
    "Content-Type": "application/x-amz-json-1.1",
    "Authorization": "AWS4-HMAC-SHA256 Credential=***, SignedHeaders=host, Signature=***",
}
BODY = {"ProductCode": "prod-meterconform0001", "PublicKeyVersion": 1}


def _exchange(status=404, error="UnknownOperationException", **changes) -> Exchange:
    fields = dict(
        operation="RegisterUsage",
        via="raw",
        request=BODY,
        request_headers=dict(HEADERS),
        method="POST",
        url=URL + "/",
        status=status,
        headers={"content-type": "application/x-amz-json-1.1"},
        body=json.dumps({"__type": error, "message": "no"}).encode() if error else b"<html>501</html>",
    )
    fields.update(changes)
    return Exchange(**fields)


@pytest.mark.parametrize(
    "changes",
    [
        {"request": BODY},
        {"request": b""},
        {"request": b'{"ProductCode": "p"}'},
        {"via": "boto3", "request_headers": {}},
    ],
    ids=["dict", "empty-body", "json-object-bytes", "boto3"],
)
@pytest.mark.parametrize("status,error", [(404, "UnknownOperationException"), (501, None)])
def test_a_well_formed_post_answered_unknown_operation_is_evidence(changes, status, error):
    assert unimplemented_evidence(TRANSPORT, _exchange(status, error, **changes))


MALFORMED = {
    "GET": {"method": "GET"},
    "PUT": {"method": "PUT"},
    "DELETE": {"method": "DELETE"},
    "PATCH": {"method": "PATCH"},
    "other-path": {"url": URL + "/v1/meter"},
    "no-target": {"request_headers": {k: v for k, v in HEADERS.items() if k != "X-Amz-Target"}},
    "other-target": {"request_headers": {**HEADERS, "X-Amz-Target": "AWSMPMeteringService.registerusage"}},
    "json-content-type": {"request_headers": {**HEADERS, "Content-Type": "application/json"}},
    "no-content-type": {"request_headers": {k: v for k, v in HEADERS.items() if k != "Content-Type"}},
    "unsigned": {"signing": "unsigned"},
    "mis-signed": {"signing": "mis-signed"},
    "malformed-json": {"request": b'{"ProductCode": '},
    "json-array": {"request": [1]},
    "json-string-bytes": {"request": b'"RegisterUsage"'},
    "too-deep-for-json": {"request": b"[" * 100_000},
}


@pytest.mark.parametrize("changes", MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("status,error", [(404, "UnknownOperationException"), (501, None)])
def test_a_malformed_request_answered_unknown_operation_is_no_evidence(changes, status, error, monkeypatch):
    """The well-formed request the harness then sends is served: the malformed one's answer is judged."""
    monkeypatch.setattr(checks, "_probe_cache", {})
    sent = []
    transport = SimpleNamespace(
        url=URL,
        profile=load_profile(None),
        record=None,
        raw=lambda body, operation: sent.append(body) or _exchange(200, None, request=body, body=b"{}"),
    )
    assert unimplemented_evidence(transport, _exchange(status, error, **changes)) is None
    assert len(sent) == 1 and isinstance(sent[0], dict) and sent[0]["ProductCode"]
    assert (
        unimplemented_evidence(transport, _exchange(status, error, **changes)) is None and len(sent) == 1
    )  # once a run


@pytest.mark.parametrize("changes", [MALFORMED["GET"], MALFORMED["unsigned"]], ids=["GET", "unsigned"])
def test_a_malformed_request_to_an_operation_a_well_formed_post_finds_missing_is_unimplemented(changes, monkeypatch):
    monkeypatch.setattr(checks, "_probe_cache", {})
    transport = SimpleNamespace(
        url=URL,
        profile=load_profile(None),
        record=None,
        raw=lambda body, operation: _exchange(404, "UnknownOperationException", request=body),
    )
    evidence = unimplemented_evidence(transport, _exchange(**changes))
    assert evidence == "a well-formed RegisterUsage request: UnknownOperationException"


def test_a_malformed_request_refused_otherwise_sends_nothing(monkeypatch):
    monkeypatch.setattr(checks, "_probe_cache", {})
    transport = SimpleNamespace(url=URL, raw=None)  # raw would raise: nothing may be sent
    assert unimplemented_evidence(transport, _exchange(400, "SerializationException", method="GET")) is None
