"""The public API of the reference endpoint: lifecycle, clean shutdown, the catch-all, the named errors."""

from __future__ import annotations

import http.client
import socket
from urllib.parse import urlsplit

import pytest

from meterconform.reference import ReferenceEndpoint, exceptions, running_endpoint
from meterconform.reference.shapes import service_model

from .conftest import make_client, raw, usage


def test_running_endpoint_yields_a_loopback_url_and_releases_the_port():
    with running_endpoint() as url:
        parts = urlsplit(url)
        assert (parts.scheme, parts.hostname, parts.path) == ("http", "127.0.0.1", "")
        assert make_client(url).resolve_customer(RegistrationToken="valid-token-alpha")
    with pytest.raises(OSError):
        socket.create_connection((parts.hostname, parts.port), timeout=1).close()


def test_running_endpoint_takes_profile_and_faults():
    with running_endpoint({"product": {"code": "prod-x"}}, faults=["expired-token-as-invalid"]) as url:
        client = make_client(url)
        assert client.register_usage(ProductCode="prod-x", PublicKeyVersion=1)["Signature"]
        with pytest.raises(client.exceptions.InvalidTokenException):
            client.resolve_customer(RegistrationToken="expired-token-0001")


def test_url_needs_a_started_endpoint():
    endpoint = ReferenceEndpoint()
    with pytest.raises(RuntimeError):
        _ = endpoint.url
    endpoint.stop()  # stopping an endpoint never started is harmless


def test_stop_closes_idle_keep_alive_connections():
    endpoint = ReferenceEndpoint()
    parts = urlsplit(endpoint.start())
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    connection.request("GET", "/")
    connection.getresponse().read()  # a 405, on a connection kept alive
    endpoint.stop()
    connection.sock.settimeout(5)
    assert connection.sock.recv(1) == b""  # the server closed it rather than leave a thread serving it
    connection.close()


def test_an_unexpected_exception_is_a_json_internal_service_error(endpoint):
    def broken(caller, params):
        raise RuntimeError("bug")

    endpoint.protocol._handlers["ResolveCustomer"] = broken
    response = raw(endpoint.url, "ResolveCustomer", {"RegistrationToken": "x"})
    assert response.status == 500 and response.error == "InternalServiceErrorException"
    assert response.headers["x-amzn-errortype"] == "InternalServiceErrorException"
    assert endpoint.protocol.unexpected_errors == 1
    endpoint.protocol.unexpected_errors = 0  # seen and expected here


def test_the_named_errors_are_the_models_error_shapes():
    model = service_model()
    shapes = {name for name in model.shape_names if model.shape_for(name).metadata.get("exception")}
    assert {cls.__name__ for cls in exceptions.MODELLED_ERRORS} == shapes
    assert len(shapes) == 19
    for cls in exceptions.MODELLED_ERRORS:
        error = cls("m")
        assert (error.code, error.message) == (cls.__name__, "m")
        expected = 500 if model.shape_for(cls.__name__)._shape_model.get("fault") else 400  # metadata drops "fault"
        assert error.status == expected


def test_the_identity_of_a_request_does_not_leak_between_endpoints(make_endpoint):
    first, second = make_endpoint(), make_endpoint()
    client_one = make_client(first.url, access_key="AKIDSAME")
    client_two = make_client(second.url, access_key="AKIDSAME")
    one, two = client_one.meter_usage(**usage()), client_two.meter_usage(**usage())
    assert one["MeteringRecordId"] != two["MeteringRecordId"]
    assert (first.model.record_count(), second.model.record_count()) == (1, 1)
