"""Readable views of an instrument: a terminal tree (rich) and Markdown (for the docs site).

Both are built section by section: heading, principles, (scales), one section per domain with
its items, the items asked of each informant, and the overall score with its bands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.tree import Tree

    from fidelity.instrument import Domain, Instrument, Item

__all__ = ["instrument_markdown", "render_instrument"]


def _tags(inst: Instrument, item: Item) -> list[str]:
    return [inst.principle(p).name for p in item.principles]


def _score_note(item: Item) -> str:
    notes = []
    if item.reverse:
        notes.append("reverse-scored")
    if item.weight != 1.0:
        notes.append(f"weight {item.weight:g}")
    if item.allow_na:
        notes.append("NA allowed")
    return ", ".join(notes)


def _item_meta(inst: Instrument, item: Item, informants: dict[str, str], also: str) -> list[str]:
    """Who is asked the item, the other principles it evidences (after ``also``), and how it
    is scored."""
    who = ", ".join(informants.get(i, i) for i in item.informants)
    meta = [f"informants: {who}"]
    if tags := _tags(inst, item):
        meta.append(also + ", ".join(tags))
    if note := _score_note(item):
        meta.append(note)
    return meta


def _coverage_cells(inst: Instrument) -> list[tuple[str, int, list[str]]]:
    """Per domain: id, min_answered, and the items asked of each informant (✗ when too few)."""
    rows = []
    for dom_id, counts in inst.informant_coverage().items():
        need = inst.domain(dom_id).min_answered
        rows.append((dom_id, need, [f"{n}" if n >= need else f"{n} ✗" for n in counts.values()]))
    return rows


def _band_intervals(inst: Instrument) -> list[tuple[str, str]]:
    """(interval, band) in ascending order; the top band's interval is closed."""
    bands = sorted(inst.scoring.bands, key=lambda b: b.lower)
    return [
        (f"[{b.lower:g}, {b.upper:g}{']' if i == len(bands) - 1 else ')'}", b.id)
        for i, b in enumerate(bands)
    ]


# --------------------------------------------------------------------------- terminal


def _principles_tree(inst: Instrument) -> Tree:
    from rich.markup import escape
    from rich.tree import Tree

    principles = Tree("[bold]Principles[/bold]")
    for p in inst.principles:
        label = f"[bold]{escape(p.name)}[/bold] [dim]({p.id})[/dim]"
        if p.cross_cutting:
            label += " [italic]cross-cutting[/italic]"
        principles.add(label)
    return principles


def _domain_tree(inst: Instrument, dom: Domain, informants: dict[str, str], brief: bool) -> Tree:
    """A domain with its items, and (unless ``brief``) each item's anchors and guidance."""
    from rich.markup import escape
    from rich.tree import Tree

    names = ", ".join(inst.principle(p).name for p in dom.principles)
    tree = Tree(
        f"[bold]{escape(dom.name)}[/bold] [dim]({dom.id}; principle: {escape(names)}; "
        f"scored when ≥ {dom.min_answered} items answered)[/dim]"
    )
    for item in inst.items_in(dom.id):
        extra = _item_meta(inst, item, informants, "also: ")
        head = f"[bold cyan]{item.id}[/bold cyan] {escape(item.text)}"
        node = tree.add(f"{head}\n[dim]{escape('; '.join(extra))}[/dim]")
        if brief:
            continue
        for level in inst.scale(item.scale).levels:
            node.add(
                f"[bold]{level.value}[/bold] {escape(level.label)}: "
                f"{escape(item.anchors[level.value])}"
            )
        if item.guidance:
            node.add(f"[italic]Guidance:[/italic] {escape(item.guidance)}")
    return tree


def _coverage_table(inst: Instrument) -> Table:
    from rich.table import Table

    table = Table(
        title="Items asked of each informant",
        caption="a domain can be scored from one interview when its count reaches min_answered "
        "(✗: it cannot)",
        title_justify="left",
        caption_justify="left",
    )
    table.add_column("domain")
    table.add_column("min_answered", justify="right")
    for inf in inst.informants:
        table.add_column(inf.name, justify="right")
    for dom_id, need, cells in _coverage_cells(inst):
        table.add_row(dom_id, str(need), *cells)
    return table


def render_instrument(inst: Instrument, console: Console, *, brief: bool = False) -> None:
    """Print principles, then each domain with its items (and, unless ``brief``, anchors)."""
    from rich.markup import escape

    informants = {i.id: i.name for i in inst.informants}
    console.print(f"[bold]{escape(inst.title)}[/bold]  {inst.spec}  ({inst.status})")
    console.print(f"content hash {inst.content_hash}", style="dim")
    lo, hi = inst.score_range()
    console.print()
    console.print(_principles_tree(inst))
    console.print()
    for dom in inst.domains:
        console.print(_domain_tree(inst, dom, informants, brief))
        console.print()
    console.print(_coverage_table(inst))
    console.print()
    console.print(
        f"[bold]Overall score[/bold]: {inst.scoring.overall.replace('_', ' ')}, range {lo:g}–{hi:g}"
    )
    labels = {b.id: b.label for b in inst.scoring.bands}
    for interval, band in _band_intervals(inst):
        console.print(f"  {interval}  {escape(labels[band])}", markup=True)


# --------------------------------------------------------------------------- Markdown


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _md_heading(inst: Instrument) -> list[str]:
    out = [
        f"# {inst.title} ({inst.version})",
        "",
        f"`{inst.spec}` · status **{inst.status}** · content hash `{inst.content_hash[:16]}…`",
        "",
        inst.description.strip(),
        "",
    ]
    if inst.citations:
        out += ["## Sources", ""]
        for c in inst.citations:
            doi = f" [doi:{c.doi}](https://doi.org/{c.doi})" if c.doi else ""
            out.append(f"- {c.text.strip()}{doi}")
        out.append("")
    return out


def _md_principles_and_scales(inst: Instrument) -> list[str]:
    out = ["## Principles", "", "| Principle | id | Description |", "|---|---|---|"]
    for p in inst.principles:
        cc = " *(cross-cutting)*" if p.cross_cutting else ""
        out.append(f"| {p.name}{cc} | `{p.id}` | {_cell(p.description)} |")
    out += ["", "## Scales", ""]
    for s in inst.scales:
        out += [
            f"### {s.name} (`{s.id}`)",
            "",
            "| Value | Label | Generic anchor |",
            "|---|---|---|",
        ]
        out += [f"| {lv.value} | {lv.label} | {_cell(lv.anchor)} |" for lv in s.levels]
        out += [f"| `{c.code}` | {c.label} | {_cell(c.description)} |" for c in s.codes]
        out.append("")
    return out


def _md_domain(inst: Instrument, dom: Domain, informants: dict[str, str]) -> list[str]:
    names = ", ".join(inst.principle(p).name for p in dom.principles)
    out = [
        f"## {dom.name}",
        "",
        f"Domain `{dom.id}` · principle: {names} · "
        f"scored when at least {dom.min_answered} items are answered.",
        "",
    ]
    if dom.description:
        out += [dom.description.strip(), ""]
    for item in inst.items_in(dom.id):
        meta = _item_meta(inst, item, informants, "also evidences: ")
        out += [f"### `{item.id}` {item.text.strip()}", "", f"*{'; '.join(meta)}*", ""]
        out += ["| Level | Anchor |", "|---|---|"]
        out += [
            f"| {lv.value} {lv.label} | {_cell(item.anchors[lv.value])} |"
            for lv in inst.scale(item.scale).levels
        ]
        out.append("")
        if item.guidance:
            out += [f"**Guidance.** {item.guidance.strip()}", ""]
    return out


def _md_coverage(inst: Instrument) -> list[str]:
    out = [
        "## Items asked of each informant",
        "",
        "A domain can be scored from one informant's interview only when the number of its "
        "items asked of that informant reaches the domain's `min_answered` (✗: it cannot).",
        "",
        "| Domain | min_answered | " + " | ".join(i.name for i in inst.informants) + " |",
        "|---|---|" + "---|" * len(inst.informants),
    ]
    out += [
        f"| `{d}` | {need} | " + " | ".join(cells) + " |"
        for d, need, cells in _coverage_cells(inst)
    ]
    return [*out, ""]


def _md_bands(inst: Instrument) -> list[str]:
    lo, hi = inst.score_range()
    out = [
        "## Overall score and bands",
        "",
        f"Overall score: {inst.scoring.overall.replace('_', ' ')}, range {lo:g}–{hi:g}.",
        "",
    ]
    if inst.scoring.rationale:
        out += [inst.scoring.rationale.strip(), ""]
    out += ["| Band | Interval | Rationale |", "|---|---|---|"]
    bands = {b.id: b for b in inst.scoring.bands}
    for interval, band in _band_intervals(inst):
        out.append(f"| {bands[band].label} | {interval} | {_cell(bands[band].rationale)} |")
    return [*out, ""]


def instrument_markdown(inst: Instrument) -> str:
    """The instrument as a Markdown page: principles, domains, items with anchors, bands."""
    informants = {i.id: i.name for i in inst.informants}
    out = [*_md_heading(inst), *_md_principles_and_scales(inst)]
    for dom in inst.domains:
        out += _md_domain(inst, dom, informants)
    return "\n".join([*out, *_md_coverage(inst), *_md_bands(inst)])
