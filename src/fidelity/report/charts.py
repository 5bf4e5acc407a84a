"""Charts of the audit report, drawn with matplotlib (imported on first use, with the
non-interactive Agg backend) in one style and the Okabe–Ito colour-blind-safe palette
(Okabe & Ito 2008, *Color Universal Design*).

Each chart function returns a :class:`Chart`: the image as PNG bytes and as SVG text, with the
alt text that says what the chart shows in words.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "NAMED_SITES",
    "OKABE_ITO",
    "Chart",
    "bland_altman",
    "domain_dots",
    "forest",
    "site_dots",
    "site_profile",
    "spread_heatmap",
    "trajectories",
]

OKABE_ITO = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
"""The Okabe–Ito palette, distinguishable with every common colour-vision deficiency."""

NAMED_SITES = 60
"""The site charts name each site up to this many sites; beyond, they draw the sites by rank
in a chart of fixed height (a row per site would be a page per hundred sites, and slow to
draw), and the table beside them names the sites."""


class Chart:
    """One chart: its name (file stem), alt text, and the image as PNG and SVG, each drawn on
    first use (an HTML report needs only the PNG, a Markdown report only the SVG); once both
    are drawn the figure is let go."""

    def __init__(self, name: str, alt: str, figure: Figure) -> None:
        self.name = name
        self.alt = alt
        self._figure: Figure | None = figure
        self._drawn: dict[str, bytes | str] = {}

    def _draw(self, fmt: str) -> bytes | str:
        if fmt not in self._drawn:
            assert self._figure is not None
            buf: io.BytesIO | io.StringIO
            if fmt == "png":
                buf = io.BytesIO()
                self._figure.savefig(buf, format="png", dpi=110, metadata={"Software": None})
            else:
                buf = io.StringIO()
                self._figure.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
            self._drawn[fmt] = buf.getvalue()
            if len(self._drawn) == 2:
                self._figure = None
        return self._drawn[fmt]

    @property
    def png(self) -> bytes:
        """The chart as PNG bytes."""
        out = self._draw("png")
        assert isinstance(out, bytes)
        return out

    @property
    def svg(self) -> str:
        """The chart as SVG text."""
        out = self._draw("svg")
        assert isinstance(out, str)
        return out


def _figure(width: float, height: float) -> Figure:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig


def _finish(fig: Figure, name: str, alt: str) -> Chart:
    return Chart(name, alt, fig)


def _style(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def _rank(sites: Sequence[str], overall: Sequence[float]) -> list[int]:
    """Indices of the sites with an overall score, lowest score first."""
    have = [k for k, v in enumerate(overall) if not math.isnan(v)]
    return sorted(have, key=lambda k: overall[k])


def _site_axis(ax: Any, names: Sequence[str]) -> None:
    if len(names) <= NAMED_SITES:
        ax.set_yticks(range(len(names)), list(names), fontsize=8)
    else:  # too many to name: the sites by rank (the table names them)
        ax.set_ylabel(f"rank of {len(names)} sites")
        ax.set_yticks([])


def _cut_lines(ax: Any, cutoffs: Sequence[tuple[str, float]], labels: bool = True) -> None:
    for k, (label, x) in enumerate(cutoffs):
        ax.axvline(x, color=OKABE_ITO[1 + k % 6], linestyle="--", linewidth=1)
        if labels:
            ax.annotate(label, (x, 1.0), xycoords=("data", "axes fraction"), fontsize=7)


def _height(n: int) -> float:
    return max(2.0, 0.28 * n + 1.0) if n <= NAMED_SITES else 5.0


def site_dots(
    sites: Sequence[str],
    overall: Sequence[float],
    cutoffs: Sequence[tuple[str, float]],
    scale: tuple[float, float],
    halfwidth: Sequence[float] | None = None,
) -> Chart:
    """Overall score of every site (a dot per site, sorted), with the band cut-offs drawn and,
    given ``halfwidth``, each score's interval of rating error; the sites are named on the
    axis up to :data:`NAMED_SITES` of them."""
    order = _rank(sites, overall)
    fig = _figure(7.5, _height(len(order)))
    ax = fig.add_subplot()
    xs = [overall[k] for k in order]
    if halfwidth is not None:
        err = [0.0 if math.isnan(halfwidth[k]) else halfwidth[k] for k in order]
        ax.errorbar(xs, range(len(order)), xerr=err, fmt="none", ecolor=OKABE_ITO[5], lw=1.2)
    ax.scatter(xs, range(len(order)), color=OKABE_ITO[0], zorder=3, s=12)
    _site_axis(ax, [sites[k] for k in order])
    _cut_lines(ax, cutoffs)
    ax.set_xlim(*scale)
    ax.set_xlabel("overall fidelity score" + (" (bars: 95% rating error)" if halfwidth else ""))
    _style(ax)
    lo = f"{sites[order[0]]} {overall[order[0]]:.2f}" if order else "none"
    hi = f"{sites[order[-1]]} {overall[order[-1]]:.2f}" if order else "none"
    alt = (
        f"Overall score of {len(order)} sites, lowest {lo}, highest {hi}; dashed lines mark "
        "the band cut-offs " + ", ".join(f"{lab} at {x:g}" for lab, x in cutoffs)
    )
    if halfwidth is not None:
        alt += "; bars show each score's 95% interval of rating error"
    return _finish(fig, "site-scores", alt + ".")


def domain_dots(
    sites: Sequence[str],
    overall: Sequence[float],
    domains: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    cutoffs: Sequence[tuple[str, float]],
    scale: tuple[float, float],
) -> Chart:
    """Every site's domain scores, one panel per domain (``{domain: (scores, half-widths)}``),
    the sites in the order of their overall score, with intervals of rating error and the band
    cut-offs."""
    order = _rank(sites, overall)
    n = max(len(domains), 1)
    fig = _figure(2.0 + 1.7 * n, _height(len(order)))
    axes = fig.subplots(1, n, sharey=True, squeeze=False)[0]
    for ax, (name, (values, half)) in zip(axes, domains.items(), strict=False):
        xs = [values[k] for k in order]
        err = [0.0 if math.isnan(half[k]) else half[k] for k in order]
        ax.errorbar(xs, range(len(order)), xerr=err, fmt="none", ecolor=OKABE_ITO[5], lw=1)
        ax.scatter(xs, range(len(order)), color=OKABE_ITO[0], zorder=3, s=10)
        _cut_lines(ax, cutoffs, labels=False)
        ax.set_xlim(*scale)
        ax.set_title(name, fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        ax.locator_params(axis="x", nbins=4)
        _style(ax)
    _site_axis(axes[0], [sites[k] for k in order])
    fig.supxlabel("domain score (bars: 95% rating error; dashed: band cut-offs)", fontsize=8)
    alt = f"Domain scores of {len(order)} sites, one panel per domain: " + "; ".join(
        f"{name} from {min(v for v in vals if not math.isnan(v)):.2f} to "
        f"{max(v for v in vals if not math.isnan(v)):.2f}"
        for name, (vals, _) in domains.items()
        if any(not math.isnan(v) for v in vals)
    )
    return _finish(fig, "site-domains", alt + ".")


def forest(labels: Sequence[str], estimates: Sequence[tuple[float, float, float]]) -> Chart:
    """Each ICC with its interval (value, low, high), one row per score."""
    fig = _figure(7.5, 0.45 * len(labels) + 1.2)
    ax = fig.add_subplot()
    ys = list(range(len(labels)))[::-1]
    for y, (v, lo, hi) in zip(ys, estimates, strict=True):
        if math.isnan(v):
            continue
        ax.plot([lo, hi], [y, y], color=OKABE_ITO[0], linewidth=2)
        ax.plot([v], [y], "s", color=OKABE_ITO[3], zorder=3)
    ax.axvline(0.75, color=OKABE_ITO[2], linestyle="--", linewidth=1)
    ax.set_yticks(ys, list(labels), fontsize=8)
    ax.set_xlim(-1, 1)
    ax.set_xlabel("ICC with its confidence interval (dashed: 0.75, good reliability)")
    _style(ax)
    alt = "ICC per score with its interval: " + "; ".join(
        f"{lab} {v:.2f} [{lo:.2f}, {hi:.2f}]"
        for lab, (v, lo, hi) in zip(labels, estimates, strict=True)
        if not math.isnan(v)
    )
    return _finish(fig, "reliability-forest", alt + ".")


def bland_altman(first: Sequence[float], second: Sequence[float]) -> Chart:
    """Difference against mean of two raters' overall scores, with the mean difference and
    the 95% limits of agreement (Bland & Altman 1986, doi:10.1016/S0140-6736(86)90837-8)."""
    pairs = [
        (a, b) for a, b in zip(first, second, strict=True) if not (math.isnan(a) or math.isnan(b))
    ]
    means = [(a + b) / 2 for a, b in pairs]
    diffs = [a - b for a, b in pairs]
    fig = _figure(7.5, 3.6)
    ax = fig.add_subplot()
    ax.scatter(means, diffs, color=OKABE_ITO[0], zorder=3)
    alt = f"Bland-Altman plot of {len(pairs)} double-rated overall scores"
    if len(diffs) > 1:
        bias = sum(diffs) / len(diffs)
        sd = math.sqrt(sum((d - bias) ** 2 for d in diffs) / (len(diffs) - 1))
        for y, style in ((bias, "-"), (bias - 1.96 * sd, "--"), (bias + 1.96 * sd, "--")):
            ax.axhline(y, color=OKABE_ITO[3], linestyle=style, linewidth=1)
        alt += (
            f": mean difference {bias:.2f}, limits of agreement {bias - 1.96 * sd:.2f} to "
            f"{bias + 1.96 * sd:.2f}"
        )
    ax.set_xlabel("mean of the two raters' overall scores")
    ax.set_ylabel("difference (first − second)")
    _style(ax)
    return _finish(fig, "bland-altman", alt + ".")


def trajectories(
    rounds: Sequence[str],
    series: Mapping[str, Sequence[float]],
    cutoffs: Sequence[tuple[str, float]],
    highlight: Sequence[str] = (),
) -> Chart:
    """The overall score of every site across the rounds, against the band cut-offs. Up to 8
    sites each get a colour and a legend entry; with more, the sites in ``highlight`` (say,
    those whose change is beyond measurement error) do, up to 8 of them, and the others are
    drawn as thin grey lines."""
    fig = _figure(7.5, 4.0)
    ax = fig.add_subplot()
    xs = list(range(len(rounds)))
    many = len(series) > len(OKABE_ITO)
    shown = [s for s in sorted(series) if s in set(highlight)][: len(OKABE_ITO)] if many else []
    colours = {site: OKABE_ITO[k] for k, site in enumerate(shown if many else sorted(series))}
    for site, values in sorted(series.items()):
        if site in colours:
            ax.plot(xs, values, marker="o", color=colours[site], linewidth=1.4, label=site,
                    zorder=3)  # fmt: skip
        else:
            ax.plot(xs, values, color="#9a9a9a", linewidth=0.6, alpha=0.6, zorder=2)
    for label, x in cutoffs:
        ax.axhline(x, color="#888888", linestyle="--", linewidth=0.8)
        ax.annotate(label, (0, x), fontsize=7, va="bottom")
    ax.set_xticks(xs, list(rounds))
    ax.set_ylabel("overall fidelity score")
    if colours:
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    _style(ax)
    alt = f"Overall score of {len(series)} sites across the rounds {', '.join(rounds)}"
    if many:
        beyond = len(set(highlight) & set(series))
        alt += (
            f"; {beyond} site(s) changed beyond measurement error"
            + (f", in colour {', '.join(shown)}" if shown else "")
            + (f" (the first {len(shown)})" if beyond > len(shown) else "")
            + "; the others in grey"
        )
    return _finish(fig, "round-trajectories", alt + ".")


def site_profile(
    site: str,
    domains: Sequence[str],
    mine: Sequence[float],
    others: Sequence[float],
    cutoffs: Sequence[tuple[str, float]],
) -> Chart:
    """One site's domain scores against the median of the other sites and the cut-offs."""
    fig = _figure(7.5, 0.5 * len(domains) + 1.4)
    ax = fig.add_subplot()
    ys = list(range(len(domains)))[::-1]
    ax.scatter(others, ys, marker="|", s=300, color=OKABE_ITO[7], label="median of other sites")
    ax.scatter(mine, ys, color=OKABE_ITO[0], zorder=3, s=60, label=site)
    for label, x in cutoffs:
        ax.axvline(x, color=OKABE_ITO[1], linestyle="--", linewidth=1)
        ax.annotate(label, (x, 1.0), xycoords=("data", "axes fraction"), fontsize=7)
    ax.set_yticks(ys, list(domains), fontsize=8)
    ax.set_xlabel("domain score")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _style(ax)
    alt = f"Domain scores of {site} (dots) against the median of the other sites (bars): " + (
        "; ".join(
            f"{d} {m:.2f} vs {o:.2f}"
            for d, m, o in zip(domains, mine, others, strict=True)
            if not (math.isnan(m) or math.isnan(o))
        )
    )
    return _finish(fig, "site-profile", alt + ".")


def spread_heatmap(
    items: Sequence[str], levels: Sequence[int], shares: Sequence[Mapping[int, float]]
) -> Chart:
    """Share of the answers of every item (rows) at each level (columns), in the cividis
    colour map (made to read the same with colour-vision deficiencies: Nuñez et al. 2018,
    doi:10.1371/journal.pone.0199239), the share printed in each cell; a level outside an
    item's scale is left blank."""
    import numpy as np

    grid = np.array([[row.get(v, math.nan) for v in levels] for row in shares], dtype=float)
    fig = _figure(7.5, 0.26 * len(items) + 1.3)
    ax = fig.add_subplot()
    image = ax.imshow(grid, cmap="cividis", vmin=0, vmax=1, aspect="auto")
    for (r, c), v in np.ndenumerate(grid):
        if not math.isnan(v):
            colour = "black" if v > 0.45 else "white"  # cividis is light above ~0.45
            ax.text(c, r, f"{100 * v:.0f}", ha="center", va="center", fontsize=6, color=colour)
    ax.set_xticks(range(len(levels)), [str(v) for v in levels])
    ax.set_yticks(range(len(items)), list(items), fontsize=6)
    ax.set_xlabel("level (cells: % of the item's answers)")
    fig.colorbar(image, ax=ax, label="share of answers", shrink=0.6)
    peaks = sorted(
        ((float(np.nanmax(row)), item, levels[int(np.nanargmax(row))])
         for item, row in zip(items, grid, strict=True) if not np.isnan(row).all()),
        reverse=True,
    )  # fmt: skip
    alt = f"Share of answers at each level for {len(items)} items"
    if peaks:
        alt += "; the most concentrated: " + ", ".join(
            f"{item} {100 * v:.0f}% at level {lv}" for v, item, lv in peaks[:3]
        )
    return _finish(fig, "item-spread", alt + ".")
