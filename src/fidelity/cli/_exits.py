"""The one exit-code table of the ``fidelity`` command.

Every error that ends a command is looked up here, in :data:`EXIT_TABLE`: the first row whose
type matches says what the user is told and which exit code the run ends with. Commands raise
the library's errors (or let them pass) instead of catching and printing them one by one.

=====  ==========================================================================
 0     success
 1     invalid input: any :class:`fidelity.errors.FidelityError` (problems listed one per line)
 2     usage: typer's usage errors, an output file that cannot be written
 3     internal error: a bug; one line instead of a traceback (``FIDELITY_DEBUG=1`` shows it)
 130   interrupted (Ctrl-C)
=====  ==========================================================================
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from fidelity._util.atomic import OutputError
from fidelity._util.panics import is_rust_panic
from fidelity.errors import FidelityError, LockError, MigrationRefused, SheetsInvalidError

__all__ = [
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_TABLE",
    "EXIT_USAGE",
    "ExitRule",
    "FidelityGroup",
    "echo_err",
    "exit_for",
    "is_error",
    "plain",
    "rule_for",
    "write_lines",
]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130

DEBUG_VARIABLE = "FIDELITY_DEBUG"
"""Set this environment variable to see the traceback of an internal error."""


_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
"""What a terminal must never receive from a user string: control characters (escape sequences
that recolour, move the cursor or clear the screen; a carriage return that overwrites the line),
bidirectional overrides (text shown in another order than it reads) and lone surrogates (which
cannot be encoded at all). A tab is kept; a newline is the caller's business."""


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(text: str) -> str:
    """``text`` safe to print: every unsafe character (see :data:`_UNSAFE`) written as its
    Python escape, ``\\x1b``, ``\\u202e``, ``\\udfff``, so that what a user typed is shown, never
    obeyed. Rich markup is not interpreted where this is printed (plain ``write``/``echo``);
    rich renderables wrap it in :class:`rich.text.Text`."""
    return _UNSAFE.sub(_escape_char, text)


def write_lines(lines: Iterable[str]) -> None:
    """One problem per line, unwrapped, on stdout, as plain text (see :func:`plain`)."""
    out = sys.stdout
    for line in lines:
        out.write(plain(line.replace("\n", " ")) + "\n")
    out.flush()


def echo_err(message: str) -> None:
    """``message`` on stderr as plain text, line by line (see :func:`plain`)."""
    # plain text: problem lines must not be wrapped
    typer.echo("\n".join(plain(line) for line in message.split("\n")), err=True)


# -- how each kind of error is reported -------------------------------------------------------


def _report_usage(exc: TyperException) -> None:
    show = getattr(exc, "show", None)  # typer's usage errors print themselves with the usage line
    if show is not None:
        show()
    else:
        echo_err(f"error: {exc.format_message()}")


def _report_output(exc: OutputError) -> None:
    echo_err(f"error: cannot write {exc.path}: {exc.reason}; nothing was written")


def _report_invalid_sheets(exc: SheetsInvalidError) -> None:
    write_lines([str(p) for p in exc.problems if p.severity == "error"])
    echo_err(f"{len(exc.problems.errors)} error(s) in the rating sheets; nothing was written")


def _report_refused(exc: MigrationRefused) -> None:
    for reason in exc.reasons:
        echo_err(f"refused: {reason}")


def _report_lock(exc: LockError) -> None:
    typer.echo(plain(str(exc)))  # the lock's own wording, one line per released file


def _report_problems(exc: FidelityError) -> None:
    if exc.problems:
        echo_err("\n".join(str(p) for p in exc.problems))
    else:
        echo_err(f"error: {exc}")


def _report_interrupt(exc: KeyboardInterrupt) -> None:
    echo_err("interrupted")


def _report_internal(exc: BaseException) -> None:
    echo_err(
        f"fidelity: internal error: {type(exc).__name__}: {exc}\n"
        f"Set {DEBUG_VARIABLE}=1 to see the traceback, and please report it."
    )


@dataclass(frozen=True, slots=True)
class ExitRule:
    """One row of the table: an error of type ``kind`` is reported by ``report`` and ends the
    run with ``code``."""

    kind: type[BaseException]
    code: int
    report: Callable[[Any], None]
    meaning: str


EXIT_TABLE: tuple[ExitRule, ...] = (
    ExitRule(TyperException, EXIT_USAGE, _report_usage, "usage error"),
    ExitRule(OutputError, EXIT_USAGE, _report_output, "an output cannot be written"),
    ExitRule(SheetsInvalidError, EXIT_INVALID, _report_invalid_sheets, "invalid rating sheets"),
    ExitRule(MigrationRefused, EXIT_INVALID, _report_refused, "migration refused"),
    ExitRule(LockError, EXIT_INVALID, _report_lock, "released file changed"),
    ExitRule(FidelityError, EXIT_INVALID, _report_problems, "invalid input"),
    ExitRule(KeyboardInterrupt, EXIT_INTERRUPTED, _report_interrupt, "interrupted"),
    ExitRule(Exception, EXIT_INTERNAL, _report_internal, "internal error"),
)
"""First match wins: specific rows before the general ones."""


def rule_for(exc: BaseException) -> ExitRule:
    """The first row of :data:`EXIT_TABLE` that matches ``exc``; a panic in a compiled
    extension (a ``BaseException``) is an internal error too."""
    for rule in EXIT_TABLE:
        if isinstance(exc, rule.kind):
            return rule
    if is_rust_panic(exc):
        return EXIT_TABLE[-1]
    raise exc  # not an error: SystemExit, GeneratorExit


def is_error(exc: BaseException) -> bool:
    """Whether ``exc`` ends the run through :data:`EXIT_TABLE` (not ``SystemExit`` or
    ``GeneratorExit``)."""
    return any(isinstance(exc, rule.kind) for rule in EXIT_TABLE) or is_rust_panic(exc)


def exit_for(exc: BaseException) -> typer.Exit:
    """Report ``exc`` as its row says and return the exit that ends the run.

    An internal error is raised again instead when ``FIDELITY_DEBUG`` is set, so its traceback
    shows.
    """
    rule = rule_for(exc)
    if rule.code == EXIT_INTERNAL and os.environ.get(DEBUG_VARIABLE):
        raise exc
    rule.report(exc)
    return typer.Exit(rule.code)


_OWN_EXITS = (typer.Exit, typer.Abort, TyperException, BrokenPipeError)
"""Exceptions typer turns into an exit itself: explicit exits, usage errors (2, with the usage
line), a closed output pipe."""


class FidelityGroup(TyperGroup):
    """The top-level command group: every error a command raises goes through the table."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _OWN_EXITS:
            raise
        except BaseException as exc:
            if not is_error(exc):
                raise
            raise exit_for(exc) from None
