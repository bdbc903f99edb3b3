"""Each mutation breaks exactly its own rule, leaves its input alone, and cites a clause of the catalog."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meterconform.contract.catalog import load_catalog
from meterconform.harness.profile import MissingProfileData, from_dict
from meterconform.strategies import Mutation, invalid_requests, mutation, mutations
from meterconform.strategies.mutations import REQUIRED_CLAUSES
from tests.strategies.checker import findings, rules
from tests.strategies.helpers import OPERATIONS, PROFILE, wire_round_trip

ALL = mutations()
SETTINGS = settings(max_examples=6, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("m", ALL, ids=[f"{m.operation}.{m.name}" for m in ALL])
@SETTINGS
@given(data=st.data())
def test_mutation_breaks_exactly_its_rule(m: Mutation, data):
    base = data.draw(m.base_requests(PROFILE), label="base")
    assert findings(m.operation, base, PROFILE) == [], "the base request is already invalid"
    before = copy.deepcopy(base)
    mutated = m.apply(base, data, PROFILE)
    assert base == before, "apply() changed the request it was given"
    broken = findings(m.operation, mutated, PROFILE)
    assert {f.rule for f in broken} == {m.clause}, f"{m.name} should break only {m.clause}; the checker found {broken}"
    # What the server reads breaks the same rule: the JSON encoding loses nothing.
    assert rules(m.operation, wire_round_trip(mutated), PROFILE) == {m.clause}


@pytest.mark.parametrize("operation", OPERATIONS)
@SETTINGS
@given(data=st.data())
def test_invalid_requests_pair_a_mutation_with_its_request(operation, data):
    m, request = data.draw(invalid_requests(PROFILE, operation))
    assert m.operation == operation
    assert rules(operation, request, PROFILE) == {m.clause}


def test_every_mutation_cites_a_catalog_clause_of_its_operation():
    catalog = load_catalog()
    unknown = sorted({m.clause for m in ALL if m.clause not in catalog})
    assert not unknown, f"mutations cite clauses the catalog lacks: {unknown}"
    for m in ALL:
        assert m.operation in catalog.get(m.clause).operations, f"{m.name}: {m.clause} does not apply to {m.operation}"


def test_missing_member_mutations_cite_the_clause_of_that_constraint():
    catalog = load_catalog()
    for (operation, path), clause in REQUIRED_CLAUSES.items():
        assert f"{operation}:{path}.required" in catalog.get(clause).model


def test_clause_outcomes_say_a_mutated_request_is_not_simply_served():
    # A mutation whose clause expects success would be no mutation at all.
    catalog = load_catalog()
    for m in ALL:
        assert catalog.get(m.clause).outcome.kind != "success", f"{m.name} cites {m.clause}, whose outcome is success"


def test_the_required_mutation_families_are_covered():
    names = {(m.operation, m.name) for m in ALL}
    for op in ("MeterUsage", "BatchMeterUsage"):
        for name in (
            "unknown_dimension",
            "unknown_product_code",
            "stale_timestamp",
            "quantity_negative",
            "quantity_too_large",
            "tags_too_many",
            "tag_key_too_long",
            "tag_value_too_long",
            "tag_key_invalid_char",
            "tag_value_invalid_char",
            "tags_empty",
            "allocation_sum_mismatch",
            "allocation_duplicate_tag_set",
            "allocations_two_untagged",
            "allocations_too_many",
        ):
            assert (op, name) in names
    for op, name in [
        ("MeterUsage", "client_token_too_long"),
        ("MeterUsage", "client_token_empty"),
        ("BatchMeterUsage", "too_many_records"),
        ("RegisterUsage", "nonce_too_long"),
        ("RegisterUsage", "public_key_version_zero"),
        ("RegisterUsage", "public_key_version_unknown"),
        ("ResolveCustomer", "registration_token_empty"),
        ("BatchMeterUsage", "account_id_not_digits"),
        ("BatchMeterUsage", "license_arn_malformed"),
        ("BatchMeterUsage", "customer_identifier_and_account"),
    ]:
        assert (op, name) in names
    # Every required member of every input structure has its "missing" mutation.
    for op in OPERATIONS:
        from tests.strategies.checker import MODEL

        for member in MODEL.operation_model(op).input_shape.required_members:
            assert (op, f"missing_{member}") in names


def test_names_are_unique_per_operation_and_lookup_works():
    for op in OPERATIONS:
        own = [m.name for m in mutations(op)]
        assert len(own) == len(set(own))
        assert mutation(op, own[0]).name == own[0]
    with pytest.raises(KeyError, match="known:"):
        mutation("MeterUsage", "no_such_mutation")
    with pytest.raises(ValueError, match="operation="):
        mutations("meterusage")


def test_mutations_carry_no_expected_error_names():
    # The expected outcome is the catalog clause's; a mutation naming an error would be a second source of truth.
    for m in ALL:
        assert "Exception" not in m.description and "Exception" not in m.clause


def _without_accounts():
    raw = dict(PROFILE.raw)
    raw["customers"] = {k: v for k, v in raw["customers"].items() if k not in ("subscribed_accounts", "licenses")}
    return from_dict(raw)


NO_ACCOUNTS = _without_accounts()
ACCOUNT_MUTATIONS = {
    "account_id_not_digits",
    "account_id_too_long",
    "license_arn_malformed",
    "license_of_another_account",
    "account_without_license",
    "customer_identifier_and_account",
}


@SETTINGS
@given(pair=invalid_requests(NO_ACCOUNTS, "BatchMeterUsage"))
def test_invalid_requests_leave_out_mutations_the_profile_cannot_feed(pair):
    m, request = pair
    assert m.name not in ACCOUNT_MUTATIONS
    assert rules("BatchMeterUsage", request, NO_ACCOUNTS) == {m.clause}


def test_account_mutations_need_accounts_and_invalid_requests_needs_something():
    for name in ACCOUNT_MUTATIONS:
        with pytest.raises(MissingProfileData, match="customers.subscribed_accounts"):
            mutation("BatchMeterUsage", name).requests(NO_ACCOUNTS)
    with pytest.raises(MissingProfileData):
        invalid_requests(from_dict({"product": {}}), "RegisterUsage")
