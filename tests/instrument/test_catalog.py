"""Finding and loading instruments: bundled, directories on FIDELITY_INSTRUMENT_PATH, plugins."""

from __future__ import annotations

import os
import shutil
import sys
from importlib import metadata
from pathlib import Path

import pytest

import fidelity
from fidelity.instrument import InstrumentError, catalog
from fidelity.instrument.catalog import CatalogError, list_instruments, load_instrument, parse_spec

MINIMAL = Path(__file__).parent.parent / "data" / "lint" / "minimal.yaml"


def _user_dir(
    tmp_path: Path, text: str | None = None, name: str = "mini", version: str = "1.0.0"
) -> Path:
    root = tmp_path / "instruments"
    (root / name).mkdir(parents=True, exist_ok=True)
    (root / name / f"{version}.yaml").write_text(text if text is not None else MINIMAL.read_text())
    return root


def test_load_by_id_pins_newest_released_version() -> None:
    inst = load_instrument("enrich-peer-support")
    versions = [e.version for e in list_instruments() if e.id == "enrich-peer-support"]
    assert inst.version == max(versions, key=lambda v: tuple(map(int, v.split("."))))
    assert inst.id == "enrich-peer-support"


def test_load_by_id_at_version_and_by_path() -> None:
    pinned = load_instrument("enrich-peer-support@1.0.0")
    assert pinned.version == "1.0.0"
    assert pinned.source is not None
    by_path = load_instrument(pinned.source)
    assert by_path == pinned
    assert load_instrument(Path(pinned.source)).content_hash == pinned.content_hash


def test_public_api_is_reexported() -> None:
    assert fidelity.load_instrument is load_instrument
    assert fidelity.list_instruments is list_instruments


@pytest.mark.parametrize(
    "spec",
    [
        "../etc/passwd",
        "enrich/peer",
        "enrich\\peer",
        "..",
        "Enrich",
        "enrich_peer",
        "x@1.0",
        "x@1.0.0/../../y",
        "enrich-peer-support@../1.0.0",
        "",
        " enrich",
        "a--b",
        "-a",
    ],
)
def test_malformed_specs_are_refused_clearly(spec: str) -> None:
    with pytest.raises(CatalogError, match="is not an instrument spec"):
        load_instrument(spec)


def test_parse_spec() -> None:
    assert parse_spec("enrich-peer-support") == ("enrich-peer-support", None)
    assert parse_spec("a1-b2@10.0.3") == ("a1-b2", "10.0.3")


def test_unknown_id_and_version_name_what_exists() -> None:
    with pytest.raises(
        CatalogError, match="no instrument 'nope'; available: .*enrich-peer-support"
    ):
        load_instrument("nope")
    with pytest.raises(
        CatalogError, match="no version 9.9.9 of 'enrich-peer-support'; available versions: 1.0.0"
    ):
        load_instrument("enrich-peer-support@9.9.9")


def test_missing_file_path() -> None:
    with pytest.raises(CatalogError, match="instrument file not found"):
        load_instrument("does/not/exist.yaml")


def test_environment_directories_are_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _user_dir(tmp_path)
    empty = tmp_path / "empty"
    monkeypatch.setenv(catalog.ENV_VAR, os.pathsep.join([str(empty), str(root)]))
    entries = [e for e in list_instruments() if e.id == "mini"]
    assert [(e.version, e.source) for e in entries] == [("1.0.0", f"path:{root}")]
    assert load_instrument("mini").title == "Minimal instrument"
    assert load_instrument("mini@1.0.0").source == str(root / "mini" / "1.0.0.yaml")


def test_same_spec_with_different_content_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = _user_dir(tmp_path / "a")
    b = _user_dir(tmp_path / "b", MINIMAL.read_text().replace("Minimal instrument", "Other title"))
    monkeypatch.setenv(catalog.ENV_VAR, os.pathsep.join([str(a), str(b)]))
    with pytest.raises(CatalogError, match="defined twice with different content"):
        load_instrument("mini@1.0.0")


def test_identical_copies_are_not_a_conflict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = _user_dir(tmp_path / "a")
    b = _user_dir(tmp_path / "b")
    monkeypatch.setenv(catalog.ENV_VAR, os.pathsep.join([str(a), str(b)]))
    assert load_instrument("mini").id == "mini"


def test_file_must_sit_where_its_id_and_version_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _user_dir(tmp_path, version="2.0.0")
    monkeypatch.setenv(catalog.ENV_VAR, str(root))
    with pytest.raises(InstrumentError, match="FI111 file declares mini@1.0.0 .* says mini@2.0.0"):
        load_instrument("mini@2.0.0")


def test_invalid_file_in_catalog_reports_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _user_dir(tmp_path, MINIMAL.read_text().replace("scale: four\n", "scale: five\n", 1))
    monkeypatch.setenv(catalog.ENV_VAR, str(root))
    with pytest.raises(InstrumentError, match=r"mini/1.0.0.yaml:\d+: FI102 .*unknown scale 'five'"):
        load_instrument("mini")


def test_draft_versions_are_not_picked_by_bare_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _user_dir(tmp_path)
    draft = MINIMAL.read_text().replace("version: 1.0.0", "version: 1.1.0\nstatus: draft")
    (root / "mini" / "1.1.0.yaml").write_text(draft)
    monkeypatch.setenv(catalog.ENV_VAR, str(root))
    assert load_instrument("mini").version == "1.0.0"
    assert load_instrument("mini@1.1.0").status == "draft"


class _FakeDist:
    name = "fidelity-plugin-example"


def _fake_entry_points(value: str) -> object:
    ep = metadata.EntryPoint(name="example", value=value, group=catalog.ENTRY_POINT_GROUP)
    object.__setattr__(ep, "dist", _FakeDist())

    def entry_points(*, group: str) -> list[metadata.EntryPoint]:
        return [ep] if group == catalog.ENTRY_POINT_GROUP else []

    return entry_points


def test_plugins_provide_instrument_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _user_dir(tmp_path)
    module = tmp_path / "example_plugin.py"
    module.write_text(
        f"from pathlib import Path\n\ndef instruments():\n    return Path({str(root)!r})\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(
        catalog.metadata, "entry_points", _fake_entry_points("example_plugin:instruments")
    )
    entries = [e for e in list_instruments() if e.id == "mini"]
    assert [e.source for e in entries] == ["plugin:fidelity-plugin-example"]
    assert load_instrument("mini@1.0.0").id == "mini"
    sys.modules.pop("example_plugin", None)


def test_a_broken_plugin_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        catalog.metadata, "entry_points", _fake_entry_points("no_such_module_xyz:f")
    )
    assert list_instruments()  # the others are still listed
    (problem,) = catalog.catalog_problems()
    assert "plugin 'example' (fidelity-plugin-example) failed to load" in str(problem)


def test_bundled_instruments_ship_with_the_package(tmp_path: Path) -> None:
    from fidelity._util.resources import bundled_instruments_dir, schemas_dir

    assert (bundled_instruments_dir() / "enrich-peer-support" / "1.0.0.yaml").is_file()
    assert (schemas_dir() / "instrument.schema.json").is_file()
    shutil.copy(MINIMAL, tmp_path / "x.yaml")
    assert load_instrument(str(tmp_path / "x.yaml")).id == "mini"
