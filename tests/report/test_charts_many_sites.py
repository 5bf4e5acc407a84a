"""The site chart of a large audit: dots by rank in a chart of fixed size, the sites named in
the table beside it instead of one labelled row each."""

from __future__ import annotations

import struct

from fidelity.report.charts import NAMED_SITES, site_dots

CUTOFFS = [("low", 2.0), ("high", 3.0)]


def _png_height(png: bytes) -> int:
    height: int = struct.unpack(">I", png[20:24])[0]  # the IHDR chunk: width, then height
    return height


def test_a_few_sites_are_named_one_row_each() -> None:
    chart = site_dots(["north", "south"], [2.5, 3.1], CUTOFFS, (1.0, 4.0))
    assert "north" in chart.alt and "north" in chart.svg


def test_many_sites_are_drawn_by_rank_at_a_fixed_height() -> None:
    n = NAMED_SITES * 10
    sites = [f"site-{k:04d}" for k in range(n)]
    chart = site_dots(sites, [1 + 3 * k / n for k in range(n)], CUTOFFS, (1.0, 4.0))
    assert "site-0123" not in chart.svg  # named in the table, not on the chart
    assert f"rank of {n} sites" in chart.svg
    assert f"Overall score of {n} sites, lowest site-0000 1.00" in chart.alt
    few = site_dots(sites[:NAMED_SITES], [2.0] * NAMED_SITES, CUTOFFS, (1.0, 4.0))
    assert _png_height(chart.png) < _png_height(few.png)
