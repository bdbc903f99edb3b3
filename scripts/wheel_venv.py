"""A venv holding this checkout as `pip install .` installs it: built as a wheel, compiled, no editable finder.

    python scripts/wheel_venv.py DIR      # prints DIR/venv/bin/python

The venv reuses the running interpreter's dependencies through a .pth path line (this venv's own .pth files,
the editable install among them, stay off), so it needs no network and takes seconds. The wheel is built from a
copy of the checkout: setuptools builds in the source tree (build/), where two builds at once collide, and the
checkout stays as it was. Used by the wheel-install self-tests and by benchmarks/suite_speed.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
UNBUILT = (".git", ".venv", "build", "*.egg-info", ".hypothesis", ".ruff_cache", "reports", "__pycache__")


class BuildError(RuntimeError):
    """The wheel could not be built or installed; the message holds pip's output."""


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise BuildError(f"`{' '.join(cmd)}` failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")


def wheel_venv(where: Path) -> Path:
    """Build this checkout as a wheel and install it into a new venv under `where`; the venv's directory."""
    source, dist, venv = where / "source", where / "dist", where / "venv"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*UNBUILT))
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)])
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_meterconform_selftest_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    wheel = next(dist.glob("meterconform-*.whl"))
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)])
    return venv


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    print(wheel_venv(Path(sys.argv[1])) / "bin" / "python")
