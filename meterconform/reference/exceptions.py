"""The named errors the reference endpoint answers with: one base class, one subclass per error shape."""

from __future__ import annotations


class MeteringError(Exception):
    """An error answered as `{"__type": code, "message": message}` with HTTP `status`."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class _NamedError(MeteringError):
    """A MeteringError whose code is its class name and whose status is a class default."""

    status_default = 400

    def __init__(self, message: str, status: int | None = None):
        super().__init__(type(self).__name__, message, self.status_default if status is None else status)


# --- the 19 error shapes of the service model -------------------------------------------------------------


class CustomerNotEntitledException(_NamedError):
    """The customer does not have a valid subscription for the product."""


class DisabledApiException(_NamedError):
    """The API is disabled in the Region."""


class DuplicateRequestException(_NamedError):
    """MeterUsage: the same {dimension, hour} was already metered with a different quantity."""


class ExpiredTokenException(_NamedError):
    """ResolveCustomer: the registration token has expired."""


class IdempotencyConflictException(_NamedError):
    """MeterUsage: the ClientToken was used before with different parameters."""


class InternalServiceErrorException(_NamedError):
    """An internal error (the model's only `fault`: HTTP 500)."""

    status_default = 500


class InvalidCustomerIdentifierException(_NamedError):
    """BatchMeterUsage: a CustomerIdentifier that cannot exist."""


class InvalidEndpointRegionException(_NamedError):
    """MeterUsage: the endpoint's Region differs from the caller's."""


class InvalidLicenseException(_NamedError):
    """BatchMeterUsage: the LicenseArn is not valid for the customer."""


class InvalidProductCodeException(_NamedError):
    """The product code does not match the published product."""


class InvalidPublicKeyVersionException(_NamedError):
    """RegisterUsage: the public key version is invalid."""


class InvalidRegionException(_NamedError):
    """RegisterUsage: called in a Region other than the task's."""


class InvalidTagException(_NamedError):
    """A tag is invalid, or an allocation has more than 5 tags."""


class InvalidTokenException(_NamedError):
    """ResolveCustomer: the registration token is invalid."""


class InvalidUsageAllocationsException(_NamedError):
    """The allocations do not add up to the quantity, repeat a tag set, or mix quantity types."""


class InvalidUsageDimensionException(_NamedError):
    """The usage dimension is not one of the product's dimensions."""


class PlatformNotSupportedException(_NamedError):
    """RegisterUsage: the platform is not supported."""


class ThrottlingException(_NamedError):
    """The calls to the API are throttled."""


class TimestampOutOfBoundsException(_NamedError):
    """The timestamp is outside the accepted window."""


# --- protocol errors (not in the model; the usual AWS JSON 1.1 names) ---------------------------------------


class SerializationException(_NamedError):
    """The body is not JSON, or a member has the wrong JSON type."""


class ValidationException(_NamedError):
    """A required member is missing or a value breaks a model constraint with no more specific error."""


class UnknownOperationException(_NamedError):
    """The X-Amz-Target header is missing or names no operation of the service."""


class MissingAuthenticationTokenException(_NamedError):
    """The request carries no SigV4 Authorization header or no X-Amz-Date."""


class IncompleteSignatureException(_NamedError):
    """The Authorization header is malformed."""


class InvalidSignatureException(_NamedError):
    """The SigV4 signature does not match, is scoped to another service, or has expired."""


class BadRequestException(_NamedError):
    """The HTTP framing is malformed (request line, headers, Content-Length, Transfer-Encoding)."""


class MethodNotAllowedException(_NamedError):
    """The HTTP method is not POST."""

    status_default = 405


class NotFoundException(_NamedError):
    """The request path is not "/"."""

    status_default = 404


class RequestEntityTooLargeException(_NamedError):
    """The request body is larger than 1 MB."""

    status_default = 413


class DryRunOperation(_NamedError):
    """MeterUsage with DryRun=true that would have succeeded (the documented name; the wire form is ours)."""

    status_default = 412


MODELLED_ERRORS: tuple[type[MeteringError], ...] = (
    CustomerNotEntitledException,
    DisabledApiException,
    DuplicateRequestException,
    ExpiredTokenException,
    IdempotencyConflictException,
    InternalServiceErrorException,
    InvalidCustomerIdentifierException,
    InvalidEndpointRegionException,
    InvalidLicenseException,
    InvalidProductCodeException,
    InvalidPublicKeyVersionException,
    InvalidRegionException,
    InvalidTagException,
    InvalidTokenException,
    InvalidUsageAllocationsException,
    InvalidUsageDimensionException,
    PlatformNotSupportedException,
    ThrottlingException,
    TimestampOutOfBoundsException,
)
