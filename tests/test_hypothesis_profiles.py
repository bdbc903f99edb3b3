"""The run's seed draws its examples, on a CI service too: Hypothesis's own "ci" profile, loaded when the CI
variable is set, derandomizes, which would make it ignore --hypothesis-seed (and the seed `run` prints)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

DRAWS = textwrap.dedent(
    """
    from hypothesis import given, strategies as st

    from meterconform.harness.hypothesis_profiles import load_depth

    load_depth("ci")
    DRAWN = []


    @given(st.integers(0, 10**9))
    def test_draw(value):
        DRAWN.append(value)


    def test_print_the_draws():
        print("DRAWN", DRAWN)
    """
)


def _draws(tmp_path, seed: int, ci: bool) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TF_BUILD", "GITHUB_ACTIONS")}
    if ci:
        env["CI"] = "true"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            f"--hypothesis-seed={seed}",
            "-c",
            os.devnull,
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_draws.py"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return next(line for line in proc.stdout.splitlines() if "DRAWN" in line)


@pytest.mark.parametrize("ci", [False, True], ids=["local", "under CI"])
def test_the_seed_draws_the_examples(tmp_path, ci):
    (tmp_path / "test_draws.py").write_text(DRAWS, encoding="utf-8")
    first, again, other = _draws(tmp_path, 1, ci), _draws(tmp_path, 1, ci), _draws(tmp_path, 2, ci)
    assert first == again
    assert first != other


def test_a_seed_draws_the_same_examples_locally_and_under_ci(tmp_path):
    (tmp_path / "test_draws.py").write_text(DRAWS, encoding="utf-8")
    assert _draws(tmp_path, 7, ci=False) == _draws(tmp_path, 7, ci=True)
