"""Reproductions: the smallest request as JSON, an `aws` CLI line and a short Python snippet."""

from __future__ import annotations

import json
import shlex
from typing import Any

from .clients import Exchange, _snake
from .redact import redact_headers, redact_value


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


def reproduction(exchange: Exchange, region: str) -> str:
    """How a person replays this exchange by hand."""
    if exchange.operation and exchange.via == "boto3" and isinstance(exchange.request, dict):
        body = json.dumps(redact_value(exchange.request), separators=(",", ":"))
        cli_op = _snake(exchange.operation).replace("_", "-")
        endpoint = exchange.url
        cli = (f"aws meteringmarketplace {cli_op} --endpoint-url {endpoint} --region {region} "
               f"--cli-input-json {shlex.quote(body)}")
        py = (f"import boto3\n"
              f"c = boto3.client('meteringmarketplace', endpoint_url={endpoint!r}, region_name={region!r})\n"
              f"c.{_snake(exchange.operation)}(**{_py_params(exchange.request)})")
        return f"{cli}\n# or, in Python:\n{py}"
    headers = "\n".join(f"{k}: {v}" for k, v in redact_headers(exchange.request_headers).items())
    how = {"SigV4": "SigV4-signed", "unsigned": "sent unsigned", "mis-signed": "signed with a wrong secret"}.get(
        exchange.signing, exchange.signing)
    return f"{exchange.method} {exchange.url} ({how} by meterconform's raw client)\n{headers}\n\n{request_json(exchange, 4000)}"


def _py_params(request: dict[str, Any]) -> str:
    """Python literal for boto3 kwargs; epoch timestamps become datetime expressions."""
    import datetime as dt

    def conv(value: Any, key: str = "") -> str:
        if key == "Timestamp" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"__import__('datetime').datetime.fromtimestamp({value!r}, __import__('datetime').timezone.utc)"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k!r}: {conv(v, k)}" for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(conv(v) for v in value) + "]"
        return repr(value)

    _ = dt
    return conv(redact_value(request))
