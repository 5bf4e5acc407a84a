"""The HTML audit report: one self-contained page (nothing from the network), every section and
chart, every user-supplied text escaped; and, in a real browser (headless Chromium), a page
that renders, is not blank, and logs no console error."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import escape as escape_html
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import fidelity
from fidelity.cli import app
from fidelity.report import reliability_report
from fidelity.report.html_report import SECTIONS, audit_report_html

EXAMPLE = Path(__file__).parents[2] / "examples" / "enrich-audit.csv"
CHARTS = {"site-scores", "site-domains", "reliability-forest", "bland-altman", "item-spread"}


class _Page(HTMLParser):
    """Tags, ids, attributes and text of a page; fails on unbalanced sections."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.charts: list[str] = []
        self.urls: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.alts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if a.get("data-chart"):
            self.charts.append(str(a["data-chart"]))
            self.alts.append(str(a.get("alt") or ""))
        for key in ("src", "href"):
            if a.get(key):
                self.urls.append(str(a[key]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Page:
    p = _Page()
    p.feed(page)
    p.close()
    return p


def _hostile_sheets() -> list[dict[str, Any]]:
    """The example audit with a site named like markup and an assessment with a pipe."""
    import pandas as pd

    frame = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    frame.loc[frame["site"] == "site-01", "site"] = "<script>alert(1)</script>"
    frame.loc[frame["site"] == "site-02", "site"] = "a|b & <i>"
    return frame  # type: ignore[return-value]


@pytest.fixture(scope="module")
def page() -> str:
    inst = fidelity.load_instrument("enrich-peer-support")
    sheets = _hostile_sheets()
    result = fidelity.score(inst, sheets)
    report = reliability_report(inst, sheets, n_bootstrap=20)
    return audit_report_html(inst, result, report)


def test_the_page_is_self_contained_with_every_section_and_chart(page: str) -> None:
    p = _parse(page)
    assert [a for a, _ in SECTIONS] == [i for i in p.ids if i in dict(SECTIONS)]
    assert set(p.charts) >= CHARTS
    assert all(alt.strip() for alt in p.alts)  # every chart has alt text
    assert all(u.startswith(("data:image/png;base64,", "#")) for u in p.urls), p.urls
    assert not re.search(r"(?i)https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(", page)
    assert "script" not in p.tags and "link" not in p.tags and "iframe" not in p.tags
    assert "@media print" in page


def test_user_supplied_text_is_escaped(page: str) -> None:
    p = _parse(page)
    assert "script" not in p.tags and "i" not in p.tags
    text = "".join(p.text)
    assert "<script>alert(1)</script>" in text and "a|b & <i>" in text


def test_the_summary_gives_the_numbers_and_warns_about_wide_intervals(page: str) -> None:
    text = "".join(_parse(page).text)
    assert "24 sites, 72 interviews (assessments), 8 raters." in text
    assert "from 9 double-rated interviews" in text
    assert "too wide to support a conclusion" in text
    assert "When Krippendorff's alpha and AC2 disagree" in text
    assert "Item" in text or "item" in text


def test_the_cli_writes_html_by_default_and_refuses_unknown_rounds(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["report", str(EXAMPLE), "-o", str(tmp_path), "--bootstrap", "10"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_the_report_shows_rounds_with_their_changes(tmp_path: Path) -> None:
    from test_rounds import _two_rounds

    frame = _two_rounds({"site-01": 1})
    sheets = tmp_path / "rounds.csv"
    frame.to_csv(sheets, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["report", str(sheets), "-o", str(out), "--bootstrap", "10", "--rounds", "x"]
    )
    assert result.exit_code == 1 and "does not list" in result.output
    assert not out.exists()
    result = CliRunner().invoke(
        app,
        ["report", str(sheets), "-o", str(out), "--bootstrap", "10", "--rounds", "baseline,6m"],
    )
    assert result.exit_code == 0, result.output
    p = _parse((out / "report.html").read_text())
    assert "round-trajectories" in p.charts
    text = "".join(p.text)
    assert "baseline → 6m" in text and "beyond measurement error" in text


def _rounds_audit(tmp_path: Path) -> Path:
    from fidelity.simulate import simulate_rounds

    inst = fidelity.load_instrument("enrich-peer-support")
    sim = simulate_rounds(inst, change={"site-02": 1.0}, seed=11, n_sites=8, double_rated=0.5)
    return sim.write_csv(tmp_path / "rounds.csv")


def _sites_table(section: str) -> dict[str, str]:
    """Site → overall cell of the site-scores table of an HTML section."""
    rows = re.findall(r"<tr><td>(site-\d+)</td>(.*?)</tr>", section)
    return {site: re.findall(r"<td[^>]*>(.*?)</td>", cells)[-2] for site, cells in rows}


def test_with_rounds_site_scores_are_of_the_latest_round(tmp_path: Path) -> None:
    from fidelity.report.rounds import latest_round

    sheets = _rounds_audit(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["report", str(sheets), "-o", str(out), "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text()
    sites = page.split('<section id="sites">')[1].split("</section>")[0]
    assert "Scores of round 6m, the latest" in sites
    inst = fidelity.load_instrument("enrich-peer-support")
    label, latest = latest_round(fidelity.score(inst, sheets))
    assert label == "6m"
    expected = latest.site_scores().set_index("site")["overall"]
    shown = _sites_table(sites)
    assert shown and all(shown[s] == f"{expected[s]:.2f}" for s in shown)
    summary = page.split('<section id="summary">')[1].split("</section>")[0]
    n_latest, n_all = len(latest.by_assessment()), len(fidelity.score(inst, sheets).by_assessment())
    assert f"8 sites, {n_latest} interviews (assessments)" in summary
    assert f"in round 6m, the latest ({n_all} interviews in all rounds" in summary
    rounds = page.split('<section id="rounds">')[1].split("</section>")[0]
    assert "<th>baseline</th><th>6m</th>" in rounds  # overall per site and round
    assert "Change between consecutive rounds" in rounds


def test_the_markdown_report_has_the_rounds_and_charts_in_their_sections(tmp_path: Path) -> None:
    sheets = _rounds_audit(tmp_path)
    out = tmp_path / "md"
    result = CliRunner().invoke(
        app, ["report", str(sheets), "-o", str(out), "--bootstrap", "0", "--format", "md"]
    )
    assert result.exit_code == 0, result.output
    text = (out / "report.md").read_text()
    rounds = text.split("## Rounds")[1].split("\n## ")[0]
    assert "| site | baseline | 6m |" in rounds and "baseline → 6m" in rounds
    assert "](round-trajectories.svg)" in rounds
    assert "](item-spread.svg)" in text.split("## Item spread")[1]
    for name in ("round-trajectories", "item-spread", "site-scores"):
        assert (out / f"{name}.svg").read_text().lstrip().startswith("<?xml")
    assert "Scores of round 6m, the latest." in text
    for heading in ("## Summary", "## Data quality", "## Fidelity per site", "## Rounds"):
        assert heading in text
    assert text.count("*Sources: ") == 6  # every section but the instrument
    assert "*Scored at " in text.split("## Criteria behind the flags")[1]


def test_the_instrument_says_it_is_not_validated_up_front(page: str) -> None:
    caveat = page.split('<div class="caveat"')[1].split("</div>")[0]
    assert "It has not itself been validated" in caveat
    assert "unvalidated index" in caveat and "Instrument status: released." in caveat
    assert page.index('class="caveat"') < page.index('<section id="summary">')


def test_every_section_says_where_its_numbers_come_from(page: str) -> None:
    inst = fidelity.load_instrument("enrich-peer-support")
    for anchor, _title in SECTIONS:
        section = page.split(f'<section id="{anchor}">')[1].split("</section>")[0]
        line = section.split('<p class="prov">')[1].split("</p>")[0]
        assert inst.spec in line and inst.content_hash[:12] in line, anchor
    reliability = page.split('<section id="reliability">')[1]
    assert "double-rated assessments" in reliability and "seed 20240601" in reliability


def test_the_spread_heatmap_has_alt_text_naming_the_items(page: str) -> None:
    p = _parse(page)
    alt = p.alts[p.charts.index("item-spread")]
    assert alt.startswith("Share of answers at each level for 28 items")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_the_report_renders_in_headless_chromium(page: str, tmp_path: Path) -> None:
    from PIL import Image

    html_file = tmp_path / "report.html"
    html_file.write_text(page, encoding="utf-8")
    shot = tmp_path / "report.png"
    log = tmp_path / "console.log"
    assert CHROMIUM is not None
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", f"--screenshot={shot}", "--window-size=1200,2400",
         html_file.as_uri()],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    log.write_text(proc.stderr)
    assert shot.is_file(), proc.stderr[-2000:]
    image = Image.open(shot).convert("L")
    colours = image.getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50  # text and charts, not a blank page
    extrema = image.getextrema()
    assert isinstance(extrema, tuple) and extrema[0] < 60 < 200 < extrema[1]  # dark on light
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line]
    assert not [line for line in console if "error" in line.lower()], console
    assert json.dumps(console) is not None


def test_per_site_pages_name_weak_items_with_the_next_anchor(tmp_path: Path) -> None:
    sheets = tmp_path / "hostile.csv"
    _hostile_sheets().to_csv(sheets, index=False)  # type: ignore[attr-defined]
    result = CliRunner().invoke(
        app, ["report", str(sheets), "-o", str(tmp_path / "o"), "--bootstrap", "10", "--per-site"]
    )
    assert result.exit_code == 0, result.output
    pages = sorted((tmp_path / "o" / "sites").glob("*.html"))
    assert len(pages) == 24
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+\.html", p.name) for p in pages)
    hostile = next(p for p in pages if p.name.startswith("script"))
    parsed = _parse(hostile.read_text())
    assert "script" not in parsed.tags and "<script>alert(1)</script>" in "".join(parsed.text)
    assert parsed.charts == ["site-profile"] and parsed.alts[0]
    page = (tmp_path / "o" / "sites" / "site-03.html").read_text()
    inst = fidelity.load_instrument("enrich-peer-support")
    weakest = page.split("Weakest items")[1]
    anchors = {a for it in inst.items for a in it.anchors.values()}
    assert any(escape_html(a) in weakest for a in anchors)
    assert (
        (tmp_path / "o" / "sites" / "site-03.md")
        .read_text()
        .startswith("# Fidelity feedback: site-03")
    )
    assert (tmp_path / "o" / "sites" / "site-03.svg").read_text().lstrip().startswith("<?xml")
    assert "It has not itself been validated" in page and 'class="prov"' in page
    assert (
        "It has not itself been validated" in (tmp_path / "o" / "sites" / "site-03.md").read_text()
    )
    hostile_md = hostile.with_suffix(".md").read_text()
    assert hostile_md.startswith("# Fidelity feedback: &lt;script&gt;alert(1)&lt;/script&gt;")
    every_md = "".join(p.with_suffix(".md").read_text() for p in pages)
    assert (
        "<script>" not in every_md
        and "<i>" not in every_md
        and "a&#124;b &amp; &lt;i&gt;" in every_md
    )


def _screenshot(html_file: Path, shot: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", f"--screenshot={shot}", "--window-size=1000,1800",
         html_file.as_uri()],
        capture_output=True, text=True, timeout=120, cwd=html_file.parent,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_a_site_page_renders_in_headless_chromium(tmp_path: Path) -> None:
    from PIL import Image

    inst = fidelity.load_instrument("enrich-peer-support")
    from fidelity.ratings import check_sheets, read_sheets
    from fidelity.report.site_pages import site_pages

    batch = read_sheets(EXAMPLE)
    pages = site_pages(inst, fidelity.score(inst, batch), check_sheets(inst, batch))
    html_file = tmp_path / f"{pages[0].stem}.html"
    html_file.write_text(pages[0].html, encoding="utf-8")
    shot = tmp_path / "site.png"
    proc = _screenshot(html_file, shot)
    assert shot.is_file(), proc.stderr[-2000:]
    image = Image.open(shot).convert("L")
    lo, hi = image.getextrema()  # type: ignore[misc]
    assert lo < 60 and hi > 200
    assert len(image.getcolors(maxcolors=1 << 16) or range(51)) > 50
    errors = [x for x in proc.stderr.splitlines() if "CONSOLE" in x and "error" in x.lower()]
    assert not errors


def test_site_pages_of_a_rounds_audit_show_the_latest_round_and_the_change(
    tmp_path: Path,
) -> None:
    from fidelity.report.rounds import latest_round

    sheets = _rounds_audit(tmp_path)
    out = tmp_path / "o"
    result = CliRunner().invoke(
        app, ["report", str(sheets), "-o", str(out), "--bootstrap", "0", "--per-site"]
    )
    assert result.exit_code == 0, result.output
    page = (out / "sites" / "site-02.html").read_text()
    assert "Scores of round 6m, the latest." in page
    assert "Change since the previous round" in page and "baseline → 6m" in page
    inst = fidelity.load_instrument("enrich-peer-support")
    _label, latest = latest_round(fidelity.score(inst, sheets))
    row = latest.site_scores().set_index("site").loc["site-02"]
    domains = page.split("Strongest domains")[1].split("</table>")[0]
    shown = re.findall(r"<tr><td>([a-z-]+)</td><td>([\d.]+)</td></tr>", domains)
    assert shown and all(f"{row[d]:.2f}" == v for d, v in shown)
    md = (out / "sites" / "site-02.md").read_text()
    assert "Scores of round 6m, the latest." in md and "*Sources: " in md
