"""The contract catalog: the clauses of schemas/clauses.toml as frozen objects, looked up by stable id."""

from __future__ import annotations

import difflib
import json
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema

from meterconform.resources import schemas_dir

CATALOG_FILE = "clauses.toml"
SCHEMA_FILE = "clauses.schema.json"
LEVELS = ("MUST", "SHOULD", "INFO")


class CatalogError(Exception):
    """schemas/clauses.toml does not match its format; the message names the clause and the key."""


@dataclass(frozen=True)
class Quote:
    source: str  # "model:MeterUsage (operation doc)", "page:smithy-aws-json-1_1": see meterconform.contract.sources
    text: str


@dataclass(frozen=True)
class Outcome:
    """What a conformant endpoint answers; `kind` is error | client_error | record_status | success | property | info
    | one_of."""

    kind: str
    errors: tuple[str, ...] = ()
    status: int | str | tuple[int, ...] | None = (
        None  # HTTP status for "error", the per-record Status for "record_status"
    )
    description: str = ""
    alternatives: tuple[Outcome, ...] = ()

    @property
    def all_errors(self) -> tuple[str, ...]:
        """Every error name this outcome (or any of its alternatives) names."""
        names = list(self.errors)
        for alt in self.alternatives:
            names.extend(n for n in alt.all_errors if n not in names)
        return tuple(names)


@dataclass(frozen=True)
class Reading:
    """One reading of a rule the sources disagree on; `profile` is the setting that selects it, if any."""

    name: str
    text: str
    profile: str | None = None
    outcome: Outcome | None = None


@dataclass(frozen=True)
class Clause:
    id: str
    title: str
    operations: tuple[str, ...]
    level: str
    quotes: tuple[Quote, ...]
    doc_url: str
    outcome: Outcome
    readings: tuple[Reading, ...] = ()
    untestable: str | None = None
    model: tuple[str, ...] = ()  # the model input constraints this clause covers: "BatchMeterUsage:UsageRecords.max"

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def testable(self) -> bool:
        return self.untestable is None


@dataclass(frozen=True)
class Catalog:
    clauses: tuple[Clause, ...]
    unmodelled_errors: Mapping[str, str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {c.id: c for c in self.clauses})
        object.__setattr__(self, "_by_constraint", {ref: c for c in self.clauses for ref in c.model})

    def get(self, clause_id: str) -> Clause:
        """The clause with this id; KeyError naming the id and the closest known ids otherwise."""
        try:
            return self._by_id[clause_id]  # type: ignore[attr-defined]
        except KeyError:
            raise KeyError(unknown_id_message(clause_id, self.ids)) from None

    def for_constraint(self, ref: str) -> Clause:
        """The clause covering a model input constraint, by its reference
        (meterconform.contract.service_model.Constraint.ref): "MeterUsage:ProductCode.required",
        "BatchMeterUsage:UsageRecords[].UsageAllocations[].Tags.max"..."""
        try:
            return self._by_constraint[ref]  # type: ignore[attr-defined]
        except KeyError:
            close = difflib.get_close_matches(ref, list(self._by_constraint), n=3, cutoff=0.5)  # type: ignore[attr-defined]
            hint = f"closest: {', '.join(close)}" if close else "see model-summary.json's input_constraints"
            raise KeyError(f"no clause covers the model constraint {ref!r}; {hint}") from None

    def __contains__(self, clause_id: object) -> bool:
        return clause_id in self._by_id  # type: ignore[attr-defined]

    def __iter__(self) -> Iterator[Clause]:
        return iter(self.clauses)

    def __len__(self) -> int:
        return len(self.clauses)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.clauses)

    def select(self, operation: str | None = None, level: str | None = None) -> list[Clause]:
        """The clauses applying to `operation` and/or at `level`, in catalog order."""
        return [
            c
            for c in self.clauses
            if (operation is None or operation in c.operations) and (level is None or c.level == level)
        ]


def unknown_id_message(clause_id: str, known: tuple[str, ...] | list[str]) -> str:
    """ "unknown clause id 'X'; closest: A, B, C" — shared by Catalog.get and the traceability test."""
    close = difflib.get_close_matches(clause_id, list(known), n=3, cutoff=0.5)
    hint = f"closest known ids: {', '.join(close)}" if close else "no similar id; see `meterconform clauses`"
    return f"unknown clause id {clause_id!r}; {hint}"


def _outcome(raw: Mapping[str, Any]) -> Outcome:
    status = raw.get("status")
    return Outcome(
        kind=raw["kind"],
        errors=tuple(raw.get("errors", ())),
        status=tuple(status) if isinstance(status, list) else status,
        description=raw.get("description", ""),
        alternatives=tuple(_outcome(a) for a in raw.get("alternatives", ())),
    )


def _clause(raw: Mapping[str, Any]) -> Clause:
    return Clause(
        id=raw["id"],
        title=raw["title"],
        operations=tuple(raw["operations"]),
        level=raw["level"],
        quotes=tuple(Quote(q["source"], q["text"]) for q in raw["quotes"]),
        doc_url=raw["doc_url"],
        outcome=_outcome(raw["outcome"]),
        readings=tuple(
            Reading(r["name"], r["text"], r.get("profile"), _outcome(r["outcome"]) if "outcome" in r else None)
            for r in raw.get("readings", ())
        ),
        untestable=raw.get("untestable"),
        model=tuple(raw.get("model", ())),
    )


def catalog_schema() -> dict[str, Any]:
    """The JSON Schema of the catalog file format."""
    return json.loads((schemas_dir() / SCHEMA_FILE).read_text(encoding="utf-8"))


def parse_catalog(text: str, source: str = CATALOG_FILE) -> Catalog:
    """Parse and validate catalog TOML text; CatalogError names every problem (clause id and key)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{source} is not valid TOML: {exc}") from None
    problems = []
    for err in sorted(
        jsonschema.Draft202012Validator(catalog_schema()).iter_errors(raw), key=lambda e: list(e.absolute_path)
    ):
        path = list(err.absolute_path)
        where = "/".join(str(p) for p in path) or "(top)"
        if len(path) >= 2 and path[0] == "clause" and isinstance(path[1], int):
            where = (
                f"clause {raw['clause'][path[1]].get('id', '#' + str(path[1]))}: "
                f"{'.'.join(str(p) for p in path[2:]) or '(clause)'}"
            )
        problems.append(f"  - {where}: {err.message[:300]}")
    seen: set[str] = set()
    for entry in raw.get("clause", ()):
        if entry.get("id") in seen:
            problems.append(f"  - clause {entry['id']}: duplicate id")
        seen.add(entry.get("id"))
    if problems:
        raise CatalogError(f"{source} does not match schemas/{SCHEMA_FILE}:\n" + "\n".join(problems))
    return Catalog(tuple(_clause(c) for c in raw["clause"]), dict(raw["unmodelled_errors"]))


@cache
def load_catalog() -> Catalog:
    """The packaged catalog (schemas/clauses.toml), parsed and validated once per process."""
    path = schemas_dir() / CATALOG_FILE
    return parse_catalog(path.read_text(encoding="utf-8"), str(path))
