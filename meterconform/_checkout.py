"""Run from a checkout, `meterconform` is complete: its suites, strategies and schemas come from the checkout too.

pyproject.toml lays the package out with `package-dir`: `meterconform.suites` is the checkout's top-level
`suites/`, `meterconform.strategies` its `strategies/`, `meterconform.schemas` its `schemas/`. An install
(wheel or editable) carries that mapping; a checkout on sys.path (pytest puts the root conftest's directory
there, `python -m` puts the working directory) has only `meterconform/`, which then shadows the installed
package without its suites and strategies. So when this package is imported from a checkout, a finder maps
those names to the checkout's folders, reading the mapping from the checkout's own pyproject.toml: the
checkout's whole tree is used, whatever is installed beside it.
"""

from __future__ import annotations

import importlib.util
import sys
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from pathlib import Path

PACKAGE = "meterconform"


def checkout_mapping(root: Path) -> dict[str, Path]:
    """pyproject's `package-dir` entries for subpackages kept outside `meterconform/` ({} when `root` is not a
    meterconform checkout)."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    import tomllib

    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    if data.get("project", {}).get("name") != PACKAGE:
        return {}
    package_dir = data.get("tool", {}).get("setuptools", {}).get("package-dir", {})
    return {
        name: root / folder
        for name, folder in package_dir.items()
        if isinstance(folder, str) and name.startswith(PACKAGE + ".") and (root / folder / "__init__.py").is_file()
    }


class CheckoutFinder(MetaPathFinder):
    """Finds the mapped subpackages (only those names) in the checkout; their submodules follow their __path__."""

    def __init__(self, mapping: dict[str, Path]):
        self.mapping = mapping

    def find_spec(self, fullname: str, path=None, target=None) -> ModuleSpec | None:
        folder = self.mapping.get(fullname)
        if folder is None:
            return None
        return importlib.util.spec_from_file_location(
            fullname, folder / "__init__.py", submodule_search_locations=[str(folder)]
        )


def install(package_file: str) -> None:
    """Put the finder first on sys.meta_path when `package_file` (meterconform/__init__.py) is in a checkout."""
    mapping = checkout_mapping(Path(package_file).resolve().parent.parent)
    if mapping and not any(isinstance(f, CheckoutFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, CheckoutFinder(mapping))
