"""Where the packaged data files (schemas/, suites/) live: the installed package, or the checkout beside it."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

CHECKOUT = Path(__file__).resolve().parent.parent


def package_dir(package: str, checkout_name: str) -> Path:
    """The directory of `package` ("meterconform.schemas"), or `<checkout>/<checkout_name>` before an install."""
    try:
        path = Path(str(resources.files(package)))
        if path.is_dir():
            return path
    except (ModuleNotFoundError, TypeError):
        pass
    return CHECKOUT / checkout_name


def schemas_dir() -> Path:
    """The schemas directory: clauses.toml, the generated JSON Schemas and model-summary.json."""
    return package_dir("meterconform.schemas", "schemas")


def suites_dir() -> Path:
    """The suites directory: the checks that cite clauses."""
    return package_dir("meterconform.suites", "suites")


@cache
def schema_json(name: str) -> Any:
    """A JSON file of the schemas directory, parsed (cached: these files do not change at run time)."""
    return json.loads((schemas_dir() / name).read_text(encoding="utf-8"))
