"""Typed columnar tables with provenance: every table the library returns as an Arrow table, a
Polars DataFrame or a Parquet file, in one documented schema per table.

Pipelines join fidelity's tables to outcome data in pandas, Polars, DuckDB or Spark, so each
table has a fixed, tidy schema (:data:`TABLES`): one row per observation named by the table
(a sheet, an assessment, a site and score, ...), one column per variable, with a fixed name
and type. A table that has one column per domain (or per scale level) says so with a
*repeated* column, ``<domain>``, expanded in instrument order. A column that a table lacks
for some data (``round`` when no sheet names a round) is present and empty, so every batch
of one instrument version has the same schema, whatever its sheets hold.

Missing values (a score that cannot be computed, a sheet without a site) are nulls, never NaN.
An Arrow table carries its provenance in its schema metadata (``fidelity.provenance``, JSON:
instrument ``id@version``, content hash, library version, time, and the input files with their
SHA-256 when the table was made from files), and its name (``fidelity.table``); Parquet files
keep both, and :func:`read_parquet` gives them back.

pyarrow is imported when a table is converted, never when :mod:`fidelity` is imported; Polars
is optional (``pip install 'fidelity[polars]'``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from fidelity._util.atomic import atomic_write

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    import pyarrow as pa

__all__ = [
    "PROVENANCE_KEY",
    "SCORE_TABLES",
    "TABLES",
    "TABLE_KEY",
    "Column",
    "DType",
    "ParquetTable",
    "TableSchema",
    "arrow_schema",
    "arrow_view",
    "input_digests",
    "parquet_bytes",
    "read_parquet",
    "schema_markdown",
    "to_arrow",
    "to_polars",
    "with_provenance",
    "write_parquet",
]

PROVENANCE_KEY = "fidelity.provenance"
"""Schema metadata key of a table's provenance (JSON)."""
TABLE_KEY = "fidelity.table"
"""Schema metadata key of a table's name in :data:`TABLES`."""

DType = Literal["string", "float64", "int64", "bool"]
"""The column types of the schemas (Arrow ``string``, ``double``, ``int64``, ``bool``)."""

_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class Column:
    """One column of a table schema: its name, type and meaning. A ``repeated`` column stands
    for several: one per domain (``<domain>``) or scale level (``shares_<level>``); its name
    is the prefix of theirs followed by a ``<placeholder>``."""

    name: str
    dtype: DType
    doc: str
    repeated: bool = False

    @property
    def prefix(self) -> str:
        """What the names of a repeated column's columns start with."""
        return self.name.split("<", 1)[0]


@dataclass(frozen=True)
class TableSchema:
    """The schema of one table: its name, what one row is, and its columns in order."""

    name: str
    row: str
    columns: tuple[Column, ...]

    def names(self, repeated: Sequence[str] = ()) -> list[str]:
        """The column names, a repeated column expanded to ``prefix + name`` for each of
        ``repeated`` (domain ids or scale levels)."""
        out: list[str] = []
        for c in self.columns:
            out.extend([c.prefix + r for r in repeated] if c.repeated else [c.name])
        return out


def _c(name: str, dtype: DType, doc: str) -> Column:
    return Column(name, dtype, doc, repeated="<" in name)


_SHEET_ID = (
    _c("assessment", "string", "assessment id (one interview or review)"),
    _c("rater", "string", "rater id"),
    _c("site", "string", "site id; null when the sheet names none"),
    _c("informant", "string", "informant group interviewed; null when none"),
    _c("date", "string", "date of the assessment as on the sheet (ISO 8601); null when none"),
    _c("round", "string", "audit round; null when the sheet names none"),
)
_SCORES = (
    _c("<domain>", "float64", "domain score, one column per domain id in instrument order"),
    _c("overall", "float64", "overall score; null when the scoring rules leave it missing"),
    _c("band", "string", "id of the band holding the overall score; null when none"),
)
_SUMMARY = (
    _c("n", "int64", "number of per-assessment scores"),
    _c("mean", "float64", "mean"),
    _c("sd", "float64", "standard deviation (n − 1 denominator); null below two values"),
    _c("min", "float64", "smallest"),
    _c("max", "float64", "largest"),
)
_FLAGS = _c("flags", "string", "flags raised (criteria in the report), `; `-separated")


def _estimate(name: str, doc: str) -> tuple[Column, ...]:
    return (
        _c(name, "float64", f"{doc}; null when undefined"),
        _c(f"{name}_low", "float64", "lower end of its confidence interval"),
        _c(f"{name}_high", "float64", "upper end of its confidence interval"),
    )


_SCHEMAS = (
    TableSchema(
        "scores",
        "one rating sheet",
        (
            *_SHEET_ID,
            _c("consensus", "bool", "whether the sheet is the consensus of the raters"),
            *_SCORES,
            _c("n_answered", "int64", "items answered with a level"),
            _c("n_na", "int64", "items answered NA (not applicable)"),
            _c("n_missing", "int64", "items asked but not answered"),
            _c("n_not_asked", "int64", "items not asked of the sheet's informant"),
            _c("source", "string", "where the sheet came from (file and row, line or index)"),
            _c("migrated_from", "string", "version the sheet was rated on, if migrated"),
        ),
    ),
    TableSchema(
        "scores_by_assessment",
        "one assessment (one per round when sheets name rounds)",
        (
            _c("assessment", "string", "assessment id"),
            _c("round", "string", "audit round; null when no sheet names one"),
            _c("site", "string", "site id; null when none"),
            _c("informant", "string", "informant group; null when none"),
            _c("basis", "string", "consensus, single rating, or mean of N raters"),
            _c("n_sheets", "int64", "sheets of the assessment"),
            *_SCORES,
        ),
    ),
    TableSchema(
        "scores_by_site",
        "one site and score (each domain, then overall)",
        (
            _c("site", "string", "site id; `(no site)` for sheets without one"),
            _c("score", "string", "domain id or `overall`"),
            *_SUMMARY,
        ),
    ),
    TableSchema(
        "site_scores",
        "one site",
        (
            _c("site", "string", "site id; `(no site)` for sheets without one"),
            _c("n_assessments", "int64", "assessments combined"),
            _c("informants", "string", "informant groups that contributed, `, `-separated"),
            *_SCORES,
        ),
    ),
    TableSchema(
        "site_round_scores",
        "one site and audit round",
        (
            _c("site", "string", "site id"),
            _c("round", "string", "audit round"),
            _c("n_assessments", "int64", "assessments combined"),
            *_SCORES,
            _c("n_<domain>", "int64", "the site's assessments with that domain's score"),
            _c("n_overall", "int64", "the site's assessments with an overall score"),
        ),
    ),
    TableSchema(
        "round_changes",
        "one site and score between two consecutive rounds",
        (
            _c("site", "string", "site id"),
            _c("score", "string", "domain id or `overall`"),
            _c("from", "string", "earlier round"),
            _c("to", "string", "later round"),
            _c("before", "float64", "score in the earlier round"),
            _c("after", "float64", "score in the later round"),
            _c("change", "float64", "after − before"),
            _c("se", "float64", "standard error of the change from rating error"),
            _c("threshold", "float64", "smallest change beyond measurement error"),
            _c("verdict", "string", "beyond or within measurement error"),
        ),
    ),
    TableSchema(
        "measurement_error",
        "one score (each domain, then overall)",
        (
            _c("score", "string", "domain id or `overall`"),
            _c("icc", "float64", "inter-rater ICC of the reliability report"),
            _c("n", "int64", "double-rated assessments"),
            _c("sd", "float64", "SD of the per-assessment scores"),
            _c("sem", "float64", "standard error of measurement"),
            _c("sdc", "float64", "smallest detectable change of one rated interview"),
        ),
    ),
    TableSchema(
        "reliability_scores",
        "one score (each domain, then overall)",
        (
            _c("target", "string", "domain id or `overall`"),
            *_estimate("icc", "inter-rater ICC in the design's form"),
            _c("n_incomplete", "int64", "double-rated assessments without both scores"),
            *_estimate("alpha_interval", "Krippendorff's interval alpha"),
            _FLAGS,
        ),
    ),
    TableSchema(
        "reliability_items",
        "one item",
        (
            _c("item", "string", "item id"),
            _c("domain", "string", "domain id"),
            _c("n_pairable", "int64", "double-rated assessments with two answers"),
            *_estimate("exact", "exact agreement"),
            *_estimate("within_one", "agreement within one level"),
            *_estimate("ac2", "Gwet's AC2, quadratic weights"),
            *_estimate("alpha_ordinal", "Krippendorff's ordinal alpha"),
            _c("na_disagreements", "int64", "pairs where one rater answered NA"),
            _FLAGS,
        ),
    ),
    TableSchema(
        "reliability_consistency",
        "one domain",
        (
            _c("domain", "string", "domain id"),
            *_estimate("alpha", "Cronbach's alpha"),
            _c("standardized_alpha", "float64", "standardized alpha"),
            *_estimate("omega", "McDonald's omega (total), one-factor minres"),
            *_estimate("ordinal_alpha", "ordinal alpha, from polychoric correlations"),
            _c("missing", "string", "how missing answers were handled"),
            _FLAGS,
        ),
    ),
    TableSchema(
        "reliability_item_total",
        "one item of a domain",
        (
            _c("domain", "string", "domain id"),
            _c("item", "string", "item id"),
            _c("r_item_total", "float64", "corrected item–total correlation"),
            _c("alpha_if_deleted", "float64", "Cronbach's alpha without the item"),
            _c("low_item_total", "bool", "whether r_item_total is below the criterion"),
        ),
    ),
    TableSchema(
        "reliability_spread",
        "one item",
        (
            _c("item", "string", "item id"),
            _c("domain", "string", "domain id"),
            _c("n_answered", "int64", "answers with a level"),
            _c("n_na", "int64", "answers NA"),
            _c("shares_<level>", "float64", "share of answers at each level of the scale"),
            _c("floor", "float64", "share at the lowest level"),
            _c("ceiling", "float64", "share at the highest level"),
            _c("unused_levels", "string", "levels nobody chose, `; `-separated"),
            _FLAGS,
        ),
    ),
    TableSchema(
        "problems",
        "one problem found in the rating sheets",
        (
            _c("file", "string", "input file; null for sheets given in memory"),
            _c("row", "int64", "spreadsheet row, JSON Lines line or list index of the sheet"),
            _c("assessment", "string", "assessment id of the sheet, when known"),
            _c("rater", "string", "rater id of the sheet, when known"),
            _c("item", "string", "item id, when the problem is about one item"),
            _c("value", "string", "the offending value as read, as text"),
            _c("allowed", "string", "what would be accepted, in plain words"),
            _c("code", "string", "problem code (FR…)"),
            _c("severity", "string", "error or warning"),
            _c("message", "string", "what is wrong"),
        ),
    ),
)

TABLES: Mapping[str, TableSchema] = {s.name: s for s in _SCHEMAS}
"""Every table the library returns, by name (the names of the CLI's output files)."""

SCORE_TABLES = ("scores", "scores_by_assessment", "scores_by_site", "site_scores")
"""The tables of a :class:`~fidelity.scoring.ScoreResult`: per sheet, per assessment, per site
and score (the spread), per site."""


def _schema_of(table: str) -> TableSchema:
    found = TABLES.get(table)
    if found is None:
        raise ValueError(f"unknown table {table!r}; the tables are {', '.join(TABLES)}")
    return found


def _pyarrow() -> Any:
    import pyarrow

    return pyarrow


def _arrow_type(dtype: DType) -> pa.DataType:
    arrow = _pyarrow()
    types = {
        "string": arrow.string,
        "float64": arrow.float64,
        "int64": arrow.int64,
        "bool": arrow.bool_,
    }
    found: pa.DataType = types[dtype]()
    return found


def arrow_schema(
    table: str, repeated: Sequence[str] = (), provenance: Mapping[str, Any] | None = None
) -> pa.Schema:
    """The Arrow schema of ``table`` (a name in :data:`TABLES`), its repeated column expanded
    for ``repeated`` (domain ids or scale levels); each field's meaning is in its metadata.
    ``schema.empty_table()`` is an empty table of that shape (a Dask ``meta``)."""
    arrow = _pyarrow()
    spec = _schema_of(table)
    fields = []
    for c in spec.columns:
        for name in [c.prefix + r for r in repeated] if c.repeated else [c.name]:
            fields.append(arrow.field(name, _arrow_type(c.dtype), metadata={"description": c.doc}))
    schema: pa.Schema = arrow.schema(fields, metadata=_metadata(table, provenance or {}))
    return schema


def _metadata(table: str, provenance: Mapping[str, Any]) -> dict[str, str]:
    return {TABLE_KEY: table, PROVENANCE_KEY: _dumps(provenance)}


def _dumps(data: Mapping[str, Any]) -> str:
    def plain(v: Any) -> Any:
        return v.item() if hasattr(v, "item") else str(v)

    return json.dumps(dict(data), ensure_ascii=False, sort_keys=True, default=plain)


def _repeated_names(frame: pd.DataFrame, spec: TableSchema) -> list[str]:
    """The names a table's repeated columns stand for (domain ids or scale levels), read from
    the frame's columns of the repeated column with the shortest prefix (a table may repeat
    more than one column, ``<domain>`` and ``n_<domain>``, over the same names); a column the
    schema does not name is an error (the schema and the table builder disagree)."""
    fixed = {c.name for c in spec.columns if not c.repeated}
    reps = sorted((c for c in spec.columns if c.repeated), key=lambda c: -len(c.prefix))
    extra = [str(c) for c in frame.columns if c not in fixed]
    owner = {c: next((r for r in reps if c.startswith(r.prefix)), None) for c in extra}
    wrong = [c for c, r in owner.items() if r is None]
    if wrong:
        raise ValueError(f"table {spec.name!r} has no column {', '.join(map(repr, wrong))}")
    if not reps:
        return []
    base = reps[-1]
    return [c[len(base.prefix) :] for c, r in owner.items() if r is base]


def to_arrow(
    frame: pd.DataFrame, table: str, provenance: Mapping[str, Any] | None = None
) -> pa.Table:
    """A pandas table of the library as an Arrow table in the schema of ``table``: columns in
    schema order, typed, missing values as nulls, absent columns empty. The provenance is
    ``provenance``, else ``frame.attrs["provenance"]``."""
    arrow = _pyarrow()
    spec = _schema_of(table)
    repeated = _repeated_names(frame, spec)
    prov = provenance if provenance is not None else frame.attrs.get("provenance", {})
    schema = arrow_schema(table, repeated, prov)
    arrays = []
    for f in schema:
        if f.name in frame.columns:
            arrays.append(_array(frame[f.name], f.type))
        else:
            arrays.append(arrow.nulls(len(frame), f.type))
    out: pa.Table = arrow.Table.from_arrays(arrays, schema=schema)
    return out


def arrow_view(views: Mapping[str, Callable[[], pd.DataFrame]], table: str) -> pa.Table:
    """The Arrow table ``table`` of an object whose pandas tables ``views`` builds (name →
    function); an unknown name is a ``ValueError`` listing the known ones."""
    view = views.get(table)
    if view is None:
        raise ValueError(f"unknown table {table!r}; use one of {', '.join(views)}")
    return to_arrow(view(), table)


def _array(col: pd.Series[Any], typ: pa.DataType) -> pa.Array:
    """One column as an Arrow array of ``typ``: NaN, ``None``, ``pd.NA`` and ``NaT`` as null,
    other values as they are (in a text column, a value that is not text as its text)."""
    import pandas as pd

    arrow = _pyarrow()
    try:
        found: pa.Array = arrow.array(col, type=typ, from_pandas=True)
        return found
    except (arrow.ArrowInvalid, arrow.ArrowTypeError):
        missing = pd.isna(col).tolist()
        text = typ == arrow.string()
        cells = [
            None if gone else (str(v) if text and not isinstance(v, str) else v)
            for v, gone in zip(col.tolist(), missing, strict=True)
        ]
        converted: pa.Array = arrow.array(cells, type=typ)
        return converted


def with_provenance(table: pa.Table, **extra: Any) -> pa.Table:
    """``table`` with ``extra`` added to its provenance (say the input files, from
    :func:`input_digests`)."""
    meta = dict(table.schema.metadata or {})
    prov = json.loads(meta.get(PROVENANCE_KEY.encode(), b"{}"))
    prov.update(extra)
    meta[PROVENANCE_KEY.encode()] = _dumps(prov).encode()
    out: pa.Table = table.replace_schema_metadata(meta)
    return out


def input_digests(paths: Iterable[str | os.PathLike[str]]) -> list[dict[str, Any]]:
    """Each input file's path, size in bytes and SHA-256, for a table's provenance."""
    out = []
    for p in paths:
        digest = hashlib.sha256()
        size = 0
        with Path(p).open("rb") as fh:
            while chunk := fh.read(_READ_CHUNK):
                digest.update(chunk)
                size += len(chunk)
        out.append({"path": str(p), "bytes": size, "sha256": digest.hexdigest()})
    return out


def to_polars(table: pa.Table) -> pl.DataFrame:
    """An Arrow table as a Polars DataFrame (Polars keeps no schema metadata: the provenance
    stays with the Arrow table and the Parquet file). Needs Polars."""
    try:
        import polars as pl
    except ImportError as exc:
        raise ImportError(
            "to_polars() needs Polars, which is not installed: pip install 'fidelity[polars]' "
            "(or pip install polars); to_arrow() and to_pandas() work without it"
        ) from exc
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def parquet_bytes(table: pa.Table) -> bytes:
    """``table`` as a Parquet file (zstd-compressed), its provenance in the key-value
    metadata, ready to be written atomically."""
    arrow = _pyarrow()
    import pyarrow.parquet as pq

    sink = arrow.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    data: bytes = sink.getvalue().to_pybytes()
    return data


def write_parquet(table: pa.Table, path: str | os.PathLike[str]) -> None:
    """Write ``table`` to a Parquet file atomically: readers see the old file or the whole
    new one."""
    atomic_write(Path(path), parquet_bytes(table))


class ParquetTable(NamedTuple):
    """A table read back from a Parquet file: the Arrow table, its name in :data:`TABLES`
    (``None`` for a file fidelity did not write) and its provenance."""

    table: pa.Table
    name: str | None
    provenance: dict[str, Any]


def read_parquet(path: str | os.PathLike[str]) -> ParquetTable:
    """Read a Parquet file written by fidelity: the same table and the same provenance."""
    import pyarrow.parquet as pq

    table = pq.read_table(Path(path))
    meta = table.schema.metadata or {}
    name = meta.get(TABLE_KEY.encode())
    prov = json.loads(meta.get(PROVENANCE_KEY.encode(), b"{}"))
    return ParquetTable(table, name.decode() if name is not None else None, prov)


def schema_markdown(table: str) -> str:
    """The schema of ``table`` as a Markdown table (column, type, meaning), for the docs."""
    spec = _schema_of(table)
    lines = [
        f"`{spec.name}`: one row per {spec.row}.",
        "",
        "| column | type | meaning |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{c.name}` | {c.dtype} | {c.doc} |" for c in spec.columns]
    return "\n".join(lines)
