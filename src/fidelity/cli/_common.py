"""What every command module shares: output helpers, shared options and the progress bar.

Heavy imports (rich, the library) stay inside the functions so that ``fidelity --help`` stays
fast; errors are left to the exit-code table in :mod:`fidelity.cli._exits`.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from fidelity.cli._exits import EXIT_INVALID, EXIT_USAGE, echo_err, exit_for, plain, write_lines

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from fidelity._util.atomic import Content
    from fidelity.instrument import Instrument
    from fidelity.ratings import Problem, SheetBatch

__all__ = [
    "LARGE_INPUT_BYTES",
    "OUTPUT_MANIFEST",
    "Files",
    "InstrumentOpt",
    "KeepOpt",
    "Progress",
    "SheetInput",
    "SheetSource",
    "Strict",
    "console",
    "fail",
    "input_progress",
    "keep_columns",
    "load_or_fail",
    "note_undeclared",
    "plain",
    "print_json",
    "read_batch",
    "reads_sheets",
    "resolve_instrument",
    "summary_line",
    "text",
    "write_lines",
    "write_outputs",
]

LARGE_INPUT_BYTES = 5 * 1024 * 1024
"""Inputs larger than this (in total) get a progress bar."""

Files = Annotated[
    list[Path],
    typer.Argument(
        help="Rating-sheet files (.csv wide or long, .json, .jsonl, .xlsx).",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]
InstrumentOpt = Annotated[
    str | None,
    typer.Option(
        "--instrument",
        "-i",
        metavar="SPEC",
        help="Instrument ID, ID@VERSION or YAML path; default: the one the sheets name.",
    ),
]


class SheetSource(StrEnum):
    """Where sheets come from: fidelity's own files, a REDCap raw export, FHIR responses."""

    file = "file"
    redcap = "redcap"
    fhir = "fhir"


_FORMATS = ", ".join(s.value for s in SheetSource)


def _source_option(hint: str) -> Any:
    """The ``--from`` option: a format of :class:`SheetSource`; anything else is a usage error
    (exit 2) that lists the formats, followed by ``hint``."""

    def to_source(value: str) -> SheetSource:
        try:
            return SheetSource(value)
        except ValueError:
            raise typer.BadParameter(
                f"{value!r} is not an input format; use one of {_FORMATS}{hint}"
            ) from None

    return Annotated[
        str,
        typer.Option(
            "--from",
            metavar="file|redcap|fhir",
            callback=to_source,
            help="Input format: file (.csv/.json/.jsonl/.xlsx), redcap (raw export, CSV or flat "
            "JSON) or fhir (Bundle or NDJSON of QuestionnaireResponses).",
        ),
    ]


DictionaryOpt = Annotated[
    Path | None,
    typer.Option(
        "--dictionary",
        exists=True,
        dir_okay=False,
        help="With --from redcap: the project's data dictionary, checked against the instrument.",
    ),
]
IncompleteOpt = Annotated[
    bool,
    typer.Option(
        "--include-incomplete",
        help="With --from redcap: also read forms not marked Complete.",
    ),
]
KeepOpt = Annotated[
    str | None,
    typer.Option(
        "--keep-columns",
        metavar="COLUMNS",
        help="Extra columns to carry unchanged to every per-sheet output, comma-separated "
        "(e.g. notes,arm,interviewer); other extra columns are named in one warning.",
    ),
]


@dataclass(frozen=True)
class SheetInput:
    """How a command reads its sheets: ``--from``, ``--dictionary``, ``--include-incomplete``,
    ``--keep-columns`` (see :func:`reads_sheets`)."""

    source: SheetSource = SheetSource.file
    dictionary: Path | None = None
    include_incomplete: bool = False
    keep: str | None = None

    @property
    def kept(self) -> list[str]:
        """The declared metadata columns (:func:`keep_columns`; a sheet field exits 2)."""
        return keep_columns(self.keep)


def reads_sheets(hint: str = "") -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the sheet-input options ``--from``, ``--dictionary``,
    ``--include-incomplete`` and ``--keep-columns``, defined once here; the command takes
    them as one parameter, ``sheets_from: SheetInput``, and passes it to :func:`read_batch`.
    ``hint`` ends the message of an unknown ``--from`` value."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        sig = inspect.signature(command, eval_str=True)
        own = [p for name, p in sig.parameters.items() if name != "sheets_from"]
        keyword = inspect.Parameter.KEYWORD_ONLY
        added = [
            inspect.Parameter("source", keyword, default="file", annotation=_source_option(hint)),
            inspect.Parameter("dictionary", keyword, default=None, annotation=DictionaryOpt),
            inspect.Parameter(
                "include_incomplete", keyword, default=False, annotation=IncompleteOpt
            ),
            inspect.Parameter("keep", keyword, default=None, annotation=KeepOpt),
        ]

        @functools.wraps(command)
        def run(
            *args: Any,
            source: SheetSource,
            dictionary: Path | None,
            include_incomplete: bool,
            keep: str | None,
            **kwargs: Any,
        ) -> None:
            how = SheetInput(source, dictionary, include_incomplete, keep)
            command(*args, sheets_from=how, **kwargs)

        params = [*own, *added]
        run.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params}
        return run

    return decorate


Strict = Annotated[
    bool, typer.Option("--strict", help="Treat warnings (unanswered required items) as errors.")
]


def console(stderr: bool = False) -> Console:
    """A rich console (imported lazily to keep ``fidelity --help`` fast)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def text(value: object, style: str = "") -> Text:
    """A user string (an id, a site, a value) as a rich renderable: shown as typed, its markup
    not interpreted (a site named ``[/]`` is the text ``[/]``), control characters escaped."""
    from rich.text import Text

    return Text(plain(str(value)), style=style)


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    """Print ``message`` to stderr (as plain text) and exit with ``code``."""
    echo_err(message)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    """Machine-readable output on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


OUTPUT_MANIFEST = "fidelity-outputs.json"
"""The manifest written last into an output directory: every file of the run's set with its
size and SHA-256 (see :mod:`fidelity._util.atomic`)."""


def write_outputs(files: Mapping[Path, Content], *, manifest: bool = False) -> None:
    """Write every output file or none of them, as one set (with :data:`OUTPUT_MANIFEST` when
    ``manifest``; a content may be a callable giving it, see
    :data:`fidelity._util.atomic.Content`); a failure leaves the previous outputs untouched
    and exits 2 with the reason."""
    from fidelity._util.atomic import OutputError, write_all

    try:
        write_all(files, manifest=OUTPUT_MANIFEST if manifest else None)
    except OutputError as exc:
        raise exit_for(exc) from None


def keep_columns(value: str | None) -> list[str]:
    """The ``--keep-columns`` names; a sheet field among them is a usage error (exit 2)."""
    from fidelity.ratings.checks.extras import declared

    try:
        return sorted(declared(value))
    except ValueError as exc:
        fail(f"error: --keep-columns: {exc}", EXIT_USAGE)


def note_undeclared(inst: Instrument, batch: SheetBatch, how: SheetInput) -> None:
    """Print the one FR207 warning per input (extra columns neither declared nor items) on
    stderr, for a command whose outputs are not per sheet: declared columns are accepted
    there and ignored."""
    from fidelity.ratings import validate

    for p in validate(inst, batch, keep=how.kept):
        if p.code == "FR207":
            echo_err(str(p))


def load_or_fail(spec: str) -> Instrument:
    """Load an instrument; a bad spec or file ends the run with exit code 1 (see the table in
    :mod:`fidelity.cli._exits`)."""
    from fidelity.instrument.catalog import load_instrument

    return load_instrument(spec)


def resolve_instrument(batch: SheetBatch, spec: str | None) -> Instrument:
    """The instrument to check against: ``--instrument`` or the one the sheets name."""
    if spec is not None:
        return load_or_fail(spec)
    named = batch.instruments()
    if len(named) == 1:
        return load_or_fail(named[0])
    newest = _newest_loadable(named)
    if newest is not None:
        counts = _sheets_per_pin(batch)
        shown = ", ".join(f"{spec} ({counts.get(spec, 0)} sheet(s))" for spec in named[:5])
        echo_err(
            f"note: the sheets name {len(named)} versions of one instrument: {shown}; "
            f"checked against the newest, {newest[0]}; the problems say which rows are on which "
            "version (pass --instrument to choose another)"
        )
        return newest[1]
    if len(named) > 1:
        fail(
            f"error: the sheets name {len(named)} instruments ({', '.join(named[:5])}); "
            "check them separately or pass --instrument"
        )
    if batch.problems:
        write_lines([str(p) for p in batch.problems])
        fail(
            f"{len(batch.problems)} problem(s) reading the input; no instrument could be determined"
        )
    fail("error: the sheets do not name their instrument; pass --instrument ID@VERSION", EXIT_USAGE)


def _sheets_per_pin(batch: SheetBatch) -> dict[str, int]:
    """How many sheets name each ``instrument`` value."""
    from collections import Counter

    counts: Counter[str] = Counter()
    for seg in batch.segments:
        col = seg.fields.get("instrument")
        if col is not None:
            counts.update(v for v in col.tolist() if isinstance(v, str) and v)
    return dict(counts)


def _newest_loadable(named: list[str]) -> tuple[str, Instrument] | None:
    """The newest of several ``ID@VERSION`` pins of one instrument that can be loaded, and
    the instrument; ``None`` when they are not all pinned versions of one instrument or none
    loads."""
    from fidelity.errors import CatalogError
    from fidelity.instrument import SEMVER_PATTERN
    from fidelity.instrument.catalog import load_instrument
    from fidelity.versions.semver import parse_version

    parts = [spec.partition("@") for spec in named]
    if len(named) < 2 or len({p[0] for p in parts}) != 1:
        return None
    if not all(re.match(SEMVER_PATTERN, p[2]) for p in parts):
        return None
    for spec in sorted(named, key=lambda s: parse_version(s.partition("@")[2]), reverse=True):
        try:
            return spec, load_instrument(spec)
        except CatalogError as exc:
            if not str(exc).startswith("no "):
                raise  # a version defined twice: never passed over
            continue  # a version this installation does not have: try the next
    return None


def summary_line(problems: Sequence[Problem], n_sheets: int, n_files: int, spec: str) -> str:
    """``N sheet(s) in M file(s) checked against SPEC: E error(s), W warning(s)``."""
    errors = (
        len(problems.errors)  # counted without building aggregated problems
        if hasattr(problems, "errors")
        else sum(1 for p in problems if p.severity == "error")
    )
    warnings = len(problems) - errors
    return (
        f"{n_sheets} sheet(s) in {n_files} file(s) checked against {spec}: "
        f"{errors} error(s), {warnings} warning(s)"
    )


def read_batch(
    files: list[Path],
    progress: Progress,
    how: SheetInput | None = None,
    *,
    instrument: str | None = None,
) -> SheetBatch:
    """Read every file into one batch, one progress step per file, in the format ``how``
    says (:func:`fidelity.ratings.read_sheets`; ``instrument`` maps a REDCap export)."""
    from fidelity.ratings import SheetBatch, read_sheets

    how = how or SheetInput()
    if how.source is not SheetSource.redcap and (how.dictionary or how.include_incomplete):
        fail("error: --dictionary and --include-incomplete go with --from redcap", EXIT_USAGE)
    batch = SheetBatch()
    for f in files:
        progress.step(f"reading {f.name}")
        if how.source is SheetSource.redcap:
            batch = batch + read_sheets(
                f,
                format="redcap",
                instrument=instrument,
                dictionary=how.dictionary,
                include_incomplete=how.include_incomplete,
            )
        else:
            fhir = how.source is SheetSource.fhir
            batch = batch + read_sheets(f, format="fhir" if fhir else None)
    return batch


def input_progress(files: list[Path], steps: int) -> Progress:
    """A progress bar of ``steps`` steps, shown when the input files are large."""
    total = sum(f.stat().st_size for f in files)
    return Progress(enabled=total >= LARGE_INPUT_BYTES, steps=steps)


def _may_be_terminal() -> bool:
    """False when rich would certainly not take stderr for a terminal: it is not a TTY and no
    variable says otherwise (``TTY_COMPATIBLE=1``, ``FORCE_COLOR``). A pipeline's run then
    skips making a console (and importing it) only to learn that."""
    if os.environ.get("TTY_COMPATIBLE") == "1" or os.environ.get("FORCE_COLOR"):
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False


class Progress:
    """A rich progress bar on stderr for large inputs; a no-op otherwise."""

    def __init__(self, *, enabled: bool, steps: int) -> None:
        self.enabled = enabled
        self.steps = steps
        self._progress: Any = None
        self._task: Any = None
        self._started = False

    def __enter__(self) -> Progress:
        screen = console(stderr=True) if self.enabled and _may_be_terminal() else None
        if screen is not None and screen.is_terminal:
            from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._progress = RichProgress(
                TextColumn("{task.description:<24}", markup=False),  # file names as typed
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=screen,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("starting", total=self.steps)
        return self

    def step(self, description: str) -> None:
        """Finish the current step and start the one named ``description``."""
        if self._progress is not None:
            if self._started:
                self._progress.advance(self._task)
            self._started = True
            self._progress.update(self._task, description=plain(description))

    def stop(self) -> None:
        """Remove the bar (before printing problems)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=self.steps)
        self.stop()
