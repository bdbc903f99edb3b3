"""Reproductions: the requests a check sent, in order, as `aws` CLI lines and a Python snippet that replays them."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..transport.clients import Exchange, _snake
from .redact import public_values, redact_headers, redact_value

if TYPE_CHECKING:
    from ..harness.profile import Endpoint


def request_json(exchange: Exchange, limit: int | None = 2000) -> str:
    """The request body as compact JSON (secrets redacted), cut to `limit` characters."""
    body = exchange.request
    if isinstance(body, (bytes, bytearray)):
        text = body[:limit].decode("utf-8", "backslashreplace") if limit else body.decode("utf-8", "backslashreplace")
        return text + (f"... ({len(body)} bytes)" if limit and len(body) > limit else "")
    text = json.dumps(redact_value(body), separators=(",", ":"), sort_keys=False, default=str)
    if limit and len(text) > limit:
        return text[:limit] + f"... ({len(text)} characters)"
    return text


def reproduction(
    exchange: Exchange, endpoint: Endpoint, sequence: Sequence[Exchange] = (), earlier_dropped: bool = False
) -> str:
    """How a person replays this exchange by hand: with `sequence` (the requests the check's example sent up to
    and including this one, oldest first) every request, numbered, in order, signed as the run signed them."""
    steps = [e for e in sequence if e is not exchange] + [exchange]
    numbered = len(steps) > 1
    head = (
        "# the check sent earlier requests too, not kept (only its last ones are): these may not reproduce alone\n"
        if earlier_dropped
        else ""
    )
    if all(_via_boto3(e) for e in steps):
        cli = "\n".join((f"# {n}.\n" if numbered else "") + _cli(e, endpoint) for n, e in enumerate(steps, 1))
        return (
            f"{head}{cli}\n"
            f"# or, in Python ({'prints each answer in turn' if numbered else 'prints the answer'}):\n"
            f"{python_snippet(steps, endpoint)}"
        )
    blocks = [
        (f"{n}. " if numbered else "") + (_cli(e, endpoint) if _via_boto3(e) else _raw(e))
        for n, e in enumerate(steps, 1)
    ]
    return head + "\n\n".join(blocks)


def _via_boto3(exchange: Exchange) -> bool:
    return bool(exchange.operation) and exchange.via == "boto3" and isinstance(exchange.request, dict)


def _wire(exchange: Exchange) -> dict[str, Any]:
    """The request's members as sent: with the ClientToken botocore filled in, so a replay is the same request."""
    request = dict(exchange.request)
    token = getattr(exchange, "sent_client_token", None)
    if token and "ClientToken" not in request:
        request["ClientToken"] = token
    return request


def _cli(exchange: Exchange, endpoint: Endpoint) -> str:
    body = json.dumps(redact_value(_wire(exchange)), separators=(",", ":"))
    cli_op = _snake(exchange.operation).replace("_", "-")
    env, flags = "", ""
    if _public_keys(endpoint):
        env = (
            f"AWS_ACCESS_KEY_ID={exchange.identity or endpoint.access_key_id} "
            f"AWS_SECRET_ACCESS_KEY={endpoint.secret_access_key} "
        )
    elif endpoint.config_profile and not endpoint.access_key_id:
        flags = f" --profile {shlex.quote(endpoint.config_profile)}"
    return (
        f"{env}aws meteringmarketplace {cli_op} --endpoint-url {exchange.url} --region {endpoint.region}{flags} "
        f"--cli-input-json {shlex.quote(body)}"
    )


def _raw(exchange: Exchange) -> str:
    headers = "\n".join(f"{k}: {v}" for k, v in redact_headers(exchange.request_headers).items())
    how = {"SigV4": "SigV4-signed", "unsigned": "sent unsigned", "mis-signed": "signed with a wrong secret"}.get(
        exchange.signing, exchange.signing
    )
    return (
        f"{exchange.method} {exchange.url} ({how} by meterconform's raw client)\n"
        f"{headers}\n\n{request_json(exchange, 4000)}"
    )


def _public_keys(endpoint: Endpoint) -> bool:
    """The profile signs with the reference endpoint's built-in test keys: public values, shown as they are."""
    return bool(endpoint.access_key_id and endpoint.secret_access_key and endpoint.secret_access_key in public_values())


def _credentials(endpoint: Endpoint) -> tuple[list[str], str, bool]:
    """The snippet's credential lines, the client() call's credential arguments, and whether it takes a key id."""
    if _public_keys(endpoint):
        return (
            [
                "# credentials: the reference endpoint's built-in test keys (public values, not a secret)",
                f"SECRET = {endpoint.secret_access_key!r}",
            ],
            "aws_access_key_id=access_key_id, aws_secret_access_key=SECRET",
            True,
        )
    if endpoint.access_key_id and endpoint.secret_access_key:
        names = "AWS_SECRET_ACCESS_KEY" + (" and AWS_SESSION_TOKEN" if endpoint.session_token else "")
        session = ", aws_session_token=os.environ['AWS_SESSION_TOKEN']" if endpoint.session_token else ""
        return (
            [
                f"# credentials: set {names} (and AWS_ACCESS_KEY_ID) to the target profile's endpoint keys",
                "SECRET = os.environ['AWS_SECRET_ACCESS_KEY']",
            ],
            f"aws_access_key_id=access_key_id, aws_secret_access_key=SECRET{session}",
            True,
        )
    if endpoint.config_profile:
        return (
            [
                "# credentials: the config profile the target profile names (endpoint.config_profile)",
                f"session = boto3.Session(profile_name={endpoint.config_profile!r})",
            ],
            "",
            False,
        )
    return (
        [
            "# credentials: the standard boto3 chain (environment, ~/.aws, a role), as the run used",
            "session = boto3.Session()",
        ],
        "",
        False,
    )


def python_snippet(steps: Sequence[Exchange], endpoint: Endpoint) -> str:
    """A self-contained script: a client signed as the run signed (retries and client-side validation off, as
    the suite sends), then each request, printing its answer (HTTP status and body) or the error it got."""
    lines, creds, keyed = _credentials(endpoint)
    url = steps[-1].url
    verify = f", verify={endpoint.ca_bundle!r}" if endpoint.ca_bundle else ""
    out = [
        "import os" if "os.environ" in "\n".join(lines + [creds]) else None,
        "import boto3",
        "import botocore.config, botocore.exceptions",
        *lines,
        "CONFIG = botocore.config.Config(retries={'total_max_attempts': 1}, parameter_validation=False)",
        "",
    ]
    make = "boto3.client" if keyed else "session.client"
    out += [
        f"def client({'access_key_id' if keyed else ''}):",
        f"    return {make}('meteringmarketplace', endpoint_url={url!r}, region_name={endpoint.region!r},"
        + (f" {creds}," if creds else "")
        + f" config=CONFIG{verify})",
        "",
        "def send(n, call, params):",
        "    try:",
        "        answer = call(**params)",
        "    except botocore.exceptions.ClientError as error:",
        "        answer = error.response",
        "    print(f\"{n}. HTTP {answer.pop('ResponseMetadata', {}).get('HTTPStatusCode')}\", answer)",
        "",
    ]
    clients: dict[str | None, str] = {}
    for n, exchange in enumerate(steps, 1):
        who = _key_id(exchange, endpoint) if keyed else None
        if who not in clients:
            clients[who] = f"c{len(clients) + 1}"
            out.append(f"{clients[who]} = client({who or ''})")
        out.append(f"send({n}, {clients[who]}.{_snake(exchange.operation)}, {_py_params(_wire(exchange))})")
    return "\n".join(line for line in out if line is not None)


def _key_id(exchange: Exchange, endpoint: Endpoint) -> str:
    """The access key id the request was signed with, as Python: a key id the suite invented (a fresh identity,
    so an emulator sees a new instance) or a public one literally, the profile's own from the environment."""
    identity = exchange.identity or endpoint.access_key_id
    if _public_keys(endpoint) or identity != endpoint.access_key_id:
        return repr(identity)
    return "os.environ['AWS_ACCESS_KEY_ID']"


def _py_params(request: dict[str, Any]) -> str:
    """Python literal for boto3 kwargs; epoch timestamps become datetime expressions."""

    def conv(value: Any, key: str = "") -> str:
        if key == "Timestamp" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"__import__('datetime').datetime.fromtimestamp({value!r}, __import__('datetime').timezone.utc)"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k!r}: {conv(v, k)}" for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(conv(v) for v in value) + "]"
        return repr(value)

    return conv(redact_value(request))
