"""Every code example in the documentation runs as a test, so the docs cannot drift from the code.

`sybil <https://sybil.readthedocs.io>`_ collects the fenced blocks of ``docs/**/*.md`` and
``README.md`` (``make test`` runs them with the rest of the suite):

* ``python`` blocks run as written; a block that starts with ``>>>``, and every ``pycon``
  block, is a doctest whose output is checked (``...`` stands for any text; runs of
  whitespace compare equal);
* ``console`` blocks are terminal sessions: each ``$ fidelity ...`` line runs the command in
  the same process (through the console-script entry point ``fidelity.cli:main``) and the
  lines under it are checked against what it printed, standard output and standard error
  together. ``$ echo $?`` shows the previous exit code and ``$ head -N FILE`` the first lines
  of a file; no other program is run. Time stamps match any time stamp;
* ``bash`` blocks are commands without their output: each ``fidelity`` line runs and must not
  end in a usage error (exit 2) or an internal error (exit 3), so that the commands and options
  shown exist; other commands (``make``, ``pip``) set up a machine and are not run;
* ``text``, ``yaml``, ``json`` and ``toml`` blocks are shown, not run (sample files, output
  formats; pages check the ones they rely on in set-up code);
* ``<!-- invisible-code-block: python ... -->`` holds set-up code the page does not show, and
  ``<!-- skip: next "reason" -->`` leaves the next example out, with the reason.

The examples of one page share a namespace and a working directory: a fresh temporary
directory holding a copy of ``examples/``, so that pages can name ``examples/enrich-audit.csv``
and write files without touching the checkout. Set-up code can call ``example_instrument()``,
the text of the example instrument of *Getting started*, for pages that build on it, and
``code_blocks(page, language)``, the blocks of a page, to check sample files that are shown but
not run.
"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sybil import Example, Sybil
from sybil.evaluators.python import PythonEvaluator
from sybil.parsers.markdown import (
    ClearNamespaceParser,
    CodeBlockParser,
    PythonCodeBlockParser,
    SkipParser,
)

ROOT = Path(__file__).resolve().parent
DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
CONSOLE_WIDTH = 100
"""Terminal width of the sessions shown in the docs (rich wraps tables to it)."""

_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_ENV = {
    "COLUMNS": str(CONSOLE_WIDTH),
    "LINES": "100000",
    "NO_COLOR": "1",
    "FORCE_COLOR": None,
    "TTY_COMPATIBLE": None,
    "FIDELITY_DEBUG": None,
}


def code_blocks(page: str, language: str) -> list[str]:
    """The contents of the fenced ``language`` blocks of ``docs/<page>``, in page order."""
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    pattern = rf"^```{re.escape(language)}\n(.*?)^```"
    return [str(b) for b in re.findall(pattern, text, flags=re.MULTILINE | re.DOTALL)]


def example_instrument() -> str:
    """The example instrument of *Getting started* (``my-index@0.1.0``) as the pages save it in
    ``my-index.yaml``: the page's block without its first line, the editor's schema comment (the
    line numbers in the lint examples count from ``id:``)."""
    (block,) = code_blocks("getting-started.md", "yaml")
    first, rest = block.split("\n", 1)
    assert first.startswith("# yaml-language-server:"), first
    return rest


# ---------------------------------------------------------------------------------------------
# Console sessions


def _sessions(text: str) -> Iterator[tuple[str, str]]:
    """(command, expected output) for every ``$ `` line of a console block."""
    command: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            if command is not None:
                yield command, "\n".join(lines)
            command, lines = line[2:], []
        elif command is None:
            raise ValueError(f"console block must start with a '$ ' command, not {line!r}")
        else:
            lines.append(line)
    if command is not None:
        yield command, "\n".join(lines)


@contextmanager
def _argv(args: list[str]) -> Iterator[None]:
    saved = sys.argv
    sys.argv = ["fidelity", *args]
    try:
        yield
    finally:
        sys.argv = saved


def _fidelity(args: list[str], env: dict[str, str | None]) -> tuple[str, int]:
    """Run the ``fidelity`` command in this process; its terminal output and exit code."""
    from click.testing import CliRunner

    from fidelity.cli import main

    code: int = 0
    with CliRunner().isolation(env={**_ENV, **env}) as (_out, _err, output), _argv(args):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        text = output.getvalue().decode("utf-8", errors="replace")
    return text, code


def _run(command: str, state: dict[str, Any]) -> str:
    """Run one command line of a session; what it printed."""
    words = shlex.split(command, comments=True)
    env: dict[str, str | None] = {}
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    if words == ["echo", "$?"]:
        return f"{state.get('exit_code', 0)}\n"
    if len(words) == 3 and words[0] == "head" and re.fullmatch(r"-\d+", words[1]):
        lines = Path(words[2]).read_text(encoding="utf-8").splitlines(keepends=True)
        return "".join(lines[: int(words[1][1:])])
    if words and words[0] == "fidelity":
        output, state["exit_code"] = _fidelity(words[1:], env)
        return output
    raise ValueError(f"console examples run only `fidelity`, `echo $?` and `head`: {command!r}")


def _normalise(text: str) -> str:
    lines = [line.rstrip() for line in _TIMESTAMP.sub("<time>", text).splitlines()]
    return "\n".join(lines).strip("\n") + "\n"


def evaluate_console(example: Example) -> str | None:
    """Run a console block, comparing each command's output with the lines shown under it."""
    state = example.namespace.setdefault("_console", {})
    checker = doctest.OutputChecker()
    for command, expected in _sessions(str(example.parsed)):
        got = _normalise(_run(command, state))
        want = _normalise(expected)
        if not checker.check_output(want, got, doctest.ELLIPSIS):
            fake = doctest.Example(command, want)
            diff = checker.output_difference(fake, got, doctest.ELLIPSIS | doctest.REPORT_UDIFF)
            return f"$ {command}\n{diff}"
    return None


def evaluate_shell(example: Example) -> str | None:
    """Run the ``fidelity`` lines of a bash block; fail on a usage or an internal error."""
    for line in str(example.parsed).splitlines():
        words = shlex.split(line, comments=True)
        if not words or words[0] != "fidelity":
            continue
        output, code = _fidelity(words[1:], {})
        if code not in (0, 1):
            return f"$ {line}\nexit code {code}:\n{output}"
    return None


# ---------------------------------------------------------------------------------------------
# One working directory per page


def _setup(namespace: dict[str, Any]) -> None:
    work = Path(tempfile.mkdtemp(prefix="fidelity-docs-"))
    shutil.copytree(ROOT / "examples", work / "examples")
    namespace["_saved"] = (os.getcwd(), dict(os.environ), work)
    os.environ.pop("FIDELITY_INSTRUMENT_PATH", None)
    os.chdir(work)
    namespace["example_instrument"] = example_instrument
    namespace["code_blocks"] = code_blocks


def _teardown(namespace: dict[str, Any]) -> None:
    cwd, environ, work = namespace.pop("_saved")
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(environ)
    shutil.rmtree(work, ignore_errors=True)


class _PyconParser(PythonCodeBlockParser):
    """``pycon`` blocks: interactive sessions, checked as doctests."""

    def __init__(self, doctest_optionflags: int = 0) -> None:
        super().__init__(doctest_optionflags=doctest_optionflags)
        self.codeblock_parser = CodeBlockParser("pycon", PythonEvaluator())


_PARSERS = [
    PythonCodeBlockParser(doctest_optionflags=DOCTEST_FLAGS),
    _PyconParser(doctest_optionflags=DOCTEST_FLAGS),
    CodeBlockParser("console", evaluate_console),
    CodeBlockParser("bash", evaluate_shell),
    SkipParser(),
    ClearNamespaceParser(),
]

pytest_collect_file = (
    Sybil(_PARSERS, path="docs", patterns=["*.md"], setup=_setup, teardown=_teardown)
    + Sybil(
        _PARSERS,
        path=".",
        filenames=["README.md"],
        excludes=["*/*"],
        setup=_setup,
        teardown=_teardown,
    )
).pytest()
