"""Self-test: the clause catalog is well-formed and covers the model and the notes (quotes: tests/test_sources.py)."""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections import defaultdict

import jsonschema
import pytest

from meterconform.contract.catalog import CatalogError, catalog_schema, load_catalog, parse_catalog
from meterconform.contract.service_model import OPERATIONS, error_shapes, input_constraints, load_model
from meterconform.contract.sources import normalize, source_text
from meterconform.resources import schemas_dir

# The design notes the catalog was written from are not shipped (they are no source: every quote cites a public
# document); the checklist tests below run only where $METERCONFORM_NOTES names a copy of them.
NOTES_ENV = "METERCONFORM_NOTES"

MODELLED_ERROR_COUNT = 19
SEED_ERROR_COUNT = 17
ERRORS_ADDED_AFTER_THE_SEED = {"IdempotencyConflictException", "InvalidLicenseException"}

# Every rule of CONTRACT-NOTES.md: a phrase of the notes that states it, and the clauses that carry it.
# An empty tuple needs a reason: the rule is about the harness or the test targets, not about an endpoint.
NOTES_RULES: list[tuple[str, tuple[str, ...], str]] = [
    # Protocol: AWS JSON 1.1
    (
        "POST /, header X-Amz-Target: AWSMPMeteringService.<Operation>",
        ("PROTO.TARGET.DISPATCH", "PROTO.TARGET.UNKNOWN", "PROTO.TARGET.MISSING", "PROTO.METHOD.POST_ONLY"),
        "",
    ),
    (
        "Such an answer to a GET is a refusal, not evidence that the operation is unimplemented",
        ("PROTO.METHOD.POST_ONLY",),
        "",
    ),
    ("Content-Type: application/x-amz-json-1.1", ("PROTO.CONTENT_TYPE.JSON",), ""),
    (
        "SigV4 with signing name aws-marketplace",
        ("PROTO.AUTH.UNSIGNED", "PROTO.AUTH.BAD_SIGNATURE", "PROTO.AUTH.SIGNING_NAME"),
        "",
    ),
    ("Host metering.marketplace.<region>.amazonaws.com", ("PROTO.ENDPOINT.HOST",), ""),
    ("Timestamps are epoch seconds as a JSON number", ("PROTO.TIMESTAMP.INTEGER", "PROTO.TIMESTAMP.STRING"), ""),
    ("a server must accept integers and fractional numbers", ("PROTO.TIMESTAMP.FRACTIONAL",), ""),
    ("An empty body and {} are both an empty input", ("PROTO.BODY.EMPTY",), ""),
    ("Every response carries a Content-Type", ("PROTO.CONTENT_TYPE.RESPONSE",), ""),
    ("an optional one takes its default", ("PROTO.NULL.OPTIONAL",), ""),
    ("a required one is missing", ("PROTO.NULL.REQUIRED",), ""),
    ("Unknown members: undocumented", ("PROTO.UNKNOWN_MEMBER.NO_5XX", "PROTO.UNKNOWN_MEMBER.HANDLING"), ""),
    ("only a 5xx or a hang is wrong", ("PROTO.TIMEOUT", "PROTO.HOSTILE.NO_5XX", "PROTO.HOSTILE.LIVENESS"), ""),
    ('Errors: body {"__type": "<ErrorShapeName>", "message": "..."}', ("PROTO.ERROR.TYPE", "PROTO.ERROR.MESSAGE"), ""),
    ("Clients strip anything before # and after : in __type", ("PROTO.ERROR.TYPE",), ""),
    ("so a server should send both", ("PROTO.ERROR.HEADER",), ""),
    (
        "Status: 400 for every client error, including ThrottlingException",
        ("PROTO.STATUS.CLIENT_ERROR", "ERR.THROTTLING"),
        "",
    ),
    ("500 for InternalServiceErrorException", ("ERR.INTERNAL_SERVICE_ERROR",), ""),
    (
        "IdempotencyConflictException: 400 in the API Reference, 409 in the Smithy model",
        ("MU.CLIENT_TOKEN.CONFLICT",),
        "",
    ),
    (
        "botocore enforces only min constraints client-side",
        ("BMU.RECORDS.MAX", "TAG.COUNT.MAX", "MU.CLIENT_TOKEN.LENGTH"),
        "",
    ),
    ("botocore fills ClientToken with a fresh UUID", ("MU.CLIENT_TOKEN.OPTIONAL", "MU.CLIENT_TOKEN.REPLAY"), ""),
    (
        "Retries: with the legacy mode botocore retries",
        (),
        "harness configuration (max_attempts=1), not an endpoint rule",
    ),
    # MeterUsage
    (
        "Required: ProductCode, Timestamp, UsageDimension",
        ("MU.PRODUCT_CODE.REQUIRED", "MU.TIMESTAMP.REQUIRED", "MU.USAGE_DIMENSION.REQUIRED"),
        "",
    ),
    ("UsageQuantity 0..2147483647, default 0", ("MU.USAGE_QUANTITY.RANGE", "MU.USAGE_QUANTITY.DEFAULT"), ""),
    ("ClientToken (1–64 chars)", ("MU.CLIENT_TOKEN.LENGTH",), ""),
    (
        "records submitted more than six hours after the event are not accepted",
        ("MU.WINDOW.STALE", "MU.WINDOW.RECENT"),
        "",
    ),
    ("Future timestamps: not documented", ("MU.WINDOW.FUTURE", "BMU.WINDOW.FUTURE"), ""),
    ("Once per hour per dimension per instance", ("MU.HOUR.PER_DIMENSION",), ""),
    (
        "requests identical after rounding are idempotent and return the same MeteringRecordId",
        ("MU.HOUR.IDEMPOTENT",),
        "",
    ),
    ("with a different quantity → DuplicateRequestException", ("MU.HOUR.DUPLICATE",), ""),
    ("Same ClientToken with different parameters → IdempotencyConflictException", ("MU.CLIENT_TOKEN.CONFLICT",), ""),
    (
        "ClientToken scope is not documented",
        (),
        "the harness: no check but the reuse checks may depend on the scope "
        "(strategies.requests.unique_client_tokens; tests/strategies/test_client_tokens.py)",
    ),
    ("AgentCore Runtime deployments: many reports per hour", ("MU.AGENTCORE.CLIENT_TOKEN_AGGREGATION",), ""),
    ("the wire form is undocumented", ("MU.DRY_RUN.WIRE_FORM",), ""),
    ("a DryRun records nothing", ("MU.DRY_RUN.RECORDS_NOTHING",), ""),
    ("Errors modelled: InternalServiceError, InvalidProductCode", ("PROTO.STATUS.ERROR_NAME_KNOWN",), ""),
    # BatchMeterUsage
    ("Up to 25 UsageRecords per call", ("BMU.RECORDS.MAX",), ""),
    ("request under 1 MB", ("BMU.REQUEST.SIZE",), ""),
    ("one product per call", ("BMU.PRODUCT_CODE.ONE_PER_CALL",), ""),
    ("Timestamp and Dimension required", ("BMU.TIMESTAMP.REQUIRED", "BMU.DIMENSION.REQUIRED"), ""),
    ("CustomerIdentifier (0–255)", ("BMU.CUSTOMER_IDENTIFIER.LENGTH",), ""),
    (
        "CustomerAWSAccountId (digits, 1–255) with LicenseArn",
        (
            "BMU.ACCOUNT_ID.PATTERN",
            "BMU.ACCOUNT_ID.LENGTH",
            "BMU.LICENSE.INVALID",
            "BMU.LICENSE_ARN.PATTERN",
            "BMU.CUSTOMER.MISSING",
        ),
        "",
    ),
    ("Quantity 0..2147483647 default 0", ("BMU.QUANTITY.RANGE", "BMU.QUANTITY.DEFAULT"), ""),
    ("are mutually exclusive in one request", ("BMU.CUSTOMER.EXCLUSIVE",), ""),
    (
        "use CustomerAWSAccountId + LicenseArn and omit ProductCode",
        ("BMU.LICENSE.WITHOUT_PRODUCT_CODE", "BMU.PRODUCT_CODE.LEGACY_REQUIRED"),
        "",
    ),
    ("The current docs say 24 hours for BatchMeterUsage", ("BMU.WINDOW.STALE", "BMU.WINDOW.RECENT"), ""),
    ("with a month-end rule", ("BMU.WINDOW.MONTH_END",), ""),
    ("TimestampOutOfBoundsException and the entire batch is not processed", ("BMU.WINDOW.WHOLE_BATCH",), ""),
    ("Success (with MeteringRecordId)", ("BMU.CUSTOMER.SUBSCRIBED", "OUT.BMU.SUCCESS_RECORD_ID"), ""),
    (
        "CustomerNotSubscribed (identifier invalid, no active subscription, or account suspended)",
        ("BMU.CUSTOMER.UNKNOWN", "BMU.CUSTOMER.UNSUBSCRIBED", "BMU.CUSTOMER.SUSPENDED"),
        "",
    ),
    ("had the same customer, dimension, and time, but a different quantity", ("BMU.DEDUP.DUPLICATE_RECORD",), ""),
    ("Each result echoes the UsageRecord it answers", ("OUT.BMU.ECHO",), ""),
    ("de-duplication is per customer/dimension/hour", ("BMU.DEDUP.WITHIN_HOUR",), ""),
    (
        "Identical requests are idempotent and can be retried with the same records or a subset",
        ("BMU.IDEMPOTENT.RETRY", "BMU.IDEMPOTENT.SUBSET"),
        "",
    ),
    (
        "UnprocessedRecords: records not processed because of a service-side transient failure",
        ("BMU.UNPROCESSED.RETRY", "OUT.BMU.PARTITION"),
        "",
    ),
    ("Request-level errors modelled:", ("PROTO.STATUS.ERROR_NAME_KNOWN",), ""),
    ("An unknown dimension fails the whole request", ("BMU.DIMENSION.UNKNOWN",), ""),
    # Allocations and tags
    (
        "1–2500 allocations (the seed-era docs said more than 500 is invalid)",
        ("ALLOC.COUNT.MIN", "ALLOC.COUNT.MAX"),
        "",
    ),
    ("The sum of AllocatedUsageQuantity must equal the quantity", ("ALLOC.SUM", "ALLOC.SUM.VALID"), ""),
    ("Each allocation has a unique set of tags", ("ALLOC.UNIQUE_TAGS",), ""),
    ("at most one allocation has no tags", ("ALLOC.ONE_UNTAGGED",), ""),
    ("1–5 tags per allocation", ("TAG.COUNT.MIN", "TAG.COUNT.MAX"), ""),
    ("Key 1–100 chars", ("TAG.KEY.LENGTH", "TAG.KEY.REQUIRED"), ""),
    ("value 1–256 chars", ("TAG.VALUE.LENGTH", "TAG.VALUE.REQUIRED"), ""),
    ("both matching ^[a-zA-Z0-9+ -=._:\\/@]+$", ("TAG.KEY.PATTERN", "TAG.VALUE.PATTERN"), ""),
    ("!\"#$%&'()*,;< are allowed", ("TAG.PATTERN.RANGE_CHARACTERS",), ""),
    # RegisterUsage
    (
        "Required: ProductCode, PublicKeyVersion (integer ≥ 1)",
        ("RU.PRODUCT_CODE.REQUIRED", "RU.PUBLIC_KEY_VERSION.REQUIRED", "RU.PUBLIC_KEY_VERSION.MIN"),
        "",
    ),
    ("optional Nonce (≤ 255 chars)", ("RU.NONCE.LENGTH", "RU.NONCE.OPTIONAL"), ""),
    ('Signature — a JWT (header {"alg":"PS256","typ":"JWT"})', ("OUT.RU.SIGNATURE_JWT", "RU.REGISTER.SUCCESS"), ""),
    ("whose payload echoes productCode, publicKeyVersion and nonce", ("OUT.RU.SIGNATURE_PAYLOAD",), ""),
    ("PublicKeyRotationTimestamp only when the key version has expired", ("OUT.RU.ROTATION_TIMESTAMP",), ""),
    ("Must be called in the Region the task runs in → InvalidRegionException", ("ERR.INVALID_REGION",), ""),
    ("unsupported platform → PlatformNotSupportedException", ("ERR.PLATFORM_NOT_SUPPORTED",), ""),
    (
        "entitlement errors (CustomerNotEntitledException) only on the first call of a task",
        ("RU.ENTITLEMENT.FIRST_CALL_ONLY", "ERR.CUSTOMER_NOT_ENTITLED"),
        "",
    ),
    (
        "Other errors: InvalidProductCode, InvalidPublicKeyVersion",
        ("RU.PRODUCT_CODE.UNKNOWN", "RU.PUBLIC_KEY_VERSION.UNKNOWN"),
        "",
    ),
    # ResolveCustomer
    (
        "Required RegistrationToken (non-empty; an empty string passes botocore, the server must reject it)",
        ("RC.TOKEN.REQUIRED", "RC.TOKEN.NON_EMPTY"),
        "",
    ),
    (
        "Result: CustomerIdentifier, ProductCode, CustomerAWSAccountId, LicenseArn",
        ("RC.TOKEN.VALID", "OUT.RC.FIELDS", "OUT.RC.PRODUCT_CODE"),
        "",
    ),
    ("Errors: InvalidTokenException, ExpiredTokenException", ("RC.TOKEN.INVALID", "RC.TOKEN.EXPIRED"), ""),
    ("whether a resubmitted token is rejected is contested", ("RC.TOKEN.REUSE",), ""),
    # Quotas
    ("MeterUsage and BatchMeterUsage 10 requests/s, RegisterUsage 5/s; beyond →", ("ERR.THROTTLING",), ""),
    ("A suite pointed at AWS must stay under them", (), "a duty of the harness (rate limit), not of the endpoint"),
    # Known implementations
    ("moto (pip install 'moto[server]'", (), "describes a test target, not the contract"),
    ("LocalStack: no implementation", (), "describes a test target, not the contract"),
    # What the newest model added
    (
        "Decimal quantities. MeterUsageRequest.UsageQuantityAsDecimal, UsageRecord.QuantityAsDecimal",
        (
            "MU.USAGE_QUANTITY_DECIMAL.LENGTH",
            "MU.USAGE_QUANTITY_DECIMAL.PATTERN",
            "BMU.QUANTITY_DECIMAL.LENGTH",
            "BMU.QUANTITY_DECIMAL.PATTERN",
            "ALLOC.QUANTITY_DECIMAL.LENGTH",
            "ALLOC.QUANTITY_DECIMAL.PATTERN",
            "MU.USAGE_QUANTITY.EXCLUSIVE",
            "BMU.QUANTITY.EXCLUSIVE",
            "ALLOC.QUANTITY.EXACTLY_ONE",
            "ALLOC.QUANTITY_TYPE",
            "MU.USAGE_QUANTITY.BY_VALUE",
            "BMU.QUANTITY.BY_VALUE",
            "ALLOC.SUM",
            "ALLOC.SUM.VALID",
        ),
        "",
    ),
    (
        "BatchMeterUsage window: the installed model and current docs say 24 h plus the month-end grace",
        ("BMU.WINDOW.RECENT", "BMU.WINDOW.STALE", "BMU.WINDOW.MONTH_END"),
        "",
    ),
    (
        "Concurrent Agreements: BatchMeterUsageRequest.ProductCode is optional",
        ("BMU.LICENSE.WITHOUT_PRODUCT_CODE", "BMU.LICENSE.INVALID", "BMU.PRODUCT_CODE.ONE_PER_CALL"),
        "",
    ),
    ("ResolveCustomerResult.Metadata.AgreementId: string 1–64", ("OUT.RC.SCHEMA", "OUT.RC.METADATA"), ""),
    (
        "ClientToken scope is not documented.",
        (),
        "a rule for writing checks (never reuse another check's token), "
        "not a behaviour of an endpoint; tests/suites/test_token_reuse.py enforces it",
    ),
    (
        "AWS's own metering guidance (an AWS-authored integration guide) implies timestamps in the future are",
        ("MU.WINDOW.FUTURE", "BMU.WINDOW.FUTURE", "BMU.DEDUP.DUPLICATE_RECORD", "BMU.IDEMPOTENT.RETRY"),
        "",
    ),
    ("Non-POST methods: AWS JSON services answer them with a 4xx", ("PROTO.METHOD.POST_ONLY",), ""),
    # Sources
    (
        "Behaviour no source documents is never asserted as a failure: report it as informational.",
        (),
        "a policy of the catalog itself: enforced by test_info_level_matches_info_outcome",
    ),
]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def raw_catalog():
    return tomllib.loads((schemas_dir() / "clauses.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def notes():
    path = os.environ.get(NOTES_ENV)
    if not path:
        pytest.skip(
            f"the design notes are not shipped: set {NOTES_ENV} to a copy of CONTRACT-NOTES.md to check the checklist"
        )
    return open(path, encoding="utf-8").read()


@pytest.fixture(scope="module")
def seed():
    """The older edition's type list: the shipped snapshot of the AWS SDK for .NET reference page."""
    return source_text("page:sdkfornet-model")


# --- format -------------------------------------------------------------------------------------------------


def test_catalog_file_validates_against_its_schema(raw_catalog):
    schema = catalog_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(raw_catalog, schema)


def test_a_malformed_clause_is_rejected_with_its_id_and_key():
    text = """
format = 1
[unmodelled_errors]
[[clause]]
id = "MU.BROKEN.EXAMPLE"
title = "A clause without an outcome"
operations = ["MeterUsage"]
level = "MUST"
quotes = [{ source = "model:metadata", text = "abc" }]
doc_url = "https://example.com/"
"""
    with pytest.raises(CatalogError, match=r"clause MU\.BROKEN\.EXAMPLE.*outcome"):
        parse_catalog(text)
    with pytest.raises(CatalogError, match="duplicate id"):
        one = text.replace(
            'doc_url = "https://example.com/"', 'doc_url = "https://example.com/"\noutcome = { kind = "success" }'
        )
        parse_catalog(one + one.split("[unmodelled_errors]")[1])


def test_catalog_is_large_and_ids_are_unique_and_well_formed(catalog):
    ids = catalog.ids
    assert len(ids) > 60
    assert len(set(ids)) == len(ids), [i for i in ids if ids.count(i) > 1]
    bad = [i for i in ids if not re.fullmatch(r"(PROTO|MU|BMU|RU|RC|ALLOC|TAG|ERR|OUT)(\.[A-Z][A-Z0-9_]*){1,2}", i)]
    assert not bad, f"ids not of the form AREA.SUBJECT.RULE: {bad}"
    numbered = [i for i in ids if re.search(r"\.\d", i)]
    assert not numbered, f"ids must be names, never section numbers: {numbered}"


def test_get_names_the_unknown_id_and_the_closest_ones(catalog):
    assert catalog.get("MU.WINDOW.STALE").level == "MUST"
    with pytest.raises(KeyError) as info:
        catalog.get("MU.WINDOW.STAEL")
    assert "MU.WINDOW.STAEL" in str(info.value) and "MU.WINDOW.STALE" in str(info.value)


def test_operations_exist_in_the_model(catalog, model):
    assert set(OPERATIONS) == set(model["operations"])
    bad = {c.id: op for c in catalog for op in c.operations if op not in model["operations"]}
    assert not bad, f"clauses name operations the model lacks: {bad}"


def test_info_level_matches_info_outcome(catalog):
    bad = [c.id for c in catalog if (c.level == "INFO") != (c.outcome.kind == "info")]
    assert not bad, f"INFO clauses must have outcome kind info and vice versa: {bad}"


def test_conflicting_readings_are_complete(catalog):
    problems = []
    for c in catalog:
        if c.outcome.kind == "one_of":
            if not c.readings or any(r.outcome is None for r in c.readings):
                problems.append(f"{c.id}: a one_of outcome needs readings that each carry their outcome")
            elif {r.outcome for r in c.readings} != set(c.outcome.alternatives):
                problems.append(f"{c.id}: readings' outcomes differ from the alternatives")
    assert not problems, "\n".join(problems)


def test_reading_profiles_are_valid_target_profile_settings(catalog):
    profile_schema = json.loads((schemas_dir() / "target-profile.schema.json").read_text(encoding="utf-8"))
    problems = []
    for c in catalog:
        for r in c.readings:
            if r.profile is None:
                continue
            try:
                setting = tomllib.loads(r.profile.removeprefix("contract."))
            except tomllib.TOMLDecodeError as exc:
                problems.append(f"{c.id} reading {r.name!r}: {r.profile!r} is not `contract.key = value` ({exc})")
                continue
            errors = list(jsonschema.Draft202012Validator(profile_schema).iter_errors({"contract": setting}))
            if errors:
                problems.append(
                    f"{c.id} reading {r.name!r}: {r.profile!r} is not a valid profile setting: {errors[0].message}"
                )
    assert not problems, "\n".join(problems)


def test_source_conflicts_from_the_notes_are_recorded_with_their_profile_values(catalog):
    expected = {
        "BMU.WINDOW.STALE": {"contract.batch_window_hours = 24", "contract.batch_window_hours = 6"},
        "ALLOC.COUNT.MAX": {"contract.max_allocations = 2500", "contract.max_allocations = 500"},
        "MU.CLIENT_TOKEN.CONFLICT": {
            "contract.idempotency_conflict_status = 400",
            "contract.idempotency_conflict_status = 409",
        },
        "BMU.DEDUP.WITHIN_HOUR": {'contract.batch_dedup = "time"', 'contract.batch_dedup = "hour"'},
    }
    for clause_id, profiles in expected.items():
        assert {r.profile for r in catalog.get(clause_id).readings} == profiles, clause_id
    for clause_id in ("BMU.CUSTOMER.UNKNOWN", "BMU.CUSTOMER.EXCLUSIVE"):
        assert len(catalog.get(clause_id).readings) >= 2, clause_id


# --- errors -------------------------------------------------------------------------------------------------


def test_every_error_named_is_modelled_for_the_clause_operations_or_unmodelled(catalog, model):
    modelled = error_shapes(model)
    per_op = {op: {e["shape"] for e in spec.get("errors", ())} for op, spec in model["operations"].items()}
    problems = []
    for c in catalog:
        for name in c.outcome.all_errors + tuple(n for r in c.readings if r.outcome for n in r.outcome.all_errors):
            if name in modelled:
                missing = [op for op in c.operations if name not in per_op[op]]
                if missing:
                    problems.append(f"{c.id}: {name} is not in the model's error list of {missing}")
            elif name not in catalog.unmodelled_errors:
                problems.append(f"{c.id}: {name} is neither a modelled error nor listed under [unmodelled_errors]")
    assert not problems, "\n".join(problems)


def test_unmodelled_errors_do_not_shadow_modelled_ones(catalog, model):
    assert not set(catalog.unmodelled_errors) & set(error_shapes(model))


def test_all_modelled_errors_are_accounted_for(catalog, model):
    modelled = error_shapes(model)
    assert len(modelled) == MODELLED_ERROR_COUNT, (
        f"the model now has {len(modelled)} error shapes: {sorted(modelled)}; add clauses for the new ones"
    )
    provoked = defaultdict(list)
    for c in catalog:
        if c.testable and c.area != "ERR":
            for alt in (c.outcome, *c.outcome.alternatives):
                if alt.kind == "error":
                    for name in alt.errors:
                        provoked[name].append(c.id)
    err_clauses = {name: c.id for c in catalog if c.area == "ERR" for name in c.outcome.errors if name in modelled}
    problems = []
    for name in modelled:
        if name not in provoked and name not in err_clauses:
            problems.append(
                f"{name}: no testable clause provokes it (outcome kind error) and no ERR.* clause carries it"
            )
    for c in catalog:
        if c.area == "ERR":
            names = [n for n in c.outcome.errors if n in modelled]
            if len(names) != 1:
                problems.append(f"{c.id}: an ERR clause names exactly one modelled error, found {names}")
            elif names[0] in provoked:
                problems.append(
                    f"{c.id}: {names[0]} is already provoked by {provoked[names[0]]}; ERR.* is only for errors nothing "
                    "else provokes"
                )
            if c.untestable is None:
                problems.append(
                    f"{c.id}: an ERR clause exists because nothing provokes the error; give the untestable reason"
                )
    assert not problems, "\n".join(problems)


def test_seed_errors_plus_the_two_newer_ones_are_the_modelled_errors(model, seed):
    seed_errors = set(re.findall(r"^([A-Za-z]+Exception) \|$", seed, flags=re.M))
    assert len(seed_errors) == SEED_ERROR_COUNT, sorted(seed_errors)
    assert seed_errors | ERRORS_ADDED_AFTER_THE_SEED == set(error_shapes(model))


def test_error_status_matches_the_fault_flag(catalog, model):
    modelled = error_shapes(model)
    problems = []
    for c in catalog:
        for alt in (c.outcome, *c.outcome.alternatives):
            if alt.kind != "error":
                continue
            statuses = set(alt.status) if isinstance(alt.status, tuple) else {alt.status}
            for name in alt.errors:
                if name in modelled and modelled[name].get("fault") and 500 not in statuses:
                    problems.append(f"{c.id}: {name} is a fault (5xx) but the outcome status is {alt.status}")
                if name in modelled and not modelled[name].get("fault") and not statuses & {400, "4xx"}:
                    problems.append(f"{c.id}: {name} is a client error (400) but the outcome status is {alt.status}")
    assert not problems, "\n".join(problems)


def test_record_statuses_are_the_model_enum(catalog, model):
    enum = set(model["shapes"]["UsageRecordResultStatus"]["enum"])
    used = {alt.status for c in catalog for alt in (c.outcome, *c.outcome.alternatives) if alt.kind == "record_status"}
    assert used <= enum and used == enum, f"record statuses used {sorted(used)}, model enum {sorted(enum)}"


# --- coverage of the model and the notes --------------------------------------------------------------------


def test_every_model_input_constraint_has_exactly_one_clause(catalog, model):
    derived = {c.ref: c for c in input_constraints(model)}
    owners = defaultdict(list)
    for clause in catalog:
        for ref in clause.model:
            owners[ref].append(clause.id)
    problems = [
        f"{ref} (value {derived[ref].value!r}): no clause lists it under `model`"
        for ref in derived
        if ref not in owners
    ]
    problems += [f"{ref}: listed by {ids}, expected exactly one clause" for ref, ids in owners.items() if len(ids) > 1]
    problems += [
        f"{ref} (in {ids}): the model has no such constraint (stale reference?)"
        for ref, ids in owners.items()
        if ref not in derived
    ]
    for clause in catalog:
        for ref in clause.model:
            op = ref.split(":", 1)[0]
            if op not in clause.operations:
                problems.append(f"{clause.id}: covers {ref} but does not list {op} in operations")
    assert not problems, "model input constraints without a clause:\n  " + "\n  ".join(problems)


def test_constraint_clauses_are_must_and_say_a_request_is_rejected(catalog):
    problems = []
    for c in catalog:
        if c.model and c.level != "INFO" and c.outcome.kind not in ("error", "client_error"):
            problems.append(f"{c.id}: covers model constraints but its outcome is {c.outcome.kind}")
    assert not problems, "\n".join(problems)


def test_every_notes_rule_has_a_clause(catalog, notes):
    norm = normalize(notes)
    problems = []
    for phrase, ids, reason in NOTES_RULES:
        if normalize(phrase) not in norm:
            problems.append(f"rule phrase not found in CONTRACT-NOTES.md (the notes changed?): {phrase!r}")
        if not ids and not reason:
            problems.append(f"rule {phrase!r} maps to no clause and gives no reason")
        for clause_id in ids:
            if clause_id not in catalog:
                problems.append(f"rule {phrase!r}: clause {clause_id} does not exist")
    assert not problems, "\n".join(problems)


def test_every_notes_bullet_is_in_the_checklist(notes):
    """Each bullet of the notes must contain at least one checklist phrase, so a new bullet cannot go unmapped."""
    bullets = [normalize(b) for b in re.findall(r"^- (.*(?:\n[ \t]+.*)*)", notes, flags=re.M)]
    assert len(bullets) > 20, "the notes' bullet list was not found; update this test's parser"
    phrases = [normalize(p) for p, _, _ in NOTES_RULES]
    unmapped = [b[:100] for b in bullets if not any(p in b for p in phrases)]
    assert not unmapped, "notes bullets with no rule in NOTES_RULES:\n  " + "\n  ".join(unmapped)


def test_for_constraint_finds_the_clause_of_each_model_constraint(catalog, model):
    for constraint in input_constraints(model):
        assert constraint.ref in catalog.for_constraint(constraint.ref).model
    assert catalog.for_constraint("BatchMeterUsage:UsageRecords.max").id == "BMU.RECORDS.MAX"
    assert catalog.for_constraint("MeterUsage:UsageAllocations[].Tags[].Key.pattern").id == "TAG.KEY.PATTERN"
    with pytest.raises(KeyError, match="BatchMeterUsage:UsageRecords.max"):
        catalog.for_constraint("BatchMeterUsage:UsageRecord.max")
