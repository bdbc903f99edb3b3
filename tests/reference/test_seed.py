"""The seed: a target profile dict turned into what the endpoint knows, gaps filled from the default profile."""

from __future__ import annotations

import pytest

from meterconform.reference.seed import default_profile, seed_from_profile

from .conftest import PRODUCT, client_error, make_client, usage


def test_the_default_seed_is_the_default_profile():
    profile, seed = default_profile(), seed_from_profile(None)
    assert seed.product_code == profile["product"]["code"]
    assert seed.dimensions == frozenset(profile["product"]["dimensions"])
    assert seed.public_key_versions == frozenset(profile["product"]["public_key_versions"])
    assert seed.subscribed == frozenset(profile["customers"]["subscribed"])
    assert seed.licenses == profile["customers"]["licenses"]
    assert seed.valid_tokens["valid-token-bravo"].account == "444455556666"
    assert seed.expired_tokens == frozenset(profile["registration_tokens"]["expired"])
    assert (seed.meter_window_hours, seed.batch_window_hours, seed.max_allocations) == (6, 6, 2500)
    assert (seed.batch_dedup, seed.idempotency_conflict_status) == ("time", 400)
    assert seed.secret_access_key == profile["endpoint"]["secret_access_key"]


def test_a_partial_profile_keeps_the_default_for_what_it_omits():
    seed = seed_from_profile({"product": {"code": "prod-other"}, "contract": {"batch_window_hours": 24}})
    assert seed.product_code == "prod-other"
    assert seed.dimensions == seed_from_profile(None).dimensions
    assert (seed.batch_window_hours, seed.meter_window_hours) == (24, 6)
    assert seed.valid_tokens == seed_from_profile(None).valid_tokens


def test_the_endpoint_follows_the_profile_product(make_endpoint):
    endpoint = make_endpoint({"product": {"code": "prod-other", "dimensions": ["Seats"]}})
    client = make_client(endpoint.url)
    assert client.meter_usage(**usage(ProductCode="prod-other", UsageDimension="Seats"))["MeteringRecordId"]
    assert client_error(client.meter_usage, **usage())[0] == "InvalidProductCodeException"
    error = client_error(client.meter_usage, **usage(ProductCode="prod-other", UsageDimension="Hours"))
    assert error[0] == "InvalidUsageDimensionException"


@pytest.mark.parametrize(
    "profile, names",
    [
        ({"contract": {"batch_dedup": "minute"}}, "batch_dedup"),
        ({"contract": {"token_reuse": "once"}}, "token_reuse"),
        ({"contract": {"idempotency_conflict_status": 500}}, "idempotency_conflict_status"),
        ({"contract": {"max_allocations": 0}}, "max_allocations"),
        ({"contract": {"meter_window_hours": "6"}}, "meter_window_hours"),
        ({"product": {"dimensions": "Hours"}}, "product.dimensions"),
        ({"product": {"public_key_versions": ["1"]}}, "public_key_versions"),
        ({"customers": []}, "[customers]"),
    ],
)
def test_bad_profile_values_are_refused_naming_the_key(profile, names):
    with pytest.raises(ValueError) as info:
        seed_from_profile(profile)
    assert names in str(info.value)


def test_unknown_profile_sections_and_keys_are_ignored():
    seed = seed_from_profile({"endpoint": {"url": "http://x", "kind": "aws"}, "suite": {"anything": 1}})
    assert seed.product_code == PRODUCT
