"""Released versions are checked against their directory's ``released.lock`` whenever the
catalogue loads them: an edited release is refused, a directory without a lock is named once."""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import pytest

from fidelity.errors import InstrumentError, UnlockedReleaseWarning
from fidelity.instrument import catalog
from fidelity.instrument.catalog import list_instruments, load_instrument
from fidelity.instrument.lockfile import LOCK_NAME, read_lock

MINIMAL = Path(__file__).parent.parent / "data" / "lint" / "minimal.yaml"


def _root(tmp_path: Path, *, lock: bool, name: str = "instruments") -> Path:
    root = tmp_path / name
    (root / "mini").mkdir(parents=True)
    (root / "mini" / "1.0.0.yaml").write_text(MINIMAL.read_text())
    if lock:
        inst = catalog.read_instrument_file(root / "mini" / "1.0.0.yaml")
        (root / LOCK_NAME).write_text(f"# lock\nmini@1.0.0 sha256:{inst.content_hash}\n")
    return root


@pytest.fixture(autouse=True)
def _fresh_warnings() -> None:
    catalog.forget_lock_warnings()


def test_a_locked_release_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(catalog.ENV_VAR, str(_root(tmp_path, lock=True)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_instrument("mini@1.0.0").title == "Minimal instrument"


def test_an_edited_release_is_refused_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _root(tmp_path, lock=True)
    file = root / "mini" / "1.0.0.yaml"
    file.write_text(file.read_text().replace("Minimal instrument", "Edited instrument"))
    monkeypatch.setenv(catalog.ENV_VAR, str(root))
    with pytest.raises(InstrumentError) as info:
        load_instrument("mini@1.0.0")
    (p,) = info.value.problems
    assert p.code == "FI201" and p.file == str(file) and p.ref == "mini@1.0.0"
    assert str(root / LOCK_NAME) in p.message
    assert "new version" in p.message
    with pytest.raises(InstrumentError, match="FI201"):
        load_instrument("mini")  # by id as well: the newest release is the edited one
    with pytest.raises(InstrumentError, match="FI201"):
        next(e for e in list_instruments() if e.id == "mini").load()


def test_a_release_missing_from_its_lock_is_warned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _root(tmp_path, lock=True)
    (root / LOCK_NAME).write_text("# nothing locked yet\n")
    monkeypatch.setenv(catalog.ENV_VAR, str(root))
    with pytest.warns(UnlockedReleaseWarning, match=r"mini@1\.0\.0 is not in .*fidelity lock"):
        load_instrument("mini@1.0.0")


def test_a_directory_without_a_lock_warns_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _root(tmp_path, lock=False)
    monkeypatch.setenv(catalog.ENV_VAR, str(root))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for _ in range(3):
            load_instrument("mini@1.0.0")
            load_instrument("mini")
    ours = [w for w in seen if issubclass(w.category, UnlockedReleaseWarning)]
    assert len(ours) == 1
    assert str(root) in str(ours[0].message) and "fidelity lock" in str(ours[0].message)


def test_a_draft_needs_no_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _root(tmp_path, lock=False)
    file = root / "mini" / "1.0.0.yaml"
    file.write_text(file.read_text().replace("version: 1.0.0\n", "version: 1.0.0\nstatus: draft\n"))
    monkeypatch.setenv(catalog.ENV_VAR, str(root))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_instrument("mini@1.0.0").status == "draft"


def test_a_malformed_lock_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _root(tmp_path, lock=True)
    (root / LOCK_NAME).write_text("mini@1.0.0 md5:abc\n")
    monkeypatch.setenv(catalog.ENV_VAR, str(root))
    with pytest.raises(InstrumentError, match=r"released\.lock:1: expected 'id@version sha256"):
        load_instrument("mini@1.0.0")


def test_the_bundled_lock_is_read_from_the_instrument_layer() -> None:
    from fidelity import versions

    assert versions.read_lock is read_lock
    assert versions.LOCK_NAME == LOCK_NAME
    bundled = catalog.bundled_instruments_dir() / LOCK_NAME
    assert "enrich-peer-support@1.0.0" in read_lock(bundled)
    h = hashlib.sha256(b"").hexdigest()
    assert len(h) == len(read_lock(bundled)["enrich-peer-support@1.0.0"][0])


def test_plugin_directories_are_checked_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _root(tmp_path, lock=True, name="plugin")
    file = root / "mini" / "1.0.0.yaml"
    file.write_text(file.read_text().replace("Minimal instrument", "Edited instrument"))
    monkeypatch.setattr(catalog, "_plugin_roots", lambda: iter([(root, "plugin:demo")]))
    monkeypatch.setenv(catalog.ENV_VAR, os.devnull + "-none")
    with pytest.raises(InstrumentError, match="FI201"):
        load_instrument("mini@1.0.0")
