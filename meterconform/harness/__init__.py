"""Running checks against a target: the profile, built-in targets, fixtures, batch-key slots, shared verdicts."""
