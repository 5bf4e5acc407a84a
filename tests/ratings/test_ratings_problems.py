"""Problems: built only from registered codes, with the registry's severity and templates; the
ProblemLike protocol; short views of a ProblemList for a terminal and a notebook."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import fidelity.ratings
from fidelity.codes import REGISTRY, rules
from fidelity.errors import ProblemLike
from fidelity.instrument import Instrument
from fidelity.ratings import Problem, ProblemList, SheetRef, validate
from fidelity.ratings.problems import make_problem

Write = Callable[[str, str], Path]

PACKAGE = Path(fidelity.ratings.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))


# ---------------------------------------------------------------------------------------------
# The builder


def test_the_builder_refuses_an_unregistered_code() -> None:
    with pytest.raises(KeyError, match="FR999"):
        make_problem("FR999", message="no such rule")
    with pytest.raises(KeyError, match="FR999"):
        make_problem("FR999", fields={"detail": "no such rule"})


def test_severity_comes_from_the_registry_unless_overridden() -> None:
    assert make_problem("FR101", message="x").severity == "error"
    assert make_problem("FR105", message="x").severity == "warning"
    assert make_problem("FR105", message="x", severity="error").severity == "error"


def test_the_message_is_given_or_built_from_the_template() -> None:
    p = make_problem("FR302", fields={"assessment": "A1"}, sheet=SheetRef("s.csv", row=3))
    assert p.message == "assessment A1 has more than one consensus sheet"
    assert str(p) == "s.csv row 3: FR302 assessment A1 has more than one consensus sheet"
    with pytest.raises(TypeError):
        make_problem("FR302")
    with pytest.raises(TypeError):
        make_problem("FR302", message="m", fields={"assessment": "A1"})


def test_options_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        make_problem("FR101", "a message")  # type: ignore[misc]


def test_a_problem_is_problem_like() -> None:
    p = make_problem("FR201", message="the sheet has no rater", path="$[0].rater")
    assert isinstance(p, ProblemLike)
    assert (p.code, p.severity, p.where) == ("FR201", "error", "<sheets>")
    assert json.loads(json.dumps(p.to_dict(), allow_nan=False))["code"] == "FR201"


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name
    ]


def test_problems_are_built_only_by_the_builder() -> None:
    # no bare Problem(...) anywhere in the package but the one line of make_problem
    built = {
        path.relative_to(PACKAGE).as_posix(): len(_calls(ast.parse(path.read_text()), "Problem"))
        for path in SOURCES
    }
    assert {k: v for k, v in built.items() if v} == {"problems.py": 1}


def test_every_code_the_package_uses_is_registered_and_every_fr_code_is_used() -> None:
    used: set[str] = set()
    for path in [*SOURCES, *sorted((PACKAGE.parent / "interop").rglob("*.py"))]:
        tree = ast.parse(path.read_text())
        used |= {
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant)
            and isinstance(n.value, str)
            and re.fullmatch(r"F[IR][0-9]{3}", n.value)
        }
    assert used - set(REGISTRY) == set()
    assert {r.code for r in rules("FR")} - used == set()


# ---------------------------------------------------------------------------------------------
# Views of a ProblemList


def _many(n: int, message: str = "value 9 is not on the item's scale") -> ProblemList:
    return ProblemList(
        make_problem(
            "FR101" if k % 3 else "FR105",
            message=message,
            sheet=SheetRef("audit.csv", row=k + 2, assessment=f"A{k}", rater="r"),
            path="a1",
        )
        for k in range(n)
    )


def test_repr_fits_on_one_screen() -> None:
    assert repr(ProblemList()) == "<ProblemList: no problems>"
    text = repr(_many(10_000, "x" * 5_000))
    lines = text.splitlines()
    assert len(text) < 2_000 and len(lines) <= 12
    assert all(len(line) <= 170 for line in lines)
    assert lines[0] == "<ProblemList: 10000 problems (6666 error(s), 3334 warning(s))"
    assert lines[1] == "  by code: FR101 6666, FR105 3334"
    assert lines[2].startswith("  audit.csv row 2 (assessment A0, rater r): warning FR105 xxx")
    assert text.endswith("  ... and 9995 more>")


def test_repr_of_every_code_stays_short() -> None:
    every = ProblemList(make_problem(r.code, message="m") for r in rules())
    assert len(every) == len(REGISTRY)
    assert len(repr(every).splitlines()) <= 12


def test_repr_of_a_few_problems_lists_them_all(hand: Instrument, header: str, write: Write) -> None:
    problems = validate(hand, write("s.csv", f"{header}\nhand@1.0.0,A,r,,supervisor,,,9,1,1,1,\n"))
    text = repr(problems)
    assert "1 problem (1 error(s), 0 warning(s))" in text and "FR101 1" in text
    assert str(problems[0])[:100] in text and "more" not in text


def test_html_view_shows_the_first_twenty_escaped() -> None:
    problems = _many(150, '<script>alert("x")</script> & more')
    view = problems._repr_html_()
    assert view.count("<tr>") == 21  # the header row and twenty problems
    assert "<script>" not in view and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in view
    assert "&amp; more" in view and "… and 130 more" in view
    assert "150 problems (100 error(s), 50 warning(s)); by code: FR101 100, FR105 50" in view
    assert len(view) < 20_000
    assert ProblemList()._repr_html_() == "<p><strong>ProblemList</strong>: no problems</p>"


def test_html_view_escapes_file_names_and_paths() -> None:
    p = make_problem(
        "FR104",
        message="unknown item",
        sheet=SheetRef("<b>audit</b>.csv", row=1),
        path="<i>x</i>",
    )
    view = ProblemList([p])._repr_html_()
    assert "<b>" not in view and "<i>" not in view
    assert "&lt;b&gt;audit&lt;/b&gt;.csv row 1" in view and "&lt;i&gt;x&lt;/i&gt;" in view


def test_problem_lists_still_compare_as_lists() -> None:
    p = make_problem("FR101", message="m")
    assert ProblemList([p]) == [p] and ProblemList() == []
    assert isinstance(ProblemList([p])[0], Problem)
