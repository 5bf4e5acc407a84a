"""fidelity.lint: whole-file checks (reading, schema, model rules, then release rules)."""

from __future__ import annotations

from pathlib import Path

import fidelity.instrument
import fidelity.lint
from fidelity.lint import check_instrument_file, iter_problems

DATA = Path(__file__).parent / "data" / "lint"


def test_a_valid_file_has_no_problems() -> None:
    assert check_instrument_file(DATA / "minimal.yaml") == []
    assert check_instrument_file(str(DATA / "minimal.yaml")) == []


def test_model_problems_are_listed_not_raised() -> None:
    problems = check_instrument_file(DATA / "many-problems.yaml")
    assert len(problems) > 20
    assert problems[0].code == "FI101" and problems[0].file == str(DATA / "many-problems.yaml")


def test_unreadable_files_are_problems(tmp_path: Path) -> None:
    (p,) = check_instrument_file(tmp_path / "missing.yaml")
    assert p.code == "FI000" and p.message.startswith("cannot read file:")


def test_release_rules_run_after_the_model(tmp_path: Path) -> None:
    root = tmp_path / "instruments" / "mini"
    root.mkdir(parents=True)
    text = (DATA / "minimal.yaml").read_text()
    (root / "1.0.0.yaml").write_text(text)
    newer = text.replace("version: 1.0.0", "version: 1.0.1").replace(
        "overall: mean_of_domains", "overall: mean_of_items"
    )
    (root / "1.0.1.yaml").write_text(newer)
    (p,) = check_instrument_file(root / "1.0.1.yaml")
    assert p.code == "FI204"


def test_iter_problems_goes_file_by_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n")
    paths = [DATA / "many-problems.yaml", DATA / "minimal.yaml", broken]
    problems = list(iter_problems(paths))
    files = [p.file for p in problems]
    assert files == sorted(files, key=[str(p) for p in paths].index)
    assert files[-1] == str(broken) and problems[-1].code == "FI000"


def test_lint_is_where_the_whole_file_checks_live() -> None:
    assert fidelity.lint.__all__ == [
        "check_instrument_file",
        "iter_problems",
        "redcap_name_warnings",
    ]
    for name in ("check_instrument_file", "iter_problems"):
        assert not hasattr(fidelity.instrument, name)
        assert name not in fidelity.instrument.__all__
