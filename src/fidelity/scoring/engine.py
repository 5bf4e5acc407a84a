"""Scoring rating sheets: per-sheet domain and overall scores, bands, and the
:class:`ScoreResult` that holds them (see :mod:`fidelity.scoring` for the rules)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from fidelity._util.jsontext import json_document, records
from fidelity._util.time import utc_timestamp
from fidelity._util.version import __version__
from fidelity.columnar import SCORE_TABLES, arrow_view, to_polars
from fidelity.instrument import Instrument
from fidelity.instrument.catalog import as_instrument
from fidelity.ratings import (
    ANSWERED,
    MISSING,
    NA,
    NOT_ASKED,
    CompiledInstrument,
    SheetBatch,
    SheetsInvalidError,
    as_batch,
    check_sheets,
    compile_instrument,
)
from fidelity.ratings.checks.extras import refuse_clash
from fidelity.scoring._tables import (
    assessment_table,
    informant_lists,
    site_codes,
    site_spread,
)
from fidelity.scoring._views import result_html, result_repr

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    import pyarrow as pa

__all__ = ["DECIMALS", "ScoreResult", "assign_bands", "score", "score_values"]

_SCORE_COLUMNS = ("overall", "band", "n_answered", "n_na", "n_missing", "n_not_asked", "source")

DECIMALS = 10
"""Domain and overall scores are rounded to this many decimal places."""


def score(
    inst: Instrument | str, sheets: Any, *, keep: Iterable[str] | str | None = None
) -> ScoreResult:
    """Validate and score rating sheets on ``inst`` (an instrument or its spec).

    ``sheets``: a path or list of paths, a sheet dict or :class:`~fidelity.ratings.RatingSheet`,
    a list of them, a pandas, Polars or pyarrow frame, or a :class:`~fidelity.ratings.SheetBatch`.
    Raises :class:`~fidelity.ratings.SheetsInvalidError` (listing every problem) when the
    sheets have errors; warnings (unanswered required items) do not stop scoring and stay
    available as ``result.problems``. ``keep`` declares metadata columns (``"notes,arm"``)
    carried unchanged to the per-sheet table (see :func:`~fidelity.ratings.validate`).
    """
    inst = as_instrument(inst)
    batch = as_batch(sheets)
    checked = check_sheets(inst, batch, keep=keep)
    if not checked.problems.ok:
        raise SheetsInvalidError(checked.problems)
    c = compile_instrument(inst)
    refuse_clash(checked.metadata, (*c.domain_ids, *_SCORE_COLUMNS, "migrated_from"))
    domains, overall = score_values(c, checked.values)
    band = assign_bands(c, overall)
    state = checked.state
    migrated_from, comparability = _migrations(batch, inst.spec)
    return ScoreResult(
        instrument=inst.spec,
        content_hash=inst.content_hash,
        fidelity_version=__version__,
        scored_at=utc_timestamp(),
        domain_ids=c.domain_ids,
        assessment=checked.assessment,
        rater=checked.rater,
        site=checked.site,
        informant=checked.informant,
        date=checked.date,
        consensus=checked.consensus,
        source=checked.source,
        domains=domains,
        overall=overall,
        band=band,
        n_answered=(state == ANSWERED).sum(axis=1),
        n_na=(state == NA).sum(axis=1),
        n_missing=(state == MISSING).sum(axis=1),
        n_not_asked=(state == NOT_ASKED).sum(axis=1),
        problems=checked.problems.copy(),
        _compiled=c,
        migrated_from=migrated_from,
        comparability=comparability,
        round=checked.round if any(r is not None for r in checked.round.tolist()) else None,
        metadata=checked.metadata or None,
    )


def _migrations(
    batch: SheetBatch, spec: str
) -> tuple[NDArray[Any] | None, dict[str, dict[str, Any]]]:
    """Per sheet, the version it was originally rated on when ``fidelity migrate`` rewrote
    it (``None`` for sheets that were not migrated; ``None`` when no sheet was migrated), and
    per such version the comparability with ``spec`` that the migration recorded."""
    parts = []
    found = False
    recorded: dict[str, dict[str, Any]] = {}
    for seg in batch.segments:
        col = seg.fields.get("migrations")
        out = np.full(seg.n, None, dtype=object)
        if col is not None:
            for i, steps in enumerate(col.tolist()):
                if isinstance(steps, list) and steps and isinstance(steps[0], dict):
                    out[i] = steps[0].get("from")
                    found = True
                    _note_comparability(recorded, out[i], steps[-1], spec)
        parts.append(out)
    if not found:
        return None, {}
    return (np.concatenate(parts) if parts else None), recorded


def _note_comparability(
    recorded: dict[str, dict[str, Any]], origin: Any, last: Any, spec: str
) -> None:
    """Keep the comparability the last migration of a sheet recorded between its original
    version ``origin`` and ``spec`` (the first one found per original version)."""
    if not isinstance(origin, str) or origin in recorded or not isinstance(last, dict):
        return
    found = last.get("comparability")
    if isinstance(found, dict) and found.get("origin") == origin and last.get("to") == spec:
        recorded[origin] = {k: v for k, v in found.items() if k != "origin"}


def score_values(
    c: CompiledInstrument | Instrument, values: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Domain and overall scores of a sheets × items array of level values.

    ``values[s, j]`` is sheet ``s``'s level on item ``j`` (instrument item order), NaN when
    not answered (NA, missing or not asked). Returns ``(domains, overall)``: a sheets ×
    domains array and a vector, NaN where missing, rounded to :data:`DECIMALS` places. The
    loop runs over items and domains (a few dozen), never over sheets.
    """
    if isinstance(c, Instrument):
        c = compile_instrument(c)
    values = np.asarray(values, dtype=float)
    n = values.shape[0]
    domains = np.empty((n, len(c.domain_ids)))
    overall = np.empty(n)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        domains[start:stop], overall[start:stop] = _score_block(c, values[start:stop])
    return np.round(domains, DECIMALS), np.round(overall, DECIMALS)


_BLOCK = 32_768
"""Sheets scored at a time: each block is turned item-major, so that every item's column is
contiguous, and its temporary arrays stay small whatever the number of sheets."""


def _score_block(
    c: CompiledInstrument, values: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """:func:`score_values` (unrounded) of one block of sheets."""
    vt = np.ascontiguousarray(values.T)
    n = vt.shape[1]
    answered = ~np.isnan(vt)
    item_score = np.where(c.reverse[:, None], (c.hi + c.lo)[:, None] - vt, vt)
    item_score = np.where(answered, item_score, 0.0)
    domains = np.full((len(c.domain_ids), n), np.nan)
    total_num = np.zeros(n)
    total_den = np.zeros(n)
    for d, idx in enumerate(c.domain_items):
        num = np.zeros(n)
        den = np.zeros(n)
        count = np.zeros(n, dtype=np.int64)
        for j in idx.tolist():
            w = c.weight[j]
            a = answered[j]
            num += w * item_score[j]
            den += w * a
            count += a
        enough = count >= c.min_answered[d]
        np.divide(num, den, out=domains[d], where=enough)
        total_num += num
        total_den += den
    missing_domains = np.isnan(domains).sum(axis=0)
    allowed = missing_domains <= c.inst.scoring.max_missing_domains
    overall = np.full(n, np.nan)
    if c.inst.scoring.overall == "mean_of_items":
        np.divide(total_num, total_den, out=overall, where=allowed & (total_den > 0))
    else:
        present = len(c.domain_ids) - missing_domains
        acc = np.zeros(n)
        for d in range(len(c.domain_ids)):
            col = domains[d]
            acc += np.where(np.isnan(col), 0.0, col)
        np.divide(acc, present, out=overall, where=allowed & (present > 0))
    return domains.T, overall


def assign_bands(c: CompiledInstrument | Instrument, overall: NDArray[np.float64]) -> NDArray[Any]:
    """Band id of every overall score (``None`` when missing or outside every band).

    Same rule as :meth:`Instrument.band_for`: closed-open bands, the top band closed."""
    if isinstance(c, Instrument):
        c = compile_instrument(c)
    x = np.asarray(overall, dtype=float)
    k = np.searchsorted(c.band_lower, x, side="right") - 1
    last = len(c.band_ids) - 1
    kk = np.clip(k, 0, last)
    upper = c.band_upper[kk]
    inside = (k >= 0) & ~np.isnan(x) & ((x < upper) | ((kk == last) & (x == upper)))
    ids = np.array([*c.band_ids, None], dtype=object)
    out: NDArray[Any] = ids[np.where(inside, kk, last + 1)]
    return out


@dataclass(frozen=True, eq=False)
class ScoreResult:
    """Scores of a batch of sheets, one row per sheet, with provenance.

    Arrays are aligned with the input order. ``problems`` keeps the validation warnings
    (unanswered required items) that did not stop scoring.
    """

    instrument: str
    content_hash: str
    fidelity_version: str
    scored_at: str
    domain_ids: tuple[str, ...]
    assessment: NDArray[Any]
    rater: NDArray[Any]
    site: NDArray[Any]
    informant: NDArray[Any]
    date: NDArray[Any]
    consensus: NDArray[np.bool_]
    source: NDArray[Any]
    domains: NDArray[np.float64]
    overall: NDArray[np.float64]
    band: NDArray[Any]
    n_answered: NDArray[np.int64]
    n_na: NDArray[np.int64]
    n_missing: NDArray[np.int64]
    n_not_asked: NDArray[np.int64]
    problems: Sequence[Any]
    _compiled: CompiledInstrument
    migrated_from: NDArray[Any] | None = None
    """Per sheet, the version it was rated on if ``fidelity migrate`` carried it to this one."""
    comparability: dict[str, dict[str, Any]] | None = None
    """Per version migrated sheets were rated on, the comparability of its scores with scores
    on this one, as the migration recorded it in the sheets (``domains``, ``overall``)."""
    round: NDArray[Any] | None = None
    """Per sheet, its audit round (``None`` where empty); ``None`` when no sheet names one."""
    metadata: dict[str, NDArray[Any]] | None = None
    """The declared metadata columns (``keep``), one value per sheet as read."""
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return int(self.overall.shape[0])

    def __repr__(self) -> str:
        """A few lines: instrument, counts, the overall scores and bands (never the arrays)."""
        return result_repr(self)

    def _repr_html_(self) -> str:
        """The same summary and the first sheets' scores as a small HTML table (escaped)."""
        return result_html(self)

    @property
    def provenance(self) -> dict[str, Any]:
        """Where the numbers come from: instrument, its content hash, library version, time."""
        rules = self._compiled.inst.scoring
        return {
            "instrument": self.instrument,
            "content_hash": self.content_hash,
            "fidelity_version": self.fidelity_version,
            "scored_at": self.scored_at,
            "n_sheets": len(self),
            "overall_rule": rules.overall,
            "max_missing_domains": rules.max_missing_domains,
            "rounding": f"scores rounded to {DECIMALS} decimal places",
            **self._migration_note(),
        }

    def _migration_note(self) -> dict[str, Any]:
        if self.migrated_from is None:
            return {}
        origins = sorted({v for v in self.migrated_from.tolist() if v is not None})
        n = sum(v is not None for v in self.migrated_from.tolist())
        recorded = self.comparability or {}
        return {
            "migrated_sheets": n,
            "migrated_from": origins,
            "migration_note": f"{n} sheet(s) were rated on {', '.join(origins)} and migrated "
            f"to {self.instrument}; 'comparability' says which domain scores can be compared "
            "with scores on the original version",
            "comparability": {
                o: recorded[o] if o in recorded else _unrecorded(o, self.instrument)
                for o in origins
            },
        }

    def to_pandas(self) -> pd.DataFrame:
        """One row per sheet: assessment, rater, site, informant, date, (round, when any sheet
        names one), consensus, the declared metadata columns as read, one column
        per domain id, overall, band, n_answered, n_na, n_missing, n_not_asked and source
        (file and row). ``df.attrs["provenance"]`` holds :attr:`provenance`."""
        import pandas as pd

        data: dict[str, Any] = {
            "assessment": self.assessment,
            "rater": self.rater,
            "site": self.site,
            "informant": self.informant,
            "date": self.date,
            "consensus": self.consensus,
        }
        if self.round is not None:
            data["round"] = self.round
        for name, col in (self.metadata or {}).items():
            data.setdefault(name, col)
        for d, dom in enumerate(self.domain_ids):
            data[dom] = self.domains[:, d]
        data.update(
            overall=self.overall,
            band=self.band,
            n_answered=self.n_answered,
            n_na=self.n_na,
            n_missing=self.n_missing,
            n_not_asked=self.n_not_asked,
            source=self.source,
        )
        if self.migrated_from is not None:
            data["migrated_from"] = self.migrated_from
        frame = pd.DataFrame(data)
        frame.attrs["provenance"] = self.provenance
        return frame

    def by_assessment(self) -> pd.DataFrame:
        """One row per assessment: the consensus sheet's scores when there is one, otherwise
        the mean of the raters' scores (each score averaged over the raters who have it).
        ``basis`` says which ("consensus", "single rating" or "mean of N raters");
        ``n_sheets`` counts the sheets; the band is assigned to the averaged overall score.
        When sheets name audit rounds, an assessment is an (assessment, round) pair and a
        ``round`` column follows ``assessment``."""
        return self._cached("by_assessment", self._by_assessment)

    def _cached(self, key: str, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """A copy of the table ``build`` makes, built once per result."""
        return self._built(key, build).copy()

    def _built(self, key: str, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """The table ``build`` makes, built once per result (not to be changed: shared)."""
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = build()
        return cached

    def _site_codes(self, per: pd.DataFrame) -> tuple[NDArray[np.intp], NDArray[Any]]:
        """The site number of every assessment of ``per`` (the per-assessment table) and the
        sites in order, found once per result."""
        found = self._cache.get("site_codes")
        if found is None:
            found = self._cache["site_codes"] = site_codes(per["site"].to_numpy(dtype=object))
        codes: tuple[NDArray[np.intp], NDArray[Any]] = found
        return codes

    def _by_assessment(self) -> pd.DataFrame:
        import pandas as pd

        cols = [*self.domain_ids, "overall"]
        if not len(self):
            out = pd.DataFrame(
                columns=["assessment", "site", "informant", "basis", "n_sheets", *cols, "band"]
            )
            out.attrs["provenance"] = self.provenance
            return out
        keys = {"assessment": self.assessment}
        rounds = self.round if self.round is not None else (self.metadata or {}).get("round")
        if rounds is not None:
            keys["round"] = rounds
        scores = np.column_stack([self.domains, self.overall])
        table, means = assessment_table(
            keys, scores, self.consensus, self.site, self.informant, DECIMALS
        )
        for k, col in enumerate(cols):
            table[col] = means[:, k]
        out = pd.DataFrame(table)
        out["band"] = assign_bands(self._compiled, out["overall"].to_numpy(dtype=float))
        out.attrs["provenance"] = self.provenance
        return out

    def by_site(self) -> pd.DataFrame:
        """Per site and score (each domain, then overall): n, mean, SD (n − 1 denominator;
        empty below two values), min and max over the site's per-assessment scores
        (:meth:`by_assessment`). Sheets without a site are grouped as ``(no site)``."""
        return self._cached("by_site", self._by_site)

    def _by_site(self) -> pd.DataFrame:
        import pandas as pd

        per = self._built("by_assessment", self._by_assessment)
        names = ["site", "score", "n", "mean", "sd", "min", "max"]
        if per.empty:
            out = pd.DataFrame(columns=names)
        else:
            codes = self._site_codes(per)
            out = site_spread(per, [*self.domain_ids, "overall"], DECIMALS, codes)
        out.attrs["provenance"] = self.provenance
        return out

    def site_scores(self) -> pd.DataFrame:
        """One fidelity score per site, combining the evidence of all its interviews.

        Each domain score is the mean of the site's per-assessment domain scores
        (:meth:`by_assessment`), so an informant whose interview cannot score a domain (too
        few of its items are asked of them) does not leave the site without one. The overall
        score applies the instrument's rule to the site's domain scores: for
        ``mean_of_domains``, their mean, missing when more than ``max_missing_domains`` are
        missing; for ``mean_of_items``, the mean of the per-assessment overall scores. The
        band follows the overall score. ``informants`` lists whose interviews contributed.
        """
        return self._cached("site_scores", self._site_scores)

    def _site_scores(self) -> pd.DataFrame:
        import pandas as pd

        per = self._built("by_assessment", self._by_assessment)
        cols = list(self.domain_ids)
        names = ["site", "n_assessments", "informants", *cols, "overall", "band"]
        if per.empty:
            out = pd.DataFrame(columns=names)
            out.attrs["provenance"] = self.provenance
            return out
        number, sites = self._site_codes(per)
        groups = per.groupby(number, sort=True)
        domains = groups[cols].mean().astype(float)
        rules = self._compiled.inst.scoring
        if rules.overall == "mean_of_domains":
            missing = domains.isna().sum(axis=1)
            overall = domains.mean(axis=1).where(missing <= rules.max_missing_domains)
        else:
            overall = groups["overall"].mean().astype(float)
        out = pd.DataFrame(
            {
                "site": sites,
                "n_assessments": np.bincount(number, minlength=len(sites)).astype(np.int64),
                "informants": informant_lists(
                    number, per["informant"].to_numpy(dtype=object), len(sites)
                ),
            }
        )
        for col in cols:
            out[col] = np.round(domains[col].to_numpy(dtype=float), DECIMALS)
        out["overall"] = np.round(overall.to_numpy(dtype=float), DECIMALS)
        out["band"] = assign_bands(self._compiled, out["overall"].to_numpy(dtype=float))
        out.attrs["provenance"] = self.provenance
        return out

    def to_arrow(self, table: str = "scores") -> pa.Table:
        """One of :data:`~fidelity.columnar.SCORE_TABLES` as a typed Arrow table in its schema,
        the provenance in its metadata; kept metadata columns follow ``scores`` as text."""
        import pyarrow as pa

        kept = list(self.metadata or {}) if table == "scores" else []
        views = [self.to_pandas, self.by_assessment, self.by_site, self.site_scores]
        views[0] = lambda: self.to_pandas().drop(columns=kept)
        out = arrow_view(dict(zip(SCORE_TABLES, views, strict=True)), table)
        for k in kept:
            cells = [None if v is None else str(v) for v in (self.metadata or {})[k].tolist()]
            out = out.append_column(k, pa.array(cells, type=pa.string()))
        return out

    def to_polars(self, table: str = "scores") -> pl.DataFrame:
        """:meth:`to_arrow` as a Polars DataFrame (needs Polars)."""
        return to_polars(self.to_arrow(table))

    def to_dict(self) -> dict[str, Any]:
        """Provenance, domains, bands and the per-sheet, per-assessment and per-site tables
        as JSON-ready data (missing scores are ``null``)."""
        return {
            **self._json_head(),
            **{key: records(frame) for key, frame in self._json_tables().items()},
        }

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text (encoded column by column: the same text as
        ``json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)``, several times
        faster)."""
        return json_document(self._json_head(), self._json_tables(), indent=indent)

    def _json_head(self) -> dict[str, Any]:
        inst = self._compiled.inst
        return {
            "provenance": self.provenance,
            "domains": [{"id": d.id, "name": d.name} for d in inst.domains],
            "bands": [
                {"id": b.id, "label": b.label, "lower": b.lower, "upper": b.upper}
                for b in inst.scoring.bands
            ],
        }

    def _json_tables(self) -> dict[str, pd.DataFrame]:
        return {
            "sheets": self.to_pandas(),
            "assessments": self.by_assessment(),
            "sites": self.by_site(),
            "site_scores": self.site_scores(),
        }


def _unrecorded(origin: str, spec: str) -> dict[str, Any]:
    """What provenance says for sheets whose migration recorded no comparability (migrated by
    an older fidelity, or edited since)."""
    return {
        "error": f"the migration from {origin} recorded no comparability with {spec}; "
        f"`fidelity diff {origin} {spec}` shows it"
    }
