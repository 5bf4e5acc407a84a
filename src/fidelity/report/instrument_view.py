"""Readable views of an instrument: a terminal tree (rich) and Markdown (for the docs site)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from fidelity.instrument import Instrument, Item


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


def render_instrument(inst: Instrument, console: Console, *, brief: bool = False) -> None:
    """Print principles, then each domain with its items (and, unless ``brief``, anchors)."""
    from rich.markup import escape
    from rich.tree import Tree

    informants = {i.id: i.name for i in inst.informants}
    console.print(f"[bold]{escape(inst.title)}[/bold]  {inst.spec}  ({inst.status})")
    console.print(f"content hash {inst.content_hash}", style="dim")
    lo, hi = inst.score_range()
    console.print()

    principles = Tree("[bold]Principles[/bold]")
    for p in inst.principles:
        label = f"[bold]{escape(p.name)}[/bold] [dim]({p.id})[/dim]"
        if p.cross_cutting:
            label += " [italic]cross-cutting[/italic]"
        principles.add(label)
    console.print(principles)
    console.print()

    for dom in inst.domains:
        names = ", ".join(inst.principle(p).name for p in dom.principles)
        tree = Tree(
            f"[bold]{escape(dom.name)}[/bold] [dim]({dom.id}; principle: {escape(names)}; "
            f"scored when ≥ {dom.min_answered} items answered)[/dim]"
        )
        for item in inst.items_in(dom.id):
            who = ", ".join(informants.get(i, i) for i in item.informants)
            extra = [f"informants: {who}"]
            if tags := _tags(inst, item):
                extra.append("also: " + ", ".join(tags))
            if note := _score_note(item):
                extra.append(note)
            head = f"[bold cyan]{item.id}[/bold cyan] {escape(item.text)}"
            node = tree.add(f"{head}\n[dim]{escape('; '.join(extra))}[/dim]")
            if brief:
                continue
            scale = inst.scale(item.scale)
            for level in scale.levels:
                node.add(
                    f"[bold]{level.value}[/bold] {escape(level.label)}: "
                    f"{escape(item.anchors[level.value])}"
                )
            if item.guidance:
                node.add(f"[italic]Guidance:[/italic] {escape(item.guidance)}")
        console.print(tree)
        console.print()

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
    for dom_id, counts in inst.informant_coverage().items():
        need = inst.domain(dom_id).min_answered
        table.add_row(
            dom_id,
            str(need),
            *(f"{n}" if n >= need else f"{n} ✗" for n in counts.values()),
        )
    console.print(table)
    console.print()
    console.print(
        f"[bold]Overall score[/bold]: {inst.scoring.overall.replace('_', ' ')}, range {lo:g}–{hi:g}"
    )
    bands = sorted(inst.scoring.bands, key=lambda b: b.lower)
    for i, band in enumerate(bands):
        close = "]" if i == len(bands) - 1 else ")"
        console.print(
            f"  [{band.lower:g}, {band.upper:g}{close}  {escape(band.label)}", markup=True
        )


def instrument_markdown(inst: Instrument) -> str:
    """The instrument as a Markdown page: principles, domains, items with anchors, bands."""
    informants = {i.id: i.name for i in inst.informants}
    out: list[str] = [
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
    out += ["## Principles", "", "| Principle | id | Description |", "|---|---|---|"]
    for p in inst.principles:
        cc = " *(cross-cutting)*" if p.cross_cutting else ""
        out.append(f"| {p.name}{cc} | `{p.id}` | {_cell(p.description)} |")
    out.append("")
    out += ["## Scales", ""]
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
    for dom in inst.domains:
        names = ", ".join(inst.principle(p).name for p in dom.principles)
        out += [
            f"## {dom.name}",
            "",
            f"Domain `{dom.id}` · principle: {names} · "
            f"scored when at least {dom.min_answered} items are answered.",
            "",
        ]
        if dom.description:
            out += [dom.description.strip(), ""]
        for item in inst.items_in(dom.id):
            who = ", ".join(informants.get(i, i) for i in item.informants)
            meta = [f"informants: {who}"]
            if tags := _tags(inst, item):
                meta.append("also evidences: " + ", ".join(tags))
            if note := _score_note(item):
                meta.append(note)
            out += [f"### `{item.id}` {item.text.strip()}", "", f"*{'; '.join(meta)}*", ""]
            out += ["| Level | Anchor |", "|---|---|"]
            scale = inst.scale(item.scale)
            out += [
                f"| {lv.value} {lv.label} | {_cell(item.anchors[lv.value])} |"
                for lv in scale.levels
            ]
            out.append("")
            if item.guidance:
                out += [f"**Guidance.** {item.guidance.strip()}", ""]
    out += [
        "## Items asked of each informant",
        "",
        "A domain can be scored from one informant's interview only when the number of its "
        "items asked of that informant reaches the domain's `min_answered` (✗: it cannot).",
        "",
        "| Domain | min_answered | " + " | ".join(i.name for i in inst.informants) + " |",
        "|---|---|" + "---|" * len(inst.informants),
    ]
    for dom_id, counts in inst.informant_coverage().items():
        need = inst.domain(dom_id).min_answered
        cells = [f"{n}" if n >= need else f"{n} ✗" for n in counts.values()]
        out.append(f"| `{dom_id}` | {need} | " + " | ".join(cells) + " |")
    out.append("")
    lo, hi = inst.score_range()
    out += [
        "## Overall score and bands",
        "",
        f"Overall score: {inst.scoring.overall.replace('_', ' ')}, range {lo:g}–{hi:g}.",
        "",
    ]
    if inst.scoring.rationale:
        out += [inst.scoring.rationale.strip(), ""]
    out += ["| Band | Interval | Rationale |", "|---|---|---|"]
    bands = sorted(inst.scoring.bands, key=lambda b: b.lower)
    for i, b in enumerate(bands):
        close = "]" if i == len(bands) - 1 else ")"
        out.append(f"| {b.label} | [{b.lower:g}, {b.upper:g}{close} | {_cell(b.rationale)} |")
    out.append("")
    return "\n".join(out)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
