"""Migration of rating sheets from one version of an instrument to another, through the declared
item mappings; refused, with every reason, where that would change what a rating means.

Every migrated sheet gets a ``migrations`` record: from and to (with content hashes), the
mapping used, what was renamed, dropped and added, and the comparability of scores on the
version the sheet was first rated on with scores on the new one (what score provenance
reports, so that scoring never has to compare versions itself).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fidelity._util.time import utc_timestamp
from fidelity._util.version import __version__
from fidelity.errors import MigrationRefused
from fidelity.instrument import Instrument
from fidelity.instrument.catalog import load_instrument
from fidelity.ratings import ANSWERED, NA, SheetBatch, as_batch, check_sheets, read_sheets
from fidelity.versions.diff import diff
from fidelity.versions.mapping import Loader

__all__ = [
    "MigratedFile",
    "MigrationResult",
    "MigrationStep",
    "migrate",
    "migrate_files",
    "migrate_records",
    "plan_migration",
]

_JSONL = (".jsonl", ".ndjson")


@dataclass(frozen=True)
class MigrationStep:
    """How sheets of ``old`` become sheets of ``new``."""

    old: Instrument
    new: Instrument
    item_map: dict[str, str | None]
    """Every item of ``old`` → its counterpart in ``new`` (``None``: no counterpart)."""
    mapping_source: str
    added: tuple[str, ...]
    """Items of ``new`` with no counterpart in ``old``: missing on migrated sheets."""
    comparability: dict[str, Any] = field(default_factory=dict)
    """Per-domain and overall comparability of scores on ``old`` with scores on ``new``
    (:meth:`Diff.comparability_summary`)."""

    @property
    def renamed(self) -> dict[str, str]:
        """Items whose id changed."""
        return {k: v for k, v in self.item_map.items() if v is not None and v != k}

    @property
    def dropped(self) -> tuple[str, ...]:
        """Items of ``old`` with no counterpart in ``new``."""
        return tuple(k for k, v in self.item_map.items() if v is None)

    def describe(self) -> str:
        """One line for the terminal."""
        parts = [f"{self.old.spec} → {self.new.spec} ({self.mapping_source})"]
        if self.renamed:
            parts.append("renamed " + ", ".join(f"{a}→{b}" for a, b in self.renamed.items()))
        if self.dropped:
            parts.append("dropped " + ", ".join(self.dropped))
        if self.added:
            parts.append("new (left missing) " + ", ".join(self.added))
        return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# Planning


def _refuse_unrelated(old: Instrument, new: Instrument) -> None:
    """Refuse two different instruments, or the same version twice."""
    if old.id != new.id:
        raise MigrationRefused(
            [
                f"{old.spec} and {new.spec} are different instruments; migration works between "
                "versions of one instrument"
            ]
        )
    if old.version == new.version:
        if old.content_hash != new.content_hash:
            raise MigrationRefused(
                [
                    f"two different files both claim to be {new.spec}; a released version never "
                    "changes"
                ]
            )
        raise MigrationRefused([f"the sheets are already on {new.spec}"])


def _meaning_changes(old: Instrument, new: Instrument, mapping: dict[str, str | None]) -> list[str]:
    """Mapped items whose ratings would mean something else under ``new``."""
    old_scales = {s.id: s for s in old.scales}
    new_scales = {s.id: s for s in new.scales}
    new_items = {it.id: it for it in new.items}
    reasons: list[str] = []
    for o in old.items:
        target = mapping.get(o.id)
        if target is None:
            continue
        n = new_items[target]
        a, b = old_scales[o.scale].values, new_scales[n.scale].values
        if a != b:
            reasons.append(
                f"item {o.id} → {n.id}: levels {list(a)} → {list(b)}; item_map maps ids, not "
                "values, so these ratings cannot be carried over"
            )
        if o.reverse != n.reverse:
            reasons.append(
                f"item {o.id} → {n.id}: reverse scoring flipped, so the same level would mean "
                "the opposite; these ratings cannot be carried over"
            )
    return reasons


def plan_migration(
    old: Instrument, new: Instrument, *, loader: Loader | None = load_instrument
) -> MigrationStep:
    """Check that sheets of ``old`` can be carried to ``new`` and say how; raise
    :class:`MigrationRefused` with every reason otherwise.

    Refused: different instruments; the same version; versions that no chain of
    ``changes.previous`` links (so no mapping was ever declared between them); a mapped item
    whose levels differ (item_map maps ids, not values) or whose reverse flag flipped (the
    same number would then mean the opposite).
    """
    _refuse_unrelated(old, new)
    d = diff(old, new, loader=loader)
    if d.mapping_source == "item ids":
        raise MigrationRefused(
            [
                f"no chain of changes.previous links {old.spec} and {new.spec}, so no item "
                "mapping was declared between them"
            ]
        )
    reasons = _meaning_changes(old, new, d.item_map)
    if reasons:
        raise MigrationRefused(reasons)
    targets = {v for v in d.item_map.values() if v is not None}
    added = tuple(it.id for it in new.items if it.id not in targets)
    return MigrationStep(old, new, d.item_map, d.mapping_source, added, d.comparability_summary())


# ---------------------------------------------------------------------------------------------
# Records


class _Comparabilities:
    """Comparability with ``step.new`` of each version sheets were first rated on, found once
    per version (the step's own for sheets rated on ``step.old``)."""

    def __init__(self, step: MigrationStep, loader: Loader | None) -> None:
        self._step = step
        self._loader = loader
        self._found: dict[str, dict[str, Any]] = {step.old.spec: step.comparability}

    def of(self, origin: str) -> dict[str, Any]:
        found = self._found.get(origin)
        if found is None:
            found = self._found[origin] = self._compare(origin)
        return {"origin": origin, **found}

    def _compare(self, origin: str) -> dict[str, Any]:
        try:
            if self._loader is None:
                raise LookupError("no loader to find it with")
            first = self._loader(origin)
        except Exception as exc:  # provenance must not fail because an old version is gone
            return {"error": f"cannot load {origin}: {exc}"}
        return diff(first, self._step.new, loader=self._loader).comparability_summary()


def _carried(values: dict[str, Any], step: MigrationStep) -> tuple[dict[str, Any], dict[str, Any]]:
    """``values`` (ratings or comments) keyed by the new item ids, and those of items with no
    counterpart (dropped, by old id)."""
    kept: dict[str, Any] = {}
    dropped: dict[str, Any] = {}
    for old_id, value in values.items():
        target = step.item_map.get(old_id)
        if target is None:
            dropped[old_id] = value
        else:
            kept[target] = value
    return kept, dropped


def _refusals(rec: dict[str, Any], step: MigrationStep, who: str) -> list[str]:
    """Why the ratings of one sheet cannot be carried to ``step.new`` without changing their
    meaning."""
    new_items = {it.id: it for it in step.new.items}
    informant = rec.get("informant")
    out: list[str] = []
    if informant is not None and informant not in {i.id for i in step.new.informants}:
        out.append(f"{who}: informant {informant!r} is not an informant of {step.new.spec}")
    for old_id, value in rec.get("ratings", {}).items():
        target = step.item_map.get(old_id)
        if target is None:
            continue
        item = new_items[target]
        if value == "NA" and not item.allow_na:
            out.append(f"{who}: {old_id} is NA, which {target} in {step.new.spec} does not allow")
        if value is not None and informant is not None and informant not in item.informants:
            out.append(
                f"{who}: {target} is not asked of informant {informant} in "
                f"{step.new.spec}, but the sheet rates {old_id}"
            )
    return out


def _entry(
    rec: dict[str, Any],
    step: MigrationStep,
    dropped: tuple[dict[str, Any], dict[str, Any]],
    comparability: dict[str, Any],
    stamp: str,
) -> dict[str, Any]:
    """The ``migrations`` record of one migrated sheet."""
    ratings, comments = dropped
    entry: dict[str, Any] = {
        "from": step.old.spec,
        "from_hash": step.old.content_hash,
        "to": step.new.spec,
        "to_hash": step.new.content_hash,
        "mapping": step.mapping_source,
        "renamed": {a: b for a, b in step.renamed.items() if a in rec.get("ratings", {})},
        "dropped": ratings,
        "added_missing": list(step.added),
        "comparability": comparability,
        "by": f"fidelity {__version__}",
        "at": stamp,
    }
    if comments:
        entry["dropped_comments"] = comments
    return entry


def _migrated(
    rec: dict[str, Any], step: MigrationStep, comparabilities: _Comparabilities, stamp: str
) -> dict[str, Any]:
    """One sheet record carried to ``step.new`` (checked by :func:`_refusals` first)."""
    ratings, dropped = _carried(rec.get("ratings", {}), step)
    for new_id in step.added:
        ratings[new_id] = None
    order = {it.id: i for i, it in enumerate(step.new.items)}
    out: dict[str, Any] = {
        key: rec[key] for key in rec if key not in ("ratings", "comments", "migrations")
    }
    out["instrument"] = step.new.spec
    out["ratings"] = dict(sorted(ratings.items(), key=lambda kv: order[kv[0]]))
    comments, dropped_comments = _carried(rec.get("comments", {}), step)
    if comments:
        out["comments"] = comments
    previous = rec.get("migrations")
    history = list(previous) if isinstance(previous, list) else []
    origin = history[0].get("from") if history and isinstance(history[0], dict) else None
    comparability = comparabilities.of(origin if isinstance(origin, str) else step.old.spec)
    entry = _entry(rec, step, (dropped, dropped_comments), comparability, stamp)
    out["migrations"] = [*history, entry]
    return out


def migrate_records(
    records: list[dict[str, Any]],
    step: MigrationStep,
    *,
    at: str | None = None,
    where: list[str] | None = None,
    loader: Loader | None = load_instrument,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Migrate checked sheet records (plain dicts whose ratings are ints, ``"NA"`` or
    ``None``); return the migrated records and the reasons any of them cannot be migrated.

    A rating moves to the mapped item; an item with no counterpart is dropped and its value
    (and comment) kept in the provenance record; an item new in the target version is set to
    ``None`` (missing). NA on an item that no longer allows it, an informant the target
    version does not know, or a rating for an item no longer asked of the sheet's informant
    cannot be carried over without changing its meaning, and is refused. ``loader`` finds the
    version a sheet was first rated on when it was migrated before (for comparability).
    """
    stamp = at if at is not None else utc_timestamp()
    comparabilities = _Comparabilities(step, loader)
    out: list[dict[str, Any]] = []
    problems: list[str] = []
    for k, rec in enumerate(records):
        label = where[k] if where is not None else f"sheet {k}"
        who = f"{label} (assessment {rec.get('assessment')}, rater {rec.get('rater')})"
        problems.extend(_refusals(rec, step, who))
        out.append(_migrated(rec, step, comparabilities, stamp))
    return out, problems


@dataclass(frozen=True)
class MigratedFile:
    """One output of :func:`migrate_files`."""

    source: str
    name: str
    text: str
    n_sheets: int


@dataclass(frozen=True)
class MigrationResult:
    """What :func:`migrate_files` produced (nothing is written yet)."""

    outputs: tuple[MigratedFile, ...]
    steps: tuple[MigrationStep, ...]

    def report(self, written: list[str]) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "steps": [
                {
                    "from": s.old.spec,
                    "to": s.new.spec,
                    "mapping": s.mapping_source,
                    "renamed": s.renamed,
                    "dropped": list(s.dropped),
                    "added_missing": list(s.added),
                }
                for s in self.steps
            ],
            "files": [
                {"input": o.source, "output": w, "sheets": o.n_sheets}
                for o, w in zip(self.outputs, written, strict=True)
            ],
        }


# ---------------------------------------------------------------------------------------------
# Sheets checked before they are migrated


def _record(inst: Instrument, checked: Any, i: int, rec: dict[str, Any]) -> dict[str, Any]:
    """Sheet ``i`` of a checked batch as a normalised record (``rec`` is its raw record)."""
    sheet: dict[str, Any] = {
        "instrument": inst.spec,
        "assessment": checked.assessment[i],
        "rater": checked.rater[i],
    }
    for name in ("site", "informant", "date"):
        value = getattr(checked, name)[i]
        if value is not None:
            sheet[name] = value
    if bool(checked.consensus[i]):
        sheet["consensus"] = True
    ratings: dict[str, Any] = {}
    for j, item in enumerate(inst.items):
        state = checked.state[i, j]
        if state == ANSWERED:
            ratings[item.id] = int(checked.values[i, j])
        elif state == NA:
            ratings[item.id] = "NA"
        elif item.id in rec.get("ratings", {}):
            ratings[item.id] = None
    sheet["ratings"] = ratings
    if rec.get("comments"):
        sheet["comments"] = dict(rec["comments"])
    if isinstance(rec.get("migrations"), list):
        sheet["migrations"] = rec["migrations"]
    return sheet


def _checked_records(inst: Instrument, sheets: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The sheets of a one-input batch as normalised records, after validating them on
    ``inst`` (errors become refusal reasons)."""
    batch = as_batch(sheets)
    checked = check_sheets(inst, batch)
    if not checked.problems.ok:
        return [], [str(p) for p in checked.problems.errors]
    return [_record(inst, checked, i, rec) for i, rec in enumerate(batch.records())], []


def migrate(
    sheets: list[dict[str, Any]],
    old: Instrument,
    new: Instrument,
    *,
    loader: Loader | None = load_instrument,
) -> list[dict[str, Any]]:
    """Migrate in-memory sheets (dicts) from ``old`` to ``new``; raise
    :class:`MigrationRefused` when the sheets are invalid on ``old`` or cannot be carried
    over."""
    step = plan_migration(old, new, loader=loader)
    records, problems = _checked_records(old, sheets)
    if problems:
        raise MigrationRefused(problems)
    migrated, problems = migrate_records(records, step, loader=loader)
    if problems:
        raise MigrationRefused(problems)
    return migrated


# ---------------------------------------------------------------------------------------------
# Files


class _Refused(Exception):
    """One input that cannot be migrated, with the reasons (the other inputs go on)."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(reasons)
        self.reasons = reasons


def _source_version(
    path: Path, one: SheetBatch, source: Instrument | None, loader: Loader | None
) -> Instrument:
    """The version the sheets of one input are on: ``source`` when given (they must be
    pinned to it), else the one version they are all pinned to."""
    pins = one.instruments()
    if source is not None:
        other = [p for p in pins if p != source.spec]
        if other:
            pinned = ", ".join(other)
            raise _Refused(
                [f"{path}: sheets are pinned to {pinned}, not to --from-version {source.spec}"]
            )
        return source
    unpinned = [r for r in one.records() if not r.get("instrument")]
    if len(pins) > 1:
        raise _Refused(
            [f"{path}: sheets name several versions ({', '.join(pins)}); migrate them apart"]
        )
    if unpinned or len(pins) != 1:
        raise _Refused(
            [f"{path}: some sheets name no instrument version; give it with --from-version"]
        )
    try:
        return (loader or load_instrument)(pins[0])
    except Exception as exc:
        raise _Refused([f"{path}: cannot load {pins[0]}: {exc}"]) from exc


def _output(path: Path, single: bool, migrated: list[dict[str, Any]]) -> tuple[str, str]:
    """The output file name for ``path`` and its text: JSON Lines for JSON Lines inputs, a
    JSON object for a single-sheet object, a JSON list otherwise."""
    if path.suffix.lower() in _JSONL:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in migrated)
        return path.stem + ".jsonl", text
    if single and len(migrated) == 1:
        return path.stem + ".json", json.dumps(migrated[0], indent=2, ensure_ascii=False) + "\n"
    return path.stem + ".json", json.dumps(migrated, indent=2, ensure_ascii=False) + "\n"


@dataclass
class _FileMigration:
    """What :func:`migrate_files` gathers across its inputs."""

    target: Instrument
    source: Instrument | None
    loader: Loader | None
    steps: dict[str, MigrationStep] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def step(self, old: Instrument, path: Path) -> MigrationStep:
        """The migration plan from ``old`` (made once per version)."""
        found = self.steps.get(old.spec)
        if found is None:
            try:
                found = plan_migration(old, self.target, loader=self.loader)
            except MigrationRefused as exc:
                raise _Refused([f"{path}: {r}" for r in exc.reasons]) from exc
        self.steps[old.spec] = found
        return found

    def one(self, path: Path, seg: Any) -> MigratedFile:
        """Migrate the sheets of one input, or raise :class:`_Refused`."""
        one = SheetBatch([seg])
        old = _source_version(path, one, self.source, self.loader)
        step = self.step(old, path)
        records, problems = _checked_records(old, one)
        if problems:
            raise _Refused(problems)
        where = [f"{path} sheet {k + 1}" for k in range(len(records))]
        migrated, problems = migrate_records(records, step, where=where, loader=self.loader)
        if problems:
            raise _Refused(problems)
        after = check_sheets(self.target, migrated)
        if not after.problems.ok:
            raise _Refused([f"{path}: after migration: {p}" for p in after.problems.errors])
        name, text = _output(path, seg.locator == "single", migrated)
        if name in self.names:
            raise _Refused([f"{path} and {self.names[name]} would both be written to {name}"])
        self.names[name] = str(path)
        return MigratedFile(str(path), name, text, len(migrated))


def migrate_files(
    files: Iterable[str | os.PathLike[str]],
    target: Instrument,
    *,
    source: Instrument | None = None,
    loader: Loader | None = load_instrument,
    sheets: SheetBatch | None = None,
) -> MigrationResult:
    """Read, check and migrate rating-sheet files to ``target``; raise
    :class:`MigrationRefused` (listing every reason) when anything cannot be migrated.

    Each input gives one output named after it: JSON for ``.json``, ``.csv`` and ``.xlsx``
    inputs (tables have no place for provenance), JSON Lines for ``.jsonl``. The source
    version is ``source`` or the version the sheets are pinned to. Migrated sheets are
    validated on ``target`` before anything is returned. ``sheets`` are the files already
    read, one segment per file (for example a REDCap export through
    ``read_sheets(files, format="redcap")``); reading warnings in them (FR702, a form not
    marked Complete and left out) are the caller's to report.
    """
    paths = [Path(f) for f in files]
    batch = read_sheets(paths) if sheets is None else sheets
    reasons = [str(p) for p in batch.problems if p.severity == "error"]
    if reasons:
        raise MigrationRefused(reasons)
    run = _FileMigration(target, source, loader)
    outputs: list[MigratedFile] = []
    for path, seg in zip(paths, batch.segments, strict=True):
        try:
            outputs.append(run.one(path, seg))
        except _Refused as exc:
            reasons.extend(exc.reasons)
    if reasons:
        raise MigrationRefused(reasons)
    return MigrationResult(tuple(outputs), tuple(run.steps.values()))
