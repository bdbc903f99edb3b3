"""`meterconform compare`: clauses × runs, the differences, exit 1 on a regression against the first run."""

from __future__ import annotations

from meterconform.render.compare import compare_runs, render_comparison

from .conftest import DATA, cli
from .test_html import Tags


def test_a_clause_passing_in_the_first_run_and_failing_in_another_is_a_regression(faithful, all_verdicts, moto_run):
    faithful.name, all_verdicts.name, moto_run.name = "embedded", "faulty", "moto"
    comparison = compare_runs([faithful, all_verdicts, moto_run])
    assert ("BMU.DIMENSION.UNKNOWN", "faulty", "FAIL") in comparison.regressions
    assert ("BMU.DIMENSION.UNKNOWN", "moto", "FAIL") in comparison.regressions
    assert ("BMU.CUSTOMER.SUBSCRIBED", "moto", "FAIL") in comparison.regressions
    assert not any(name == "moto" and v == "UNIMPLEMENTED" for _, name, v in comparison.regressions)  # not a FAIL/ERROR
    differing = {row.id: verdicts for row, verdicts in comparison.differences}
    assert differing["RU.REGISTER.SUCCESS"] == ["PASS", "UNIMPLEMENTED", "UNIMPLEMENTED"]
    assert differing["TAG.COUNT.MAX"] == [
        "NOT CHECKED",
        "FAIL",
        "NOT CHECKED",
    ]  # not a regression: nothing passed first
    assert differing["MU.WINDOW.RECENT"] == ["PASS", "PASS", "UNIMPLEMENTED"]
    assert "OUT.BMU.SCHEMA" not in differing  # PASS everywhere
    assert not compare_runs([all_verdicts, faithful]).regressed  # an improvement is not a regression


def test_the_page_is_one_matrix_of_clauses_by_run(faithful, moto_run):
    faithful.name, moto_run.name = "embedded", "<b>moto</b>"
    text = render_comparison(compare_runs([faithful, moto_run]))
    tags = Tags(text)
    assert "&lt;b&gt;moto&lt;/b&gt;" in text and not tags.named("b")
    assert text.count("<th>&lt;b&gt;moto&lt;/b&gt;</th>") >= 2  # a column in the differences and in the full matrix
    assert "REGRESSION" in text and 'class="tag stale">regression' in text
    assert len(tags.named("script")) == 1 and not tags.named("link")


def test_the_command_exits_1_on_a_regression_and_0_otherwise(tmp_path):
    out = tmp_path / "cmp.html"
    bad = cli(
        "compare",
        f"embedded={DATA / 'faithful.jsonl'}",
        f"faulty={DATA / 'all-verdicts.jsonl'}",
        "-o",
        str(out),
        cwd=tmp_path,
    )
    assert bad.returncode == 1, bad.stderr
    assert "regressions against embedded" in bad.stdout and "BMU.DIMENSION.UNKNOWN in faulty (FAIL)" in bad.stdout
    assert out.exists() and "faulty" in out.read_text()
    good = cli("compare", str(DATA / "all-verdicts.jsonl"), str(DATA / "faithful.jsonl"), "-o", str(out), cwd=tmp_path)
    assert good.returncode == 0 and "no regression against all-verdicts" in good.stdout
    usage = cli("compare", str(DATA / "faithful.jsonl"), cwd=tmp_path)
    assert usage.returncode == 2
