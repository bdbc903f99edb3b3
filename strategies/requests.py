"""Whole request bodies for the four operations, valid by construction against the model and the profile."""

from __future__ import annotations

import itertools
import secrets
import uuid
from typing import Literal

from hypothesis import strategies as st

from meterconform.harness.profile import Profile
from meterconform.strategies._memo import memoized
from meterconform.strategies._model import CLIENT_TOKEN_MAX, CLIENT_TOKEN_MIN, NONCE_MAX, RECORDS_MAX
from meterconform.strategies.allocations import allocations
from meterconform.strategies.products import ANY_CHARACTERS, dimensions, product_codes
from meterconform.strategies.quantities import quantities
from meterconform.strategies.timestamps import Where, timestamps
from meterconform.strategies.usage_records import (
    Customers,
    _check_optional_bool,
    _check_profile,
    _check_quantity_for_allocations,
    usage_record_lists,
)

ClientTokens = Literal["fresh", "unique", "drawn", "absent"]
TokenKind = Literal["valid", "expired", "invalid"]
CLIENT_TOKEN_KINDS = ("fresh", "unique", "drawn", "absent")
TOKEN_KINDS = ("valid", "expired", "invalid")
# ClientToken and Nonce have no pattern: any Unicode scalar JSON can carry (ANY_CHARACTERS).


@memoized
def client_tokens() -> st.SearchStrategy[str]:
    """Drawn ClientTokens: 1–64 arbitrary characters, exactly 1 and 64 weighted. Shrinks toward "0".

    Hypothesis repeats small values across examples, and a repeated token with other parameters is an
    IdempotencyConflict whatever the endpoint's token scope (on AWS every check is one identity); use these only
    where that is the point, else unique_client_tokens() or meter_usage_requests' "fresh" tokens.
    """
    return st.one_of(
        st.text(ANY_CHARACTERS, min_size=CLIENT_TOKEN_MIN, max_size=CLIENT_TOKEN_MAX),
        st.text(ANY_CHARACTERS, min_size=CLIENT_TOKEN_MAX, max_size=CLIENT_TOKEN_MAX),
    )


def _fresh_token(_: object) -> str:
    return str(uuid.uuid4())


# A unique token's marker: UNIQUE_MARKER_LENGTH characters of the 20992 CJK ideographs from U+4E00, spelling in
# base 20992 a random number of this process (80 bits: no other run, xdist worker or machine draws it) and the
# count of markers this process has made (34 bits). 20992 ** 8 > 2 ** 114, so every marker is distinct.
_MARKER_BASE, _MARKER_FIRST = 0x5200, 0x4E00
UNIQUE_MARKER_LENGTH = 8
UNIQUE_TOKEN_MIN = UNIQUE_MARKER_LENGTH
_RUN_PART = secrets.randbits(80)
_COUNTER = itertools.count()


def _unique_marker() -> str:
    n = (_RUN_PART << 34) | (next(_COUNTER) & (2**34 - 1))
    digits = []
    for _ in range(UNIQUE_MARKER_LENGTH):
        n, digit = divmod(n, _MARKER_BASE)
        digits.append(chr(_MARKER_FIRST + digit))
    return "".join(digits)


@memoized
def unique_client_tokens() -> st.SearchStrategy[str]:
    """ClientTokens no other draw of any run uses: UNIQUE_TOKEN_MIN (8) to 64 characters, exactly 8 and 64
    weighted, every character drawn from ANY_CHARACTERS (as client_tokens()) except a run- and draw-unique
    marker of 8 CJK ideographs written over them at a drawn position (the start, the end or between).

    The contract leaves the scope of a ClientToken open (per caller, per endpoint, per account): a token sent
    earlier with other parameters is an IdempotencyConflict under some scope, so a check that is not about reuse
    must send a token nobody sent. A token of 1–7 characters cannot be unique across runs; only the checks that
    own such a token (MU.CLIENT_TOKEN.LENGTH's boundaries) send one. Like "fresh" tokens the marker is new on
    every draw, replays included: it never repeats and never shrinks; the rest shrinks toward "0"s.
    """
    return _unique_tokens()


@st.composite
def _unique_tokens(draw) -> str:
    length = draw(
        st.one_of(
            st.integers(UNIQUE_TOKEN_MIN, CLIENT_TOKEN_MAX), st.sampled_from([UNIQUE_TOKEN_MIN, CLIENT_TOKEN_MAX])
        )
    )
    text = draw(st.text(ANY_CHARACTERS, min_size=length, max_size=length))
    at = draw(st.integers(0, length - UNIQUE_MARKER_LENGTH))
    return text[:at] + _unique_marker() + text[at + UNIQUE_MARKER_LENGTH :]


@st.composite
def _meter_usage(draw, profile, where, fractional, with_quantity, with_allocations, quantity, client_token, dry_run):
    request: dict = {
        "ProductCode": draw(product_codes(profile)),
        "Timestamp": draw(timestamps(profile, "meter", where, fractional)),
        "UsageDimension": draw(dimensions(profile)),
    }
    add_allocations = (draw(st.integers(0, 2)) == 2) if with_allocations is None else with_allocations
    # Allocations come with an explicit UsageQuantity: for an absent one their quantity type is undefined.
    if add_allocations and with_quantity is not False:
        request["UsageQuantity"] = total = draw(quantity)
        request["UsageAllocations"] = draw(allocations(total))
    elif draw(st.booleans()) if with_quantity is None else with_quantity:
        request["UsageQuantity"] = draw(quantity)
    if client_token == "fresh":
        request["ClientToken"] = _fresh_token(None)  # like botocore: a new UUID per call, not drawn
    elif client_token == "unique":
        request["ClientToken"] = draw(unique_client_tokens())
    elif client_token == "drawn":
        request["ClientToken"] = draw(client_tokens())
    if dry_run is True:
        request["DryRun"] = True
    else:
        # False: absent or an explicit false (the same on the wire); None: also true.
        choice = draw(st.sampled_from([None, False] if dry_run is False else [None, False, True]))
        if choice is not None:
            request["DryRun"] = choice
    return request


@memoized
def meter_usage_requests(
    profile: Profile,
    where: Where = "inside",
    fractional: bool | None = None,
    with_quantity: bool | None = None,
    with_allocations: bool | None = None,
    quantity: st.SearchStrategy[int] | None = None,
    client_token: ClientTokens = "fresh",
    dry_run: bool | None = False,
) -> st.SearchStrategy[dict]:
    """MeterUsage bodies: ProductCode, Timestamp (meter window, per `where`), UsageDimension, and optionally
    UsageQuantity, UsageAllocations (1–5, summing to the quantity, always with an explicit UsageQuantity),
    ClientToken and DryRun.

    `with_quantity` / `with_allocations`: True always, False never, None either. `client_token`: "fresh"
    (a new UUID per draw, as botocore sends — never repeats, never shrinks), "unique" (unique_client_tokens():
    drawn lengths and characters, never repeating), "drawn" (client_tokens(): repeats across draws, so only for a
    check that owns every token it sends), "absent". `dry_run`: False sends no DryRun or `false`, True sends `true`,
    None any of these.
    Shrinks toward the profile's first dimension, a timestamp of now, no quantity and no allocations.
    Two draws may share a dimension and hour: sending both is then a DuplicateRequest unless identical.
    """
    _check_profile(profile)
    _check_optional_bool("with_quantity", with_quantity)
    _check_optional_bool("with_allocations", with_allocations)
    _check_optional_bool("dry_run", dry_run)
    _check_quantity_for_allocations(with_quantity, with_allocations)
    if client_token not in CLIENT_TOKEN_KINDS:
        raise ValueError(f"client_token={client_token!r}: pass one of {', '.join(map(repr, CLIENT_TOKEN_KINDS))}")
    if quantity is not None and not isinstance(quantity, st.SearchStrategy):
        raise TypeError(f"quantity={quantity!r} must be a strategy of ints such as quantities(0, 100), or None")
    product_codes(profile), dimensions(profile), timestamps(profile, "meter", where, fractional)
    return _meter_usage(
        profile, where, fractional, with_quantity, with_allocations, quantity or quantities(), client_token, dry_run
    )


@memoized
def batch_meter_usage_requests(
    profile: Profile,
    min_size: int = 1,
    max_size: int = RECORDS_MAX,
    customers: Customers = "subscribed",
    with_product_code: bool | None = True,
    **record_options,
) -> st.SearchStrategy[dict]:
    """BatchMeterUsage bodies: `{"ProductCode": ..., "UsageRecords": [...]}` with min_size..max_size
    (default 1–25) records of distinct keys (see usage_record_lists; `record_options` go to usage_records()).

    `with_product_code`: True includes the profile's code; False omits it and None either, which only new
    SaaS integrations naming customers by account may do (customers="accounts"): legacy records naming a
    CustomerIdentifier need the ProductCode. Shrinks toward one record.
    """
    _check_profile(profile)
    _check_optional_bool("with_product_code", with_product_code)
    if with_product_code is not True and customers != "accounts":
        raise ValueError(
            f"with_product_code={with_product_code!r} with customers={customers!r}: records naming a "
            "CustomerIdentifier need the "
            'ProductCode; pass with_product_code=True, or customers="accounts" to omit it'
        )
    records = usage_record_lists(profile, min_size, max_size, customers, **record_options)
    if with_product_code is not False:
        product_codes(profile)

    @st.composite
    def build(draw):
        request: dict = {}
        if draw(st.booleans()) if with_product_code is None else with_product_code:
            request["ProductCode"] = draw(product_codes(profile))
        request["UsageRecords"] = draw(records)
        return request

    return build()


@memoized
def nonces() -> st.SearchStrategy[str]:
    """RegisterUsage Nonces: 0–255 arbitrary characters, the empty and the 255-char ones weighted.
    Shrinks toward ""."""
    return st.one_of(
        st.text(ANY_CHARACTERS, max_size=NONCE_MAX),
        st.sampled_from([""]),
        st.text(ANY_CHARACTERS, min_size=NONCE_MAX, max_size=NONCE_MAX),
    )


@memoized
def register_usage_requests(profile: Profile, with_nonce: bool | None = None) -> st.SearchStrategy[dict]:
    """RegisterUsage bodies: ProductCode (the profile's), PublicKeyVersion (one of
    `product.public_key_versions`) and, per `with_nonce` (True/False/None = either), a Nonce (see nonces()).
    Shrinks toward the first key version and no Nonce."""
    _check_profile(profile)
    _check_optional_bool("with_nonce", with_nonce)
    versions = list(profile.need("product.public_key_versions"))
    code = profile.need("product.code")
    nonce = st.one_of(st.none(), nonces()) if with_nonce is None else (nonces() if with_nonce else st.none())

    def body(version: int, n: str | None) -> dict:
        request = {"ProductCode": code, "PublicKeyVersion": version}
        if n is not None:
            request["Nonce"] = n
        return request

    return st.builds(body, st.sampled_from(versions), nonce)


@memoized
def resolve_customer_requests(profile: Profile, kind: TokenKind = "valid") -> st.SearchStrategy[dict]:
    """ResolveCustomer bodies `{"RegistrationToken": t}` with t one of the profile's
    `registration_tokens.valid` / `.expired` / `.invalid` tokens per `kind`. Shrinks toward the first listed."""
    _check_profile(profile)
    if kind not in TOKEN_KINDS:
        raise ValueError(
            f"kind={kind!r} is not a kind of registration token; pass one of {', '.join(map(repr, TOKEN_KINDS))}"
        )
    listed = profile.need(f"registration_tokens.{kind}")
    tokens = [t.token for t in listed] if kind == "valid" else list(listed)
    return st.sampled_from(tokens).map(lambda t: {"RegistrationToken": t})
