"""The ``plan`` command: how many interviews to double-rate (see :mod:`fidelity.planning`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fidelity.cli._common import fail, load_or_fail, print_json, write_outputs
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
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", file_okay=False, help="Write plan.csv (simulation) here."),
    ] = None,
) -> None:
    """Plan a reliability study: subjects needed for an ICC interval of a given width
    (Bonett 2002), with assurance (Zou 2012), for a test of rho0 against rho (Walter,
    Eliasziw & Donner 1998); with --instrument, a simulation of the audit for each number of
    sites and share of double-rated interviews."""
    from fidelity import planning as pl

    try:
        closed = _closed_forms(
            rho, raters, width, rho0, assurance, confidence, kappa, prevalence, kappa0
        )
    except ValueError as exc:
        fail(f"error: {exc}", EXIT_USAGE)
    table = None
    if instrument is not None:
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
        print_json({"closed_form": closed, "simulation": sim})
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
