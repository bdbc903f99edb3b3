"""examples/ci: the GitHub and GitLab jobs call options that exist, use the baseline and publish the reports."""

from __future__ import annotations

import re
import shlex

import pytest

from meterconform.cli import build_parser
from meterconform.results.baseline import load_baseline

from .conftest import REPO

yaml = pytest.importorskip("yaml", reason="PyYAML reads the CI files (it comes with the test extra, through moto)")
CI = REPO / "examples" / "ci"


def _commands(node) -> list[str]:
    """Every shell line of a workflow or job (run: strings and script: lists)."""
    if isinstance(node, dict):
        return [
            c
            for key, value in node.items()
            for c in (
                _commands(value) if key not in ("run", "script") else ([value] if isinstance(value, str) else value)
            )
        ]
    if isinstance(node, list):
        return [c for item in node for c in _commands(item)]
    return []


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_the_job_runs_the_suite_with_the_baseline_and_publishes_the_reports(name):
    text = (CI / name).read_text()
    lines = [line for command in _commands(yaml.safe_load(text)) for line in command.splitlines()]
    runs = [line.strip() for line in lines if line.strip().startswith("meterconform run")]
    assert len(runs) == 1 and "--baseline" in runs[0]
    argv = shlex.split(re.sub(r'"\$\{?(\w+)\}?"', r"\1", runs[0]))[1:]
    args = build_parser().parse_args(argv)  # an option renamed in run.py fails here
    assert args.baseline == "BASELINE" and args.report_dir == "reports"
    assert any(line.strip().startswith("nohup meterconform serve --port 4566") for line in lines)
    assert "reports/conformance.html" in text and "reports/junit.xml" in text
    assert 'url = "http://127.0.0.1:4566"' in (REPO / "examples" / "reference.toml").read_text()


def test_the_example_baseline_is_valid():
    baseline = load_baseline(CI / "baseline.toml")
    assert baseline.expected == [] and baseline.endpoint
