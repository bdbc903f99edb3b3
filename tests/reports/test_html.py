"""conformance.html from a fixed events file: the whole catalog, filters, self-contained, hostile text escaped."""

from __future__ import annotations

import datetime as dt
import html
from html.parser import HTMLParser

import pytest

from meterconform.contract.catalog import load_catalog
from meterconform.contract.sources import source_url
from meterconform.render.html import render_html
from meterconform.render.matrix import CLAUSE_LABELS, area_of
from meterconform.results.baseline import Baseline, Expectation
from meterconform.results.check_result import CheckResult

from .conftest import HOSTILE, event


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def named(self, tag: str) -> list[dict]:
        return [attrs for t, attrs in self.tags if t == tag]


@pytest.fixture
def page(all_verdicts) -> str:
    return render_html(all_verdicts)


def test_every_catalog_clause_is_on_the_page_with_its_verdict(page, all_verdicts):
    clauses = {a["id"][2:]: a["data-verdict"] for a in Tags(page).named("details") if a.get("id", "").startswith("c-")}
    catalog = load_catalog()
    assert set(catalog.ids) <= set(clauses)
    assert clauses["BMU.DIMENSION.UNKNOWN"] == "FAIL"
    assert clauses["PROTO.ERROR.HEADER"] == "NON-STRICT"
    assert clauses["PROTO.UNKNOWN_MEMBER.HANDLING"] == "INFO"
    assert clauses["PROTO.TARGET.DISPATCH"] == "ERROR"
    assert clauses["RC.TOKEN.INVALID"] == "SKIPPED"
    assert clauses["RU.REGISTER.SUCCESS"] == "UNIMPLEMENTED"
    assert clauses["MU.WINDOW.RECENT"] == "PASS"
    for clause in catalog:
        if clause.untestable:
            assert clauses[clause.id] == "UNTESTABLE" and html.escape(clause.untestable, quote=True) in page
    assert "NOT CHECKED" in clauses.values()


def test_clauses_are_grouped_by_operation(page):
    tags = Tags(page).tags
    current, seen = None, {}
    for tag, attrs in tags:
        if tag == "section" and "data-area" in attrs:
            current = attrs["data-area"]
        if tag == "details" and attrs.get("id", "").startswith("c-"):
            seen[attrs["id"][2:]] = current
            assert attrs["data-area"] == current
    assert seen["BMU.DIMENSION.UNKNOWN"] == "BatchMeterUsage" == area_of("OUT.BMU.SCHEMA")
    assert seen["PROTO.ERROR.HEADER"] == "Protocol"
    assert seen["TAG.COUNT.MAX"] == "Tags & allocations"


def test_filters_are_present_for_each_verdict_and_operation(page):
    tags = Tags(page)
    chips = {a["data-filter-verdict"] for a in tags.named("button") if "data-filter-verdict" in a}
    assert set(CLAUSE_LABELS) <= chips  # the fixture has every run verdict; the catalog adds the other two
    selects = {a["id"] for a in tags.named("select")}
    assert {"f-area", "f-level"} <= selects
    options = {a.get("value") for a in tags.named("option")}
    assert {"Protocol", "MeterUsage", "BatchMeterUsage", "RegisterUsage", "ResolveCustomer"} <= options
    assert any(a.get("id") == "f-q" for a in tags.named("input"))
    assert "position:sticky" in page and "addEventListener('click'" in page


def test_the_page_is_self_contained(page):
    tags = Tags(page)
    doc_urls = {c.doc_url for c in load_catalog()} | {
        source_url(q.source) for c in load_catalog() for q in c.quotes
    }  # + quote sources
    for tag, attrs in tags.tags:
        for name in ("src", "href", "srcset", "action", "data", "poster"):
            value = attrs.get(name)
            if value is None:
                continue
            assert value.startswith("#") or value in doc_urls, f"<{tag} {name}={value!r}> leaves the page"
    assert not tags.named("link") and not tags.named("img") and not tags.named("iframe")
    assert [a for a in tags.named("script")] == [{}]  # one inline script, no src
    assert "@import" not in page and "url(http" not in page and "@font-face" not in page
    assert "<svg" in page and "default-src 'none'" in page


def test_hostile_response_text_is_escaped(page):
    assert HOSTILE not in page
    assert "<script>alert(" not in page and "onerror=alert(1)>" not in page
    assert html.escape("<script>alert('meterconform')</script>", quote=True) in page
    assert not Tags(page).named("img")


def test_hostile_node_ids_clause_ids_and_bodies_are_escaped_in_attributes_too(all_verdicts):
    bad = event(all_verdicts, "test_a_hostile_dimension_name_is_rejected")
    bad["nodeid"] = 'suites/x.py::test_y["><img src=x onerror=alert(2)>]'
    bad["clauses"] = ['X"><script>alert(3)</script>']
    bad["failed_clause"] = bad["clauses"][0]
    bad["evidence"][0]["body"] = "\ud800 lone surrogate " + "[" * 5000  # un-encodable and nested too deep to re-indent
    all_verdicts.checks.append(CheckResult.from_json(bad))
    text = render_html(all_verdicts)
    text.encode("utf-8")  # no lone surrogate reaches the file
    tags = Tags(text)
    assert not tags.named("img") and len(tags.named("script")) == 1
    assert any(a.get("id") == 'c-X"><script>alert(3)</script>' for a in tags.named("details"))


def test_the_banner_counts_and_meta(page, faithful, all_verdicts):
    assert "NOT CONFORMANT" in page
    for label in ("FAIL", "ERROR", "NON-STRICT", "PASS", "INFO", "UNIMPLEMENTED", "SKIPPED"):
        assert f'b-{label.lower()}"' in page
    meta = all_verdicts.meta
    for value in (meta["endpoint"], meta["hypothesis_seed"], meta["versions"]["botocore"], "six-tags-accepted"):
        assert html.escape(str(value)) in page
    good = render_html(faithful)
    assert "NOT CONFORMANT" not in good and ">CONFORMANT<" in good
    assert "8 checks</span>" in good and "1 check</span>" in page and "checkss" not in page


def test_evidence_reproduction_observations_and_profile_keys_are_shown(page):
    assert "Evidence:" in page and "Reproduce" in page
    assert "aws meteringmarketplace batch-meter-usage" in page
    assert "an unknown member is answered with HTTP 200" in page  # the INFO observation
    assert "<code>registration_tokens.invalid</code>" in page  # SKIPPED names the profile key
    assert "UNIMPLEMENTED: the endpoint does not implement RegisterUsage" in page
    assert "KeyError: &#x27;NoSuchMember&#x27;" in page  # the ERROR's reason


def test_a_baseline_marks_expected_failures_and_never_links_a_script(all_verdicts):
    baseline = Baseline(
        [
            Expectation("known: wrong error name", clause="BMU.DIMENSION.UNKNOWN", link="javascript:alert(4)"),
            Expectation("fixed long ago", clause="MU.WINDOW.RECENT", expires=dt.date(2020, 1, 1)),
        ],
        path="b.toml",
    )
    text = (all_verdicts.apply(baseline), render_html(all_verdicts))[1]
    assert "expected by baseline" in text and "known: wrong error name" in text
    assert "javascript:" not in text
    assert "expired on 2020-01-01" in text and "CI gate with baseline" in text


def test_a_huge_reproduction_is_cut_on_the_page_and_points_at_the_events(all_verdicts):
    """A check that sent a 1 MB request has a 3 MB reproduction: the page shows its start, events.jsonl keeps it."""
    from meterconform.render.evidence import REPRODUCTION_LIMIT
    from meterconform.results.run_results import RunResults

    failing = next(e.to_json() for e in all_verdicts.checks if e.verdict == "FAIL" and e.reproduction)
    huge = {
        **failing,
        "reproduction": "aws meteringmarketplace batch-meter-usage " + "x" * (3 * REPRODUCTION_LIMIT) + "TAIL-MARK",
    }
    html_text = render_html(RunResults(meta=all_verdicts.meta, checks=[huge]))
    assert "TAIL-MARK" not in html_text
    assert (
        f"({len(huge['reproduction']) - REPRODUCTION_LIMIT:,} more characters: the whole, runnable reproduction is in "
        "events.jsonl" in html_text
    )
