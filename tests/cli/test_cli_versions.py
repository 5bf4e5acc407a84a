"""The version commands end to end: diff, lint (semver and mappings), migrate, new, lock, and
an instrument plugin installed into a temporary directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import fidelity
from fidelity.cli import app

runner = CliRunner()
TESTS = Path(__file__).parents[1]
ROOT = TESTS.parent
MINIMAL = TESTS / "data" / "lint" / "minimal.yaml"
PLUGIN = TESTS / "plugin_example"
V100, V110 = "enrich-peer-support@1.0.0", "enrich-peer-support@1.1.0"
WIDE = {"COLUMNS": "200"}


def _line(path: Path, needle: str) -> int:
    return next(n for n, t in enumerate(path.read_text().splitlines(), 1) if needle in t)


# -- diff ---------------------------------------------------------------------------------------


def test_diff_terminal_and_json() -> None:
    result = runner.invoke(app, ["diff", V100, V110], env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "classification: additive" in out and "needs a minor bump, got minor: ok" in out
    assert "con-own-communities renamed to con-identity-communities" in out
    assert "Comparability of scores" in out and "extended" in out
    data = json.loads(runner.invoke(app, ["diff", V100, V110, "--json"]).stdout)
    assert data["severity"] == "additive" and data["required_bump"] == "minor"
    assert data["bump_ok"] is True
    assert {d["domain"]: d["status"] for d in data["comparability"]["domains"]}[
        "reciprocity"
    ] == "identical"
    same = json.loads(runner.invoke(app, ["diff", V110, V110, "--json"]).stdout)
    assert same["changes"] == [] and same["severity"] == "none"
    back = runner.invoke(app, ["diff", V110, V100], env=WIDE)
    assert back.exit_code == 0 and "breaking" in back.stdout and "too small" in back.stdout


def test_diff_of_an_unknown_version_is_exit_1() -> None:
    result = runner.invoke(app, ["diff", V100, "enrich-peer-support@9.9.9"])
    assert result.exit_code == 1
    assert "no version 9.9.9" in result.stderr


# -- lint: semver and mappings ------------------------------------------------------------------


def _pair(tmp_path: Path, new_version: str, edit: Any) -> Path:
    folder = tmp_path / "mini"
    folder.mkdir()
    old = yaml.safe_load(MINIMAL.read_text())
    (folder / "1.0.0.yaml").write_text(yaml.safe_dump(old, sort_keys=False))
    new = dict(old, version=new_version, changes={"previous": "1.0.0"})
    edit(new)
    path = folder / f"{new_version}.yaml"
    path.write_text(yaml.safe_dump(new, sort_keys=False))
    return path


def test_lint_fails_when_the_bump_is_too_small(tmp_path: Path) -> None:
    def flip(d: dict[str, Any]) -> None:
        d["items"][0]["reverse"] = True

    path = _pair(tmp_path, "1.1.0", flip)
    result = runner.invoke(app, ["lint", str(path)])
    assert result.exit_code == 1
    line = _line(path, "version: 1.1.0")
    assert result.stdout.startswith(f"{path}:{line}: FI204 1.0.0 → 1.1.0 is a minor bump")
    assert "need a major bump: item t-open: reverse scoring on" in result.stdout
    data = json.loads(runner.invoke(app, ["lint", str(path), "--json"]).stdout)
    assert data[0]["code"] == "FI204" and data[0]["line"] == line


def test_lint_refuses_bad_mappings_with_file_and_line(tmp_path: Path) -> None:
    def cycle(d: dict[str, Any]) -> None:
        d["changes"]["item_map"] = {"c-goals": "c-pace", "c-pace": "c-goals"}

    path = _pair(tmp_path, "2.0.0", cycle)
    result = runner.invoke(app, ["lint", str(path)])
    assert result.exit_code == 1
    line = _line(path, "c-goals: c-pace")
    assert f"{path}:{line}: FI110 item_map renames items in a cycle" in result.stdout


def test_lint_of_the_bundled_versions_passes() -> None:
    files = sorted(str(p) for p in (ROOT / "instruments" / "enrich-peer-support").glob("*.yaml"))
    result = runner.invoke(app, ["lint", *files])
    assert result.exit_code == 0, result.output


# -- migrate ------------------------------------------------------------------------------------


def _sheets_100() -> list[dict[str, Any]]:
    inst = fidelity.load_instrument(V100)
    out = []
    for k, value in enumerate((1, 2, 3, 4)):
        ratings = {it.id: (value + j) % 4 + 1 for j, it in enumerate(inst.items)}
        ratings["rel-planned-ending"] = "NA"
        out.append(
            {
                "instrument": V100,
                "assessment": f"a{k}",
                "rater": "r1",
                "site": "s1",
                "ratings": ratings,
            }
        )
    return out


def test_migrate_writes_migrated_sheets_that_score_the_same(tmp_path: Path) -> None:
    src = tmp_path / "audit.json"
    src.write_text(json.dumps(_sheets_100()))
    out = tmp_path / "out"
    result = runner.invoke(app, ["migrate", str(src), "--to", V110, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "renamed con-own-communities→con-identity-communities" in result.stdout
    assert "4 sheet(s) migrated to enrich-peer-support@1.1.0" in result.stdout
    migrated = json.loads((out / "audit.json").read_text())
    assert all(s["instrument"] == V110 for s in migrated)
    assert migrated[0]["migrations"][0]["from"] == V100
    before = fidelity.score(fidelity.load_instrument(V100), _sheets_100()).to_pandas()
    after = fidelity.score(fidelity.load_instrument(V110), out / "audit.json").to_pandas()
    assert before["overall"].tolist() == after["overall"].tolist()
    assert after["migrated_from"].tolist() == [V100] * 4
    provenance = after.attrs["provenance"]
    assert provenance["migrated_sheets"] == 4
    assert provenance["comparability"][V100] == {
        "domains": {
            "trusting-relationships": "extended",
            "reciprocity": "identical",
            "experiential-knowledge": "extended",
            "choice-and-control": "extended",
            "strengths-and-connections": "identical",
        },
        "overall": "comparable",
    }
    # the score command accepts them as they are
    scored = runner.invoke(app, ["validate", str(out / "audit.json")])
    assert scored.exit_code == 0, scored.output


def test_migrate_csv_input_gives_json_and_json_report(tmp_path: Path) -> None:
    inst = fidelity.load_instrument(V100)
    ids = [it.id for it in inst.items]
    rows = ["instrument,assessment,rater," + ",".join(ids)]
    rows.append(f"{V100},a1,r1," + ",".join("3" for _ in ids))
    src = tmp_path / "wide.csv"
    src.write_text("\n".join(rows) + "\n")
    result = runner.invoke(
        app, ["migrate", str(src), "--to", V110, "-o", str(tmp_path / "o"), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["files"][0]["output"].endswith("wide.json")
    assert report["steps"][0]["added_missing"] == [
        "rel-dependable",
        "exp-wellbeing-in-role",
        "ctl-accessible-support",
    ]
    (sheet,) = json.loads((tmp_path / "o" / "wide.json").read_text())
    assert sheet["ratings"]["con-identity-communities"] == 3


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--to", V100], "already on enrich-peer-support@1.0.0"),
        (["--to", str(MINIMAL)], "different instruments"),
        (
            ["--to", V110, "--from-version", V110],
            "pinned to enrich-peer-support@1.0.0, not to --from-version",
        ),
    ],
    ids=["same-version", "other-instrument", "wrong-from"],
)
def test_migrate_refuses_with_a_reason_and_writes_nothing(
    tmp_path: Path, args: list[str], reason: str
) -> None:
    src = tmp_path / "audit.json"
    src.write_text(json.dumps(_sheets_100()))
    out = tmp_path / "out"
    result = runner.invoke(app, ["migrate", str(src), *args, "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr.startswith("refused: ") and reason in result.stderr
    assert not out.exists()


def test_migrate_refuses_invalid_sheets_and_unpinned_ones(tmp_path: Path) -> None:
    sheets = _sheets_100()
    sheets[1]["ratings"]["rel-shared-experience"] = 7
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(sheets))
    result = runner.invoke(app, ["migrate", str(bad), "--to", V110, "-o", str(tmp_path / "o")])
    assert result.exit_code == 1 and "FR101" in result.stderr
    unpinned = [{k: v for k, v in s.items() if k != "instrument"} for s in _sheets_100()]
    free = tmp_path / "free.json"
    free.write_text(json.dumps(unpinned))
    result = runner.invoke(app, ["migrate", str(free), "--to", V110, "-o", str(tmp_path / "o")])
    assert result.exit_code == 1 and "give it with --from-version" in result.stderr
    result = runner.invoke(
        app,
        ["migrate", str(free), "--from-version", V100, "--to", V110, "-o", str(tmp_path / "o")],
    )
    assert result.exit_code == 0, result.output


def test_migrate_never_overwrites_its_input(tmp_path: Path) -> None:
    src = tmp_path / "audit.json"
    original = json.dumps(_sheets_100())
    src.write_text(original)
    result = runner.invoke(app, ["migrate", str(src), "--to", V110, "-o", str(tmp_path)])
    assert result.exit_code == 2 and "would overwrite an input" in result.stderr
    assert src.read_text() == original


# -- new ----------------------------------------------------------------------------------------


def test_new_scaffolds_a_valid_commented_instrument(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", "my-index", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    path = tmp_path / "my-index" / "0.1.0.yaml"
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert text.count("\n#") >= 15  # every section is explained
    assert runner.invoke(app, ["lint", str(path)]).exit_code == 0
    inst = fidelity.load_instrument(path)
    assert inst.spec == "my-index@0.1.0" and inst.status == "draft"
    again = runner.invoke(app, ["new", "my-index", "--dir", str(tmp_path)])
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert runner.invoke(app, ["new", "My_Index", "--dir", str(tmp_path)]).exit_code == 2
    assert (
        runner.invoke(app, ["new", "x", "--version", "1.0", "--dir", str(tmp_path)]).exit_code == 2
    )


def test_new_extends_a_base(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", "local-index", "--dir", str(tmp_path), "--extends", V110])
    assert result.exit_code == 0, result.output
    path = tmp_path / "local-index" / "0.1.0.yaml"
    assert runner.invoke(app, ["lint", str(path)]).exit_code == 0
    inst = fidelity.load_instrument(path)
    assert inst.extends == V110
    assert len(inst.items) == len(fidelity.load_instrument(V110).items) + 1
    unpinned = runner.invoke(
        app, ["new", "other", "--dir", str(tmp_path), "--extends", "enrich-peer-support"]
    )
    assert unpinned.exit_code == 2 and "pinned version" in unpinned.stderr


# -- lock ---------------------------------------------------------------------------------------


def test_lock_check_passes_on_the_bundled_instruments() -> None:
    result = runner.invoke(app, ["lock", str(ROOT / "instruments"), "--check"])
    assert result.exit_code == 0, result.output


def test_lock_adds_released_versions_and_refuses_changed_ones(tmp_path: Path) -> None:
    folder = tmp_path / "mini"
    folder.mkdir()
    shutil.copy(MINIMAL, folder / "1.0.0.yaml")
    check = runner.invoke(app, ["lock", str(tmp_path), "--check"])
    assert check.exit_code == 1 and "unlocked mini@1.0.0" in check.stdout
    assert runner.invoke(app, ["lock", str(tmp_path)]).exit_code == 0
    assert "mini@1.0.0 sha256:" in (tmp_path / "released.lock").read_text()
    assert runner.invoke(app, ["lock", str(tmp_path), "--check"]).exit_code == 0
    path = folder / "1.0.0.yaml"
    path.write_text(path.read_text().replace("The person set the pace.", "Pace."))
    changed = runner.invoke(app, ["lock", str(tmp_path)])
    assert changed.exit_code == 1 and "a released version never changes" in changed.stdout
    lint = runner.invoke(app, ["lint", str(path)])
    assert lint.exit_code == 1 and f"{path}:4: FI201" in lint.stdout


# -- FIDELITY_INSTRUMENT_PATH and plugins --------------------------------------------------------


def test_derived_example_is_found_on_the_instrument_path() -> None:
    env = {**os.environ, "FIDELITY_INSTRUMENT_PATH": str(ROOT / "examples/extending/instruments")}
    run = subprocess.run(
        [sys.executable, "-m", "fidelity", "instruments", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    rows = {(r["id"], r["version"]): r for r in json.loads(run.stdout)}
    row = rows[("riverside-peer-support", "1.0.1")]
    assert row["source"].startswith("path:") and row["problem"] is None


def _build_wheel(project: Path, out: Path) -> Path:
    """A wheel of the example plugin, assembled from its pyproject.toml without a build
    backend (so the test runs offline): the package files plus a dist-info with the entry
    points the pyproject declares."""
    import base64
    import hashlib
    import tomllib
    import zipfile

    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    name, version = meta["name"], meta["version"]
    dist = f"{name.replace('-', '_')}-{version}"
    files: dict[str, bytes] = {}
    src = project / "src"
    for path in sorted(src.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            files[path.relative_to(src).as_posix()] = path.read_bytes()
    files[f"{dist}.dist-info/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        f"Requires-Python: {meta['requires-python']}\n"
    ).encode()
    files[f"{dist}.dist-info/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: fidelity-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    points = "".join(
        f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items())
        for group, eps in meta["entry-points"].items()
    )
    files[f"{dist}.dist-info/entry_points.txt"] = points.encode()
    record = []
    for arc, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{arc},sha256={digest},{len(data)}")
    record.append(f"{dist}.dist-info/RECORD,,")
    files[f"{dist}.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = out / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for arc, data in files.items():
            zf.writestr(arc, data)
    return wheel


@pytest.mark.slow
def test_plugin_package_installs_and_provides_its_instrument(tmp_path: Path) -> None:
    target = tmp_path / "site"
    wheel = _build_wheel(PLUGIN, tmp_path)
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    assert list(target.glob("fidelity_plugin_example-*.dist-info"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(ROOT / "src")])}
    env.pop("FIDELITY_INSTRUMENT_PATH", None)
    code = (
        "import fidelity\n"
        "inst = fidelity.load_instrument('example-plugin-index')\n"
        "print(inst.spec, inst.source)\n"
        "print([e.source for e in fidelity.list_instruments() if e.id == inst.id])\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("example-plugin-index@1.0.0 " + str(target))
    assert "plugin:fidelity-plugin-example" in run.stdout
    lint = subprocess.run(
        [sys.executable, "-m", "fidelity", "instruments"],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "200"},
        cwd=tmp_path,
        check=False,
    )
    assert lint.returncode == 0 and "example-plugin-index" in lint.stdout


# ---------------------------------------------------------------------------------------------
# migrate --from: REDCap exports and FHIR responses, and --from-version


def _redcap_export(tmp_path: Path, *, incomplete: str | None = None) -> Path:
    """The sheets of ``_sheets_100`` as a REDCap raw export, one record marked Incomplete."""
    from fidelity.interop import redcap

    inst = fidelity.load_instrument(V100)
    records = redcap.sheets_to_records(inst, _sheets_100())
    for r in records:
        if r["fi_assessment"] == incomplete:
            r[redcap.field_map(inst).complete_var] = "0"
    path = tmp_path / "export.csv"
    path.write_text(redcap.records_csv(inst, records), encoding="utf-8")
    return path


def test_migrate_a_redcap_export_end_to_end(tmp_path: Path) -> None:
    export = _redcap_export(tmp_path, incomplete="a3")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["migrate", "--from", "redcap", str(export), "--to", V110, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "warning: " in result.stderr and "FR702" in result.stderr and "record 4" in result.stderr
    assert "3 sheet(s) migrated to enrich-peer-support@1.1.0" in result.stdout
    migrated = json.loads((out / "export.json").read_text(encoding="utf-8"))
    assert [s["assessment"] for s in migrated] == ["a0", "a1", "a2"]
    assert all(s["instrument"] == V110 and s["migrations"][0]["from"] == V100 for s in migrated)
    before = fidelity.score(fidelity.load_instrument(V100), _sheets_100()[:3]).to_pandas()
    after = fidelity.score(fidelity.load_instrument(V110), out / "export.json").to_pandas()
    assert before["overall"].tolist() == after["overall"].tolist()
    # with the project's dictionary, the pinned version, and the incomplete form included
    dictionary = tmp_path / "dictionary.csv"
    from fidelity.interop import redcap

    dictionary.write_text(redcap.dictionary_csv(fidelity.load_instrument(V100)), encoding="utf-8")
    out2 = tmp_path / "out2"
    args = ["--dictionary", str(dictionary), "--include-incomplete", "--from-version", V100]
    result = runner.invoke(
        app, ["migrate", "--from", "redcap", str(export), *args, "--to", V110, "-o", str(out2)]
    )
    assert result.exit_code == 0, result.output
    assert "FR702" not in result.stderr
    assert len(json.loads((out2 / "export.json").read_text(encoding="utf-8"))) == 4


def test_migrate_refuses_a_redcap_label_export(tmp_path: Path) -> None:
    export = _redcap_export(tmp_path)
    export.write_bytes(export.read_bytes().replace(b",2\r\n", b",Complete\r\n"))
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["migrate", "--from", "redcap", str(export), "--to", V110, "-o", str(out)]
    )
    assert result.exit_code == 1
    assert "record 1" in result.stderr and "a label" in result.stderr
    assert not out.exists()


def test_migrate_fhir_responses(tmp_path: Path) -> None:
    from fidelity.interop import fhir

    inst = fidelity.load_instrument(V100)
    bundle = tmp_path / "responses.json"
    bundle.write_text(json.dumps(fhir.responses_bundle(fhir.responses(inst, _sheets_100()))))
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["migrate", "--from", "fhir", str(bundle), "--to", V110, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    migrated = json.loads((out / "responses.json").read_text(encoding="utf-8"))
    assert len(migrated) == 4 and all(s["instrument"] == V110 for s in migrated)


@pytest.mark.parametrize("value", [V100, "enrich-peer-support", "json"])
def test_migrate_from_takes_a_format_and_names_from_version(tmp_path: Path, value: str) -> None:
    src = tmp_path / "audit.json"
    src.write_text(json.dumps(_sheets_100()))
    result = runner.invoke(app, ["migrate", str(src), "--from", value, "--to", V110])
    assert result.exit_code == 2
    assert "--from-version ID@VERSION" in result.stderr
    assert "use one of file, redcap, fhir" in result.stderr


def test_migrate_redcap_options_need_from_redcap(tmp_path: Path) -> None:
    src = tmp_path / "audit.json"
    src.write_text(json.dumps(_sheets_100()))
    result = runner.invoke(
        app, ["migrate", str(src), "--include-incomplete", "--to", V110, "-o", str(tmp_path)]
    )
    assert result.exit_code == 2 and "go with --from redcap" in result.stderr
