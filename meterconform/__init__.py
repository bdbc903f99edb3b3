"""meterconform: a conformance test suite and fuzzer for the AWS Marketplace Metering Service API."""

__version__ = "0.1.0"
