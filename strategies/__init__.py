"""What to send: Hypothesis strategies for metering requests, valid by construction or broken on purpose."""

from meterconform.strategies.allocations import allocations, max_allocations_list
from meterconform.strategies.mutations import Mutation, invalid_requests, mutation, mutations
from meterconform.strategies.products import (
    dimensions,
    overlong_product_codes,
    product_codes,
    unknown_dimensions,
    unknown_product_codes,
)
from meterconform.strategies.quantities import invalid_quantities, quantities
from meterconform.strategies.requests import (
    batch_meter_usage_requests,
    client_tokens,
    meter_usage_requests,
    nonces,
    register_usage_requests,
    resolve_customer_requests,
    unique_client_tokens,
)
from meterconform.strategies.tags import (
    TAG_ALPHABET,
    invalid_tag_chars,
    overlong_tag_keys,
    overlong_tag_values,
    tag_keys,
    tag_values,
    tags,
)
from meterconform.strategies.timestamps import hour_floor, timestamps
from meterconform.strategies.usage_records import record_key, usage_record_lists, usage_records

__all__ = [
    "Mutation",
    "TAG_ALPHABET",
    "allocations",
    "batch_meter_usage_requests",
    "client_tokens",
    "dimensions",
    "hour_floor",
    "invalid_quantities",
    "invalid_requests",
    "invalid_tag_chars",
    "max_allocations_list",
    "meter_usage_requests",
    "mutation",
    "mutations",
    "nonces",
    "overlong_product_codes",
    "overlong_tag_keys",
    "overlong_tag_values",
    "product_codes",
    "quantities",
    "record_key",
    "register_usage_requests",
    "resolve_customer_requests",
    "tag_keys",
    "tag_values",
    "tags",
    "timestamps",
    "unique_client_tokens",
    "unknown_dimensions",
    "unknown_product_codes",
    "usage_record_lists",
    "usage_records",
]
