"""The report's charts: alt text that says what they show, PNG and SVG drawn on demand, and
charts that stay readable for many sites."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from fidelity.report.charts import (
    NAMED_SITES,
    OKABE_ITO,
    site_dots,
    spread_heatmap,
    trajectories,
)


def test_the_spread_heatmap_names_the_most_concentrated_items_and_blanks_foreign_levels() -> None:
    chart = spread_heatmap(
        ["a", "b", "c"], [0, 1, 2, 3], [{1: 0.2, 2: 0.8}, {0: 0.5, 1: 0.5}, {1: 1.0, 2: 0.0}]
    )
    assert chart.alt.startswith("Share of answers at each level for 3 items")
    assert "c 100% at level 1, a 80% at level 2, b 50% at level 0" in chart.alt
    assert chart.svg.lstrip().startswith("<?xml") and chart.png.startswith(b"\x89PNG")
    cells = re.findall(r"<!-- (\d+) -->", chart.svg)[4:]  # after the level tick labels
    assert cells == ["20", "80", "50", "50", "100", "0"]  # a level off an item's scale: blank


def test_with_many_sites_trajectories_colour_only_the_changed_ones() -> None:
    series = {f"site-{k:03d}": [2.0 + k / 100, 2.5] for k in range(30)}
    changed = [f"site-{k:03d}" for k in (3, 7, 11)]
    chart = trajectories(["baseline", "6m"], series, [("High", 3.0)], changed)
    assert "3 site(s) changed beyond measurement error, in colour site-003, site-007, " in (
        chart.alt
    )
    many = [f"site-{k:03d}" for k in range(20)]
    capped = trajectories(["baseline", "6m"], series, [], many)
    assert f"(the first {len(OKABE_ITO)})" in capped.alt
    few = trajectories(["baseline", "6m"], dict(list(series.items())[:4]), [])
    assert few.alt == "Overall score of 4 sites across the rounds baseline, 6m."


def test_the_site_chart_has_a_fixed_height_for_hundreds_of_sites() -> None:
    sites = [f"site-{k:03d}" for k in range(500)]
    chart = site_dots(sites, [1 + 3 * k / 500 for k in range(500)], [("High", 3.0)], (1, 4))
    height = Image.open(io.BytesIO(chart.png)).size[1]
    assert height <= 5 * 110
    assert "site-499" not in chart.svg  # too many to name on the axis; the table names them
    named = site_dots(sites[:NAMED_SITES], [2.0] * NAMED_SITES, [], (1, 4))
    assert "site-059" in named.svg
    assert "lowest site-000 1.00, highest site-499 3.99" in chart.alt


def test_site_intervals_are_rating_error_over_the_site_s_interviews() -> None:
    import math

    import fidelity
    from fidelity.report import reliability_report
    from fidelity.report.rounds import measurement_error, site_errors

    inst = fidelity.load_instrument("enrich-peer-support")
    example = "examples/enrich-audit.csv"
    result = fidelity.score(inst, example)
    error = measurement_error(result, reliability_report(inst, example, n_bootstrap=0))
    half = site_errors(result, error)
    sem = error.set_index("score")["sem"]
    per = result.by_assessment()
    site = per[per["site"] == "site-05"]
    for d in [x.id for x in inst.domains]:
        n = int(site[d].notna().sum())
        assert half.loc["site-05", d] == pytest.approx(1.959964 * sem[d] / math.sqrt(n), rel=1e-6)
    domains = [x.id for x in inst.domains]
    pooled = math.sqrt(sum(sem[d] ** 2 / site[d].notna().sum() for d in domains)) / len(domains)
    assert half.loc["site-05", "overall"] == pytest.approx(1.959964 * pooled, rel=1e-6)
    chart = site_dots(list(half.index), [2.5] * len(half), [], (1, 4), list(half["overall"]))
    assert chart.alt.endswith("bars show each score's 95% interval of rating error.")


def test_a_chart_draws_each_format_once_and_then_lets_its_figure_go() -> None:
    chart = trajectories(["a", "b"], {"x": [1.0, 2.0]}, [])
    png = chart.png
    assert chart.png is png and chart._figure is not None
    assert chart.svg.lstrip().startswith("<?xml") and chart._figure is None
    assert chart.png is png  # still there without the figure
