"""The ``plan`` command: how many interviews to double-rate (see :mod:`fidelity.planning`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fidelity.cli._common import (
    KeepOpt,
    SheetInput,
    fail,
    load_or_fail,
    note_undeclared,
    print_json,
    resolve_instrument,
    write_outputs,
)
from fidelity.cli._exits import EXIT_USAGE

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer()


@app.command("plan")
def plan_cmd(
    rho: Annotated[float, typer.Option(help="Expected ICC (closed forms).")] = 0.8,
    raters: Annotated[int, typer.Option("-k", "--raters", min=2, help="Raters per interview.")] = 2,
    width: Annotated[
        float, typer.Option(help="Full width of the confidence interval (closed forms).")
    ] = 0.3,
    rho0: Annotated[
        float | None, typer.Option(help="Null ICC for a test of rho0 against --rho.")
    ] = None,
    assurance: Annotated[float, typer.Option(help="Assurance of the interval width.")] = 0.8,
    kappa: Annotated[
        float | None,
        typer.Option(help="Expected kappa (two raters, two categories): sizes for kappa too."),
    ] = None,
    prevalence: Annotated[
        float, typer.Option(help="Share of the positive category (with --kappa).")
    ] = 0.5,
    kappa0: Annotated[
        float | None, typer.Option(help="Null kappa for a test of kappa0 against --kappa.")
    ] = None,
    confidence: Annotated[float, typer.Option(min=0.5, max=0.999)] = 0.95,
    instrument: Annotated[
        str | None,
        typer.Option(
            "--instrument",
            "-i",
            metavar="SPEC",
            help="Also simulate this instrument's audit for every --sites and --double option.",
        ),
    ] = None,
    sites: Annotated[
        list[int] | None, typer.Option("--sites", min=2, help="Numbers of sites (repeat).")
    ] = None,
    double: Annotated[
        list[float] | None,
        typer.Option("--double", min=0.01, max=1.0, help="Shares double-rated (repeat)."),
    ] = None,
    rater_sd: Annotated[
        float, typer.Option(help="Simulated rater noise in levels (sets the reliability).")
    ] = 0.5,
    reps: Annotated[int, typer.Option(min=2, help="Simulated audits per option.")] = 200,
    score: Annotated[
        str, typer.Option(help="Score summarised (a domain id or overall; all are in plan.csv).")
    ] = "overall",
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 20240601,
    processes: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    audit: Annotated[
        list[Path] | None,
        typer.Option(
            "--audit",
            exists=True,
            dir_okay=False,
            help="Sheets of an earlier audit (repeat): Φ of a site score by interviews per "
            "informant type, from their G-study.",
        ),
    ] = None,
    components: Annotated[
        str | None,
        typer.Option(
            help="Variance components for the same D-study, e.g. "
            "'site=0.08,interview=0.1,residual=0.05' (also site:informant, site:round, rater, "
            "informant, round); with --informant-types.",
        ),
    ] = None,
    informant_types: Annotated[
        int | None, typer.Option(min=1, help="Informant types per site (with --components).")
    ] = None,
    interviews: Annotated[
        list[int] | None,
        typer.Option(min=1, help="Interviews per informant type in the D-study (repeat)."),
    ] = None,
    raters_per_interview: Annotated[
        list[int] | None, typer.Option(min=1, help="Raters per interview in the D-study (repeat).")
    ] = None,
    phi: Annotated[
        float, typer.Option(min=0.01, max=0.99, help="Target Φ of a site score (D-study).")
    ] = 0.8,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", file_okay=False, help="Write plan.csv (simulation) here."),
    ] = None,
    keep: KeepOpt = None,
) -> None:
    """Plan a reliability study: subjects needed for an ICC interval of a given width
    (Bonett 2002), with assurance (Zou 2012), for a test of rho0 against rho (Walter,
    Eliasziw & Donner 1998); with --instrument, a simulation of the audit for each number of
    sites and share of double-rated interviews; with --audit or --components, how many
    interviews per informant type give a site score the dependability --phi (a D-study,
    Brennan 2001)."""
    from fidelity import planning as pl

    try:
        closed = _closed_forms(
            rho, raters, width, rho0, assurance, confidence, kappa, prevalence, kappa0
        )
    except ValueError as exc:
        fail(f"error: {exc}", EXIT_USAGE)
    d_study = None
    if audit or components is not None:
        d_study = _d_study(
            audit or [], components, informant_types, instrument, interviews, raters_per_interview,
            phi, SheetInput(keep=keep),
        )  # fmt: skip
    table = None
    if instrument is not None and not audit:
        inst = load_or_fail(instrument)
        if score != "overall" and score not in {d.id for d in inst.domains}:
            fail(
                f"error: --score must be overall or a domain of {inst.spec}: "
                + ", ".join(d.id for d in inst.domains),
                EXIT_USAGE,
            )
        table = pl.simulate_plan(
            inst,
            sites or [12, 24, 36],
            double or [0.25, 1 / 3, 0.5],
            target=width / 2,
            n_reps=reps,
            seed=seed,
            processes=processes,
            rater_sd=rater_sd,
        )
        if out is not None:
            write_outputs({out / "plan.csv": table.to_csv(index=False, lineterminator="\n")})
    if as_json:
        sim = None if table is None else table.to_dict(orient="records")
        print_json({"closed_form": closed, "simulation": sim, "d_study": d_study})
        return
    alpha = f"one-sided alpha {1 - confidence:.3g}"
    typer.echo(f"ICC {rho:g}, {raters} raters, {confidence:.0%} interval {width:g} wide:")
    typer.echo(f"  {closed['bonett_2002_n']} subjects for that expected width (Bonett 2002)")
    typer.echo(
        f"  {closed['zou_2012_n']} subjects for that width with {assurance:.0%} assurance "
        "(Zou 2012)"
    )
    if rho0 is not None:
        typer.echo(
            f"  {closed['walter_1998_n']} subjects to tell ICC {rho:g} from {rho0:g} with 80% "
            f"power at {alpha} (Walter, Eliasziw & Donner 1998)"
        )
    if kappa is not None:
        typer.echo(f"Kappa {kappa:g}, two raters, two categories, prevalence {prevalence:g}:")
        typer.echo(
            f"  {closed['kappa_width_n']} subjects for a {confidence:.0%} interval {width:g} "
            "wide (Bloch & Kraemer 1989)"
        )
        if kappa0 is not None:
            typer.echo(
                f"  {closed['kappa_test_n']} subjects to tell kappa {kappa:g} from {kappa0:g} "
                f"with 80% power at {alpha} (Cantor 1996)"
            )
            typer.echo(
                f"  {closed['kappa_gof_n']} subjects for the same with the goodness-of-fit test "
                f"at two-sided alpha {1 - confidence:.3g} (Donner & Eliasziw 1992)"
            )
    if table is not None:
        _print_simulation(table, reps, rater_sd, seed, score)
    if d_study is not None:
        _print_d_study(d_study, phi)


def _closed_forms(
    rho: float,
    raters: int,
    width: float,
    rho0: float | None,
    assurance: float,
    confidence: float,
    kappa: float | None,
    prevalence: float,
    kappa0: float | None,
) -> dict[str, int]:
    """Every closed-form size the options ask for (ValueError for values out of range)."""
    from fidelity import planning as pl

    closed = {
        "bonett_2002_n": pl.icc_n_precision(rho, raters, width, confidence),
        "zou_2012_n": pl.icc_n_assurance(rho, raters, width, confidence, assurance),
    }
    if rho0 is not None:
        closed["walter_1998_n"] = pl.icc_n_test(rho0, rho, raters, 1 - confidence)
    if kappa is not None:
        closed["kappa_width_n"] = pl.kappa_n_precision(kappa, prevalence, width, confidence)
        if kappa0 is not None:
            closed["kappa_test_n"] = pl.kappa_n_test(kappa0, kappa, prevalence, 1 - confidence)
            closed["kappa_gof_n"] = pl.kappa_n_gof(kappa0, kappa, prevalence, 1 - confidence)
    return closed


def _print_simulation(
    table: pd.DataFrame, reps: int, rater_sd: float, seed: int, score: str
) -> None:
    from fidelity import planning as pl

    rel = float(table["item_reliability"].mean())
    typer.echo(
        f"\nSimulated audits ({reps} per option, rater_sd {rater_sd:g}: single-rater item "
        f"reliability {rel:.2f}; seed {seed}):"
    )
    for line in pl.plan_summary(table, score):
        typer.echo(f"  {line}")


def _parse_components(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            fail(f"error: --components: {part.strip()!r} is not TERM=VARIANCE", EXIT_USAGE)
    return out


def _d_study(
    files: list[Path],
    components: str | None,
    informant_types: int | None,
    instrument: str | None,
    interviews: list[int] | None,
    raters: list[int] | None,
    phi: float,
    how: SheetInput,
) -> dict[str, Any]:
    """The D-study of a site score from an audit's sheets or from given components."""
    from fidelity import planning as pl

    if files and components is not None:
        fail("error: --audit and --components are alternatives; give one", EXIT_USAGE)
    if files:
        from fidelity.ratings import SheetBatch, read_sheets

        batch = SheetBatch()
        for f in files:
            batch = batch + read_sheets(f)
        inst = resolve_instrument(batch, instrument)
        g = pl.audit_g_study(inst, batch)
        note_undeclared(inst, batch, how)  # --keep-columns: accepted, a D-study has no sheets
        source = ", ".join(str(f) for f in files)
    else:
        if informant_types is None:
            fail("error: --components needs --informant-types", EXIT_USAGE)
        try:
            g = pl.given_components(_parse_components(str(components)), informant_types)
        except ValueError as exc:
            fail(f"error: --components: {exc}", EXIT_USAGE)
        source = "the given variance components"
    raters = raters or [1]
    table = pl.site_d_study_table(g, interviews or [1, 2, 3, 4, 6, 8], raters)
    needed = {r: pl.interviews_needed(g, phi, raters=r, lower=True) for r in raters}
    return {
        "source": source,
        "g_study": g.to_dict(),
        "table": table.to_dict(orient="records"),
        "interviews_needed": {str(r): n for r, n in needed.items()},
    }


def _print_d_study(d: dict[str, Any], phi: float) -> None:
    g = d["g_study"]
    typer.echo(f"\nSite score D-study (from {d['source']}):")
    if g["n_sites"]:
        typer.echo(
            f"  G-study of {g['n_sites']} sites, {g['n_informants']} informant types, "
            f"{g['n_interviews']} interviews, {g['n_raters']} raters"
        )
    for row in d["table"]:
        value, low = row["phi"], row["phi_low"]
        if not math.isnan(value):
            shown = f"{value:.2f}"
        elif not math.isnan(low):
            shown = f"{low:.2f} to {row['phi_high']:.2f}"
        else:
            shown = "undefined"
        typer.echo(
            f"  {row['n_interviews']} interview(s) per informant type, {row['n_raters']} "
            f"rater(s) each: Φ = {shown}"
        )
    reason = next((r["reason"] for r in d["table"] if r["reason"]), None)
    if reason:
        typer.echo(f"  ({reason})")
    bound = " (judged by the lower end of the range)" if reason else ""
    for r, n in d["interviews_needed"].items():
        reach = f"{n} interview(s) per informant type" if n else "not reached"
        typer.echo(f"  Φ {phi:g} with {r} rater(s) per interview: {reach}{bound}")
