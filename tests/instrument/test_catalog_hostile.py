"""A hostile catalogue: dangling symlinks, unreadable directories, FIFOs and broken plugins
are reported by path or name and skipped; the rest of the catalogue still loads. Specs are
matched whole (no trailing newline); huge YAML integers are refused with their line."""

from __future__ import annotations

import os
import sys
from importlib import metadata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fidelity.errors import CatalogError, InstrumentError
from fidelity.instrument import catalog
from fidelity.instrument.catalog import (
    catalog_problems,
    list_instruments,
    load_instrument,
    parse_spec,
    read_instrument_file,
)

MINIMAL = Path(__file__).parent.parent / "data" / "lint" / "minimal.yaml"


def _good(root: Path, name: str = "mini", version: str = "1.0.0") -> None:
    (root / name).mkdir(parents=True, exist_ok=True)
    (root / name / f"{version}.yaml").write_text(MINIMAL.read_text())


def _ids(monkeypatch: pytest.MonkeyPatch, *roots: Path) -> set[str]:
    monkeypatch.setenv(catalog.ENV_VAR, os.pathsep.join(map(str, roots)))
    return {e.spec for e in list_instruments()}


def test_a_dangling_symlink_is_reported_and_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "inst"
    _good(root)
    (root / "other").mkdir()
    (root / "other" / "1.0.0.yaml").symlink_to(tmp_path / "nowhere.yaml")
    gone = tmp_path / "gone"
    gone.symlink_to(tmp_path / "no-such-dir")
    assert "mini@1.0.0" in _ids(monkeypatch, root, gone)
    problems = [str(p) for p in catalog_problems()]
    assert any(str(root / "other" / "1.0.0.yaml") in p and "symbolic link" in p for p in problems)
    assert any(str(gone) in p for p in problems), problems
    assert load_instrument("mini").id == "mini"


def test_a_fifo_is_reported_and_never_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "inst"
    _good(root)
    (root / "piped").mkdir()
    os.mkfifo(root / "piped" / "1.0.0.yaml")
    assert "mini@1.0.0" in _ids(monkeypatch, root)  # would block forever on open()
    assert any("not a regular file" in str(p) for p in catalog_problems())
    with pytest.raises((InstrumentError, CatalogError)):
        read_instrument_file(root / "piped" / "1.0.0.yaml")


@pytest.mark.parametrize("where", ["root", "instrument"])
def test_an_unreadable_directory_is_reported_and_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    _good(good)
    _good(bad, "locked")
    target = bad if where == "root" else bad / "locked"
    real = Path.iterdir

    def iterdir(self: Path) -> object:  # as for a directory without read permission
        if self == target:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    assert "mini@1.0.0" in _ids(monkeypatch, good, bad)
    (problem,) = catalog_problems()
    assert str(target) in str(problem) and "Permission denied" in str(problem)


def test_an_unreadable_file_is_listed_as_invalid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "inst"
    _good(root)
    monkeypatch.setattr(catalog, "_cached_load", _raise_oserror)
    entry = next(e for e in (_ids(monkeypatch, root) and list_instruments()) if e.id == "mini")
    with pytest.raises(InstrumentError, match="cannot read"):
        entry.load()


def _raise_oserror(path: Path, _mtime: int) -> None:
    raise PermissionError(13, "Permission denied", str(path))


class _FakeDist:
    name = "fidelity-plugin-example"


def _fake_entry_points(value: str) -> object:
    ep = metadata.EntryPoint(name="example", value=value, group=catalog.ENTRY_POINT_GROUP)
    object.__setattr__(ep, "dist", _FakeDist())

    def entry_points(*, group: str) -> list[metadata.EntryPoint]:
        return [ep] if group == catalog.ENTRY_POINT_GROUP else []

    return entry_points


@pytest.mark.parametrize(
    "body",
    [
        "raise SystemExit(0)",
        "raise SystemExit(3)",
        "raise KeyboardInterrupt",
        "raise RuntimeError('boom')",
        "return 42",
        "return None",
    ],
)
def test_a_broken_plugin_is_reported_by_name_and_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    module = tmp_path / "broken_plugin_xyz.py"
    module.write_text(f"def instruments():\n    {body}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(
        catalog.metadata, "entry_points", _fake_entry_points("broken_plugin_xyz:instruments")
    )
    try:
        specs = {e.spec for e in list_instruments()}
        assert "enrich-peer-support@1.1.0" in specs
        assert load_instrument("enrich-peer-support").id == "enrich-peer-support"
        problems = [str(p) for p in catalog_problems()]
        assert any("'example' (fidelity-plugin-example)" in p for p in problems), problems
    finally:
        sys.modules.pop("broken_plugin_xyz", None)


def test_a_plugin_that_cannot_be_imported_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        catalog.metadata, "entry_points", _fake_entry_points("no_such_module_xyz:f")
    )
    assert list_instruments()
    assert any("failed to load" in str(p) for p in catalog_problems())


@pytest.mark.parametrize("tail", ["\n", "\r\n", " ", "\t", "\x00", "\u2028", "\n\n"])
def test_a_spec_with_trailing_whitespace_is_refused(tail: str) -> None:
    with pytest.raises(CatalogError, match="not an instrument spec"):
        parse_spec("enrich-peer-support@1.1.0" + tail)
    with pytest.raises(CatalogError):
        load_instrument("enrich-peer-support" + tail)


@given(st.text(max_size=3).filter(lambda t: t != ""))
@settings(max_examples=100, deadline=None)
def test_a_spec_with_anything_appended_after_the_version_is_refused(tail: str) -> None:
    spec = "enrich-peer-support@1.1.0" + tail
    try:
        inst_id, version = parse_spec(spec)
    except CatalogError:
        return
    assert f"{inst_id}@{version}" == spec  # only a longer valid version may parse


# -- huge integers in YAML ----------------------------------------------------------------------


def _doc_with(value: str, *, as_key: bool = False) -> str:
    text = MINIMAL.read_text()
    if as_key:  # an explicit key: a plain one is limited to 1,024 characters by YAML
        return text.replace('"4": always}', f"? {value} : always}}", 1)
    return text.replace("{value: 4,", f"{{value: {value},", 1)


@pytest.mark.parametrize("digits", [4_301, 5_000, 1_000_000])
@pytest.mark.parametrize("as_key", [False, True])
def test_a_huge_yaml_integer_is_refused_with_its_line(digits: int, as_key: bool) -> None:
    from fidelity.instrument.catalog import instrument_from_yaml

    text = _doc_with("9" * digits, as_key=as_key)
    with pytest.raises(InstrumentError) as info:
        instrument_from_yaml(text)
    problem = info.value.problems[0]
    assert problem.line is not None
    assert "set_int_max_str_digits" not in str(problem)


@given(digits=st.integers(4_301, 20_000), sign=st.sampled_from(["", "-", "+", "0x", "0o"]))
@settings(max_examples=25, deadline=None)
def test_no_yaml_integer_ends_in_an_internal_error(digits: int, sign: str) -> None:
    from fidelity.errors import YamlError
    from fidelity.instrument._yaml import read_yaml_text

    try:
        read_yaml_text(f"a: {sign}{'7' * digits}\n", source="<t>")
    except YamlError as exc:
        assert exc.line == 1


@pytest.mark.parametrize("body", ["raise SystemExit(0)", "raise KeyboardInterrupt"])
def test_the_cli_lists_and_scores_despite_a_broken_plugin_and_a_fifo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    from typer.testing import CliRunner

    from fidelity.cli import app

    root = tmp_path / "inst"
    _good(root)
    (root / "piped").mkdir()
    os.mkfifo(root / "piped" / "1.0.0.yaml")
    monkeypatch.setenv(catalog.ENV_VAR, str(root))
    (tmp_path / "broken_cli_plugin.py").write_text(f"def instruments():\n    {body}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(
        catalog.metadata, "entry_points", _fake_entry_points("broken_cli_plugin:instruments")
    )
    try:
        result = CliRunner().invoke(app, ["instruments", "--json"])
        assert result.exit_code == 0, result.output
        assert '"mini"' in result.stdout
        assert "plugin 'example'" in result.stderr and "not a regular file" in result.stderr
        shown = CliRunner().invoke(app, ["show", "mini"])
        assert shown.exit_code == 0, shown.output
    finally:
        sys.modules.pop("broken_cli_plugin", None)
