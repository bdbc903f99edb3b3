"""A run's results: events, the gate (verdict and exit code), the baseline, the terminal summary, the reports dir."""
