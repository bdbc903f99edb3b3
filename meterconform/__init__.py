"""meterconform: a conformance test suite and fuzzer for the AWS Marketplace Metering Service API.

PYTEST_DONT_REWRITE: the pytest11 entry point (meterconform.testing) makes pytest mark this whole distribution for
assertion rewriting, and `meterconform run` has imported this package before pytest starts; without this marker
pytest warned "Module already imported so cannot be rewritten" in every run. Nothing here asserts.
"""

from ._checkout import install as _install_checkout_finder

__version__ = "0.1.0"

_install_checkout_finder(__file__)
