"""Loads the meterconform pytest plugin for the suites (`pytest suites --profile P`) and the self-tests."""

pytest_plugins = ["meterconform.plugin"]
