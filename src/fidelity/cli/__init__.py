"""The ``fidelity`` command: a thin shell over the library.

One module per command group (:mod:`~fidelity.cli.instruments`, :mod:`~fidelity.cli.ratings`,
:mod:`~fidelity.cli.reliability`, :mod:`~fidelity.cli.versions`), each with its own
``typer.Typer``; this module adds them to the top-level ``app`` without a name, so every
command stays top-level (``fidelity validate``). Errors become exit codes in one table,
:data:`fidelity.cli._exits.EXIT_TABLE`: 0 success, 1 the input data is invalid (problems
listed one per line), 2 usage error, 3 internal error, 130 interrupted. Output files are
written atomically.
"""

from __future__ import annotations

import atexit
import gc
import warnings
from typing import Annotated, Any

import typer

from fidelity._util.atomic import atomic_write as atomic_write
from fidelity.cli import (
    consensus,
    export,
    instruments,
    plan,
    raters,
    ratings,
    reliability,
    versions,
)
from fidelity.cli._common import console, fail, load_or_fail, print_json, write_outputs
from fidelity.cli._exits import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    FidelityGroup,
    exit_for,
)
from fidelity.cli._exits import (
    echo_err as _echo_err,
)
from fidelity.cli._exits import (
    is_error as _is_error,
)
from fidelity.errors import FidelityWarning as _FidelityWarning

__all__ = [
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_USAGE",
    "FidelityGroup",
    "app",
    "atomic_write",
    "consensus",
    "console",
    "exit_for",
    "export",
    "fail",
    "instruments",
    "load_or_fail",
    "main",
    "plan",
    "print_json",
    "raters",
    "ratings",
    "reliability",
    "versions",
    "write_outputs",
]

app = typer.Typer(
    name="fidelity",
    help="Fidelity index assessment: instruments, validation, scoring and reliability.",
    cls=FidelityGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from fidelity import __version__

        typer.echo(f"fidelity {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Fidelity index assessment: instruments, validation, scoring and reliability."""
    _show_warnings_plainly()


def _show_warnings_plainly() -> None:
    """Show fidelity's own warnings (a directory without ``released.lock``) as one
    ``warning: ...`` line on stderr, not as a Python warning with its source line; they are
    always shown (each is issued once per process by its source)."""
    shown = warnings.showwarning
    if getattr(shown, "_fidelity", False):
        return

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, _FidelityWarning):
            _echo_err(f"warning: {message}")
        else:
            shown(message, category, *args, **kwargs)

    show._fidelity = True  # type: ignore[attr-defined]
    warnings.showwarning = show
    warnings.simplefilter("always", _FidelityWarning)


for _group in (
    instruments,
    ratings,
    reliability,
    consensus,
    raters,
    plan,
    versions,
):  # the order of ``fidelity --help``
    app.add_typer(_group.app)
app.add_typer(export.app, name="export")


def _register_extensions() -> None:
    """Nothing to do: kept for callers of the old API. Every command is registered when the
    package is imported."""


_GC_THRESHOLD = (20_000, 20, 20)
"""The collector's thresholds in a command's process (Python's default: 700, 10, 10). Reading
100,000 sheets allocates millions of containers, and with the modules of the command line
loaded every full collection has more to walk: collecting less often saves about a tenth of a
second there, while cycles are still collected."""


def _skip_last_collection() -> None:
    """Spare the interpreter's last full collection when the process ends: every object is
    moved out of the collector's reach (``gc.freeze``), so the exit does not walk the
    millions of objects a large batch leaves (about a tenth of a second at 100,000 sheets).
    The memory goes back to the system with the process; nothing is left to flush, every
    output having been written and synced before."""
    gc.freeze()


def main() -> None:
    """Console-script entry point; an error that escapes the commands still goes through the
    exit-code table (an internal error: one line, no traceback; Ctrl-C: 130)."""
    gc.set_threshold(*_GC_THRESHOLD)
    atexit.unregister(_skip_last_collection)  # once, however often main() runs
    atexit.register(_skip_last_collection)
    try:
        app()
    except BaseException as exc:  # a bug must not leave a bare traceback
        if not _is_error(exc):
            raise
        raise SystemExit(exit_for(exc).exit_code) from None
