"""Private: the metering service model's shapes and limits, read once from botocore."""

from __future__ import annotations

import functools
import re

import botocore.session
from botocore.model import ServiceModel, Shape

SERVICE = "meteringmarketplace"


@functools.lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    """The service model botocore ships for AWS Marketplace Metering."""
    return botocore.session.get_session().get_service_model(SERVICE)


def shape(name: str) -> Shape:
    """A named shape of the model, e.g. "TagKey"."""
    return service_model().shape_for(name)


def input_shape(operation: str) -> Shape:
    """The input structure of an operation, e.g. "MeterUsage" → MeterUsageRequest."""
    return service_model().operation_model(operation).input_shape


def limit(name: str, key: str) -> int:
    """A numeric constraint ("min" or "max") of a named shape; KeyError when the model has none."""
    return shape(name).metadata[key]


def pattern(name: str) -> str:
    """The regular expression of a named string shape, exactly as the model spells it."""
    return shape(name).metadata["pattern"]


def matches(name: str, value: str) -> bool:
    """Whether `value` matches the whole of the shape's pattern (re.fullmatch, so `$` cannot skip a newline)."""
    return re.fullmatch(pattern(name), value) is not None


# The limits the strategies use, all read from the model rather than copied.
QUANTITY_MIN = limit("UsageQuantity", "min")
QUANTITY_MAX = limit("UsageQuantity", "max")
ALLOCATED_QUANTITY_MAX = limit("AllocatedUsageQuantity", "max")
TAG_KEY_MIN = limit("TagKey", "min")
TAG_KEY_MAX = limit("TagKey", "max")
TAG_VALUE_MIN = limit("TagValue", "min")
TAG_VALUE_MAX = limit("TagValue", "max")
TAGS_MIN = limit("TagList", "min")
TAGS_MAX = limit("TagList", "max")
ALLOCATIONS_MIN = limit("UsageAllocations", "min")
ALLOCATIONS_MAX = limit("UsageAllocations", "max")
RECORDS_MIN = limit("UsageRecordList", "min")
RECORDS_MAX = limit("UsageRecordList", "max")
PRODUCT_CODE_MAX = limit("ProductCode", "max")
DIMENSION_MIN = limit("UsageDimension", "min")
DIMENSION_MAX = limit("UsageDimension", "max")
CLIENT_TOKEN_MIN = limit("ClientToken", "min")
CLIENT_TOKEN_MAX = limit("ClientToken", "max")
NONCE_MAX = limit("Nonce", "max")
PUBLIC_KEY_VERSION_MIN = limit("VersionInteger", "min")
CUSTOMER_IDENTIFIER_MAX = limit("CustomerIdentifier", "max")
ACCOUNT_ID_MAX = limit("CustomerAWSAccountId", "max")
