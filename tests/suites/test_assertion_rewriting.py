"""The suites run without pytest's assertion rewriting: no check states a verdict with a bare `assert`, and no
module of a suites run (the suites, Hypothesis, the other plugins) is rewritten."""

from __future__ import annotations

import ast
import os
import subprocess
import textwrap
from pathlib import Path

from meterconform.harness.pytest_command import subprocess_command

REPO = Path(__file__).resolve().parents[2]

PROBE = textwrap.dedent(
    """
    import os, sys

    def pytest_collection_finish(session):
        rewritten = sorted(
            name for name, module in list(sys.modules.items())
            if type(getattr(module, "__loader__", None)).__name__ == "AssertionRewritingHook"
        )
        with open(os.environ["REWRITE_PROBE_OUT"], "w") as out:
            out.write("\\n".join(rewritten))
    """
)


def test_no_suite_module_holds_a_bare_assert():
    found = [
        f"{path.relative_to(REPO)}:{node.lineno}"
        for path in sorted((REPO / "suites").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Assert)
    ]
    assert found == [], "a check states its verdict through the clause helpers (see docs/architecture.md)"


def test_a_suites_run_rewrites_no_module(tmp_path):
    (tmp_path / "rewrite_probe.py").write_text(PROBE, encoding="utf-8")
    out = tmp_path / "rewritten.txt"
    cmd = subprocess_command(suites=REPO / "suites", extra=["--collect-only", "-q", "-p", "rewrite_probe"])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERCONFORM_", "PYTEST_XDIST"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(tmp_path), env.get("PYTHONPATH")) if p)
    env["REWRITE_PROBE_OUT"] = str(out)
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert out.read_text(encoding="utf-8") == ""
    assert "PytestAssertRewriteWarning" not in proc.stdout + proc.stderr
