"""meterconform: a conformance test suite and fuzzer for the AWS Marketplace Metering Service API."""

from ._checkout import install as _install_checkout_finder

__version__ = "0.1.0"

_install_checkout_finder(__file__)
