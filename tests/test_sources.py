"""Self-test: every clause quote cites a public document shipped in schemas/sources/ and is verbatim in it (offline)."""

from __future__ import annotations

import re
import tomllib

import pytest

from meterconform.contract import schemagen
from meterconform.contract.catalog import load_catalog
from meterconform.contract.sources import (
    HEADER_END,
    document,
    documents,
    pinned_model,
    quote_found,
    snapshot,
    source_label,
    source_text,
    source_url,
    sources_dir,
)
from meterconform.resources import CHECKOUT, schemas_dir

MACHINE_PATH = "/" + "work" + "/"  # spelled apart so that this file does not match its own search


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def quotes(catalog):
    return [(c.id, q) for c in catalog for q in c.quotes]


def test_every_quote_is_verbatim_in_its_shipped_source(quotes):
    problems = []
    for clause_id, q in quotes:
        text = source_text(q.source)
        if text is None:
            problems.append(
                f"{clause_id}: source {q.source!r} names no shipped document (see schemas/sources/index.toml)"
            )
        elif not quote_found(q.text, text):
            problems.append(f"{clause_id}: {q.source!r} does not contain {q.text!r}")
    assert not problems, "\n".join(problems)


def _one_word_changed(text: str) -> str | None:
    """`text` with its first word of 4+ letters replaced by another word; None if it has no such word."""
    match = re.search(r"[A-Za-z]{4,}", text)
    return None if match is None else text[: match.start()] + "Zqxv" + match.group(0)[::-1] + text[match.end() :]


def test_a_quote_with_one_word_changed_is_not_found(quotes):
    """The check is not vacuous: the same quote with one word changed fails, for every quote of the catalog."""
    mutated = [(cid, q, _one_word_changed(q.text)) for cid, q in quotes]
    assert sum(1 for _, _, m in mutated if m) > 100
    found = [f"{cid}: {m!r}" for cid, q, m in mutated if m and quote_found(m, source_text(q.source) or "")]
    assert not found, "quotes still found after a word was changed:\n" + "\n".join(found)
    assert not quote_found(
        "BatchMeterUsage can process up to 26 UsageRecords", source_text("model:BatchMeterUsage (operation doc)")
    )
    assert not quote_found("a client MUST send an empty JSON array", source_text("page:smithy-aws-json-1_1"))
    assert source_text("model:MeterUsageRequest.NoSuchMember") is None
    assert source_text("page:no-such-page") is None
    assert source_text("notes:Protocol") is None


def test_no_quote_cites_a_private_file():
    raw = (schemas_dir() / "clauses.toml").read_text(encoding="utf-8")
    assert raw.count("notes:") == 0, (
        "a quote cites notes:, the private CONTRACT-NOTES.md; cite the public document instead"
    )
    assert raw.count("seed:") == 0, "a quote cites seed:; the seed is shipped as page:sdkfornet-model"


def test_every_source_is_a_shipped_file_with_a_public_url(quotes):
    problems = []
    for clause_id, q in quotes:
        doc = document(q.source)
        if doc is None:
            problems.append(f"{clause_id}: {q.source!r} names no document of schemas/sources/index.toml")
            continue
        if not doc.path.is_file() or doc.path.parent != sources_dir():
            problems.append(f"{clause_id}: {q.source!r}: {doc.file} is not a file of schemas/sources/")
        if not re.fullmatch(r"https://[^\s/]+\.[a-z]+/\S+", source_url(q.source) or ""):
            problems.append(f"{clause_id}: {q.source!r}: {doc.url!r} is not a public https URL")
        if not source_label(q.source).startswith(("https://", doc.version or "https://")):
            problems.append(f"{clause_id}: {q.source!r} is shown as {source_label(q.source)!r}")
    assert not problems, "\n".join(problems)


def test_the_index_lists_every_shipped_file_and_each_snapshot_is_headed_by_its_url_and_date():
    index = tomllib.loads((sources_dir() / "index.toml").read_text(encoding="utf-8"))
    listed = {index["model"]["file"]} | {entry["file"] for entry in index["page"].values()}
    shipped = {p.name for p in sources_dir().iterdir() if p.is_file()} - {"index.toml"}
    assert shipped == listed, (
        f"files not in index.toml: {sorted(shipped - listed)}; listed but missing: {sorted(listed - shipped)}"
    )
    problems = []
    for name, doc in documents().items():
        if name == "model":
            continue
        found = snapshot(name)
        if found is None:
            problems.append(f"{doc.file}: no header ending with a line '---' ({HEADER_END!r})")
            continue
        fields, body = found
        if fields.get("URL") != doc.url or fields.get("Retrieved") != doc.retrieved:
            problems.append(
                f"{doc.file}: header URL/Retrieved {fields.get('URL')!r}/{fields.get('Retrieved')!r} differ from "
                "index.toml"
            )
        if len(body.strip()) < 200:
            problems.append(f"{doc.file}: the snapshot has almost no text")
    assert not problems, "\n".join(problems)


def test_the_pinned_model_is_the_one_schemas_was_generated_from():
    """model: quotes are checked against the pinned copy; it must be the model the committed schemas describe."""
    model = pinned_model()
    assert model["metadata"]["uid"] == "meteringmarketplace-2016-01-14"
    version = documents()["model"].version
    assert version and version.split()[-1] in documents()["model"].url
    lines = schemagen.check(schemas_dir(), model)
    assert not lines, (
        "schemas/sources/service-2.json differs from the model schemas/ was generated from:\n  " + "\n  ".join(lines)
    )


def test_no_code_names_a_path_outside_the_checkout():
    roots = ["meterconform", "suites", "strategies", "schemas", "scripts", "tests", "docs"]
    files = [
        p
        for root in roots
        if (CHECKOUT / root).is_dir()
        for p in (CHECKOUT / root).rglob("*")
        if p.is_file() and p.suffix in {".py", ".toml", ".json", ".md", ".txt", ".cfg", ".sh"}
    ]
    files += [CHECKOUT / name for name in ("pyproject.toml", "conftest.py", "README.md") if (CHECKOUT / name).is_file()]
    assert len(files) > 20
    hits = [
        str(p.relative_to(CHECKOUT)) for p in files if MACHINE_PATH in p.read_text(encoding="utf-8", errors="replace")
    ]
    assert not hits, f"files naming a machine path ({MACHINE_PATH}...): {hits}"


def test_the_report_and_the_clauses_command_link_each_quote_to_its_public_url(capsys):
    import html
    import json

    from meterconform.cli import main
    from meterconform.render.html import render_html
    from meterconform.results.run_results import RunResults

    page = html.unescape(render_html(RunResults.load(CHECKOUT / "tests" / "reports" / "data" / "all-verdicts.jsonl")))
    assert '<cite><a href="https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html"' in page
    assert "botocore 1.44.8 service model: MeterUsageRequest.ClientToken</a></cite>" in page
    assert "<cite>page:" not in page and "<cite>model:" not in page

    main(["clauses", "--json", "--operation", "ResolveCustomer"])  # exit 1 only flags suite problems, not the quotes
    doc = json.loads(capsys.readouterr().out)
    urls = {q["url"] for c in doc["clauses"] for q in c["quotes"]}
    assert urls and all(u.startswith("https://") for u in urls), urls
