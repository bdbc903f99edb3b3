"""Campaigns over the suites: fuzzing rounds and the fault analysis that proves the suite."""
