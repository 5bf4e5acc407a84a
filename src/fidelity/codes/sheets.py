"""Codes of rating sheets (``FR``): reading files, item values, sheet fields, relations between
sheets and exchange formats, in documentation order."""

from __future__ import annotations

from fidelity.codes._rule import Rule, _rule

__all__ = ["RULES"]

RULES: tuple[Rule, ...] = (
    _rule(
        "FR001",
        "error",
        "file cannot be read",
        "The file cannot be read (permissions, a directory).",
        template="cannot read file: {reason}",
    ),
    _rule(
        "FR002",
        "error",
        "no sheets",
        (
            "The file is empty or holds no sheets (an empty JSON list, an empty worksheet, a "
            "table with a header but no rows); or no sheets were given at all."
        ),
    ),
    _rule(
        "FR003",
        "error",
        "unsupported file type",
        "Unsupported file type: use `.csv`, `.json`, `.jsonl`/`.ndjson` or `.xlsx`.",
        template="unsupported file type {suffix!r}: use .csv, .json, .jsonl or .xlsx",
    ),
    _rule(
        "FR004",
        "error",
        "not UTF-8 text",
        "Not UTF-8 text: binary data (a NUL byte) or an undecodable byte; the line is given.",
    ),
    _rule(
        "FR005",
        "error",
        "input beyond the size limits",
        "The file is larger than 512 MiB, a table's header has more than 5,000 columns, or "
        "the sheets name more than 2,000 distinct item ids; nothing of the file is read.",
        template="file is too large ({size:,} bytes; the limit is {limit:,})",
    ),
    _rule(
        "FR010",
        "error",
        "malformed JSON",
        (
            "Malformed JSON, with line and column (JSON Lines: per line; the other lines are "
            "still read). JSON is read strictly: `NaN`, `Infinity` and a key given twice in "
            "one object are refused."
        ),
    ),
    _rule(
        "FR011",
        "error",
        "JSON holds no sheet",
        "A JSON file holds neither a sheet (object) nor a list of sheets.",
        template=(
            "a JSON rating-sheet file holds one sheet (an object) or a list of sheets, not {kind}"
        ),
    ),
    _rule(
        "FR012",
        "error",
        "JSON element is not an object",
        "An element of a JSON list, or a JSON Lines record, is not an object.",
        template="a rating sheet must be a JSON object, not {kind}",
    ),
    _rule(
        "FR020",
        "error",
        "wrong header",
        (
            "Wrong header: no `assessment` or `rater` column, an unnamed column, or (long "
            "layout)"
            " a column that is neither a sheet field nor `item`, `value`, `comment`."
        ),
    ),
    _rule(
        "FR021",
        "error",
        "duplicate column",
        "Wrong header: a column name appears twice.",
        template="wrong header: column(s) {columns} appear more than once",
    ),
    _rule(
        "FR023",
        "error",
        "row does not fit the header",
        (
            "A row has more or fewer fields than the header (usually an unquoted comma or a "
            "missing cell). The row is skipped; the others are checked."
        ),
    ),
    _rule(
        "FR024",
        "error",
        "malformed CSV",
        "Malformed CSV (an unterminated quote, a quote inside an unquoted field such as "
        '`ab"c`); the rest of the file was not read.',
    ),
    _rule(
        "FR025",
        "error",
        "unreadable XLSX workbook",
        "The file cannot be read as an XLSX workbook.",
        template="cannot read as an XLSX workbook ({error})",
    ),
    _rule(
        "FR030",
        "error",
        "XLSX workbook refused",
        (
            "An XML part of the workbook declares a DTD (no spreadsheet program writes one; it "
            "opens the door to entity expansion), is larger uncompressed than the bound (a zip "
            "bomb), or is missing or broken. Save the file again from a spreadsheet program."
        ),
        "XLSX workbook refused: {reason}",
    ),
    _rule(
        "FR031",
        "error",
        "merged cells",
        (
            "Merged cells hold a value only in their first cell: a site typed once across several"
            " rows would leave the other rows without one. Unmerge and fill each cell."
        ),
        "cells {range} are merged: only {first} holds a value; unmerge and fill them",
    ),
    _rule(
        "FR032",
        "error",
        "formula without a cached value",
        (
            "A formula cell has no saved result (written by a program that does not calculate), "
            "so it is not read as empty but refused, and its row skipped. A formula with a saved "
            "result is read as that result, as the spreadsheet showed it."
        ),
        "cell {cell} holds the formula ={formula} but no saved result",
    ),
    _rule(
        "FR033",
        "error",
        "no visible ratings worksheet",
        (
            "The worksheet `ratings` is hidden, or no worksheet is visible. Without `ratings`, the "
            "first *visible* worksheet is read, never a hidden one."
        ),
        "no visible worksheet to read: {reason}",
    ),
    _rule(
        "FR101",
        "error",
        "value not on the item's scale",
        "The value is a whole number but not a level of the item's scale.",
        template='item {item} ("{label}"): {reason}; allowed: {allowed} (or empty)',
    ),
    _rule(
        "FR102",
        "error",
        "not a level value",
        (
            "The value is not a level value at all: wrong type (text in JSON, a decimal, "
            "true/false) or unreadable text. The message says what to write instead."
        ),
        template='item {item} ("{label}"): {reason}; allowed: {allowed} (or empty)',
    ),
    _rule(
        "FR103",
        "error",
        "NA not allowed",
        "`NA` on an item that does not allow it.",
        template='item {item} ("{label}"): {reason}; allowed: {allowed} (or empty)',
    ),
    _rule(
        "FR104",
        "error",
        "unknown item",
        (
            "Unknown item id (a JSON key, a long-layout row, or a CSV/XLSX column: reported "
            "once,"
            " on the header), with the nearest known id when there is one. A table column "
            "that resembles no item and no sheet field is not an error but extra (FR207)."
        ),
    ),
    _rule(
        "FR105",
        "warning",
        "required item unanswered",
        (
            "A required item asked of this informant has no answer. It is left out of the "
            "domain "
            "mean; the domain is missing if fewer than `min_answered` items are answered. "
            "`--strict` makes this an error."
        ),
        template=(
            'required item {item} ("{label}") has no answer; it is left out of the domain score'
        ),
    ),
    _rule(
        "FR106",
        "error",
        "item not asked of this informant",
        (
            "The item is answered (or `NA`) but is not asked of the sheet's informant; leave "
            "it "
            "empty."
        ),
        template=(
            'item {item} ("{label}") is not asked of the informant {informant}, '
            "only of {askees}; leave it empty"
        ),
    ),
    _rule(
        "FR107",
        "error",
        "missing item column",
        "Wrong header: a table has no column for a required item.",
        template='wrong header: no column for the required item {item} ("{label}")',
    ),
    _rule(
        "FR108",
        "error",
        "item repeated in a long-layout sheet",
        "Long layout: the same item appears twice for one sheet (the first row counts).",
        template=("item {item} is given more than once for this sheet; only the first row counts"),
    ),
    _rule(
        "FR109",
        "error",
        "comment on an unknown item, or not text",
        "A comment on an unknown item, or a comment that is not text.",
    ),
    _rule(
        "FR201",
        "error",
        "assessment or rater missing",
        "`assessment` or `rater` is missing or empty.",
    ),
    _rule(
        "FR202",
        "error",
        "field of the wrong type or form",
        (
            "A field has the wrong type or form: `assessment`/`rater`/`site`/`informant` not "
            "text, `date` not a calendar date `YYYY-MM-DD`, `consensus` not true/false (CSV: "
            "`true`, `false` in any case, or empty), `ratings`/`comments` not an object, "
            "`migrations` not a list of steps with `from` and `to` versions."
        ),
    ),
    _rule(
        "FR203",
        "error",
        "unknown sheet field",
        (
            "A JSON sheet has a field that looks like a mistyped sheet field (`Rater`, "
            "`asessment`); the message names the field it resembles. Other fields are "
            "extra: declared metadata or one warning (FR207)."
        ),
        template="unknown field {field!r} in a rating sheet; allowed: {allowed}",
    ),
    _rule(
        "FR204",
        "error",
        "sheet pinned to another instrument version",
        (
            "The sheet is pinned to another instrument or version, or names the instrument "
            "without a version. Its ratings are then not judged against the version checked "
            "(that would only repeat the cause). When the sheets of one file are on several "
            "versions of the instrument, the message says which rows are on which version; "
            "`fidelity validate` without `--instrument` checks them against the newest one, "
            "and `fidelity migrate --to` moves the others to it."
        ),
    ),
    _rule(
        "FR205",
        "error",
        "unknown informant",
        "The informant is not one of the instrument's informants.",
        template="unknown informant {value!r}; {spec} knows {known}",
    ),
    _rule(
        "FR206",
        "error",
        "id with spaces around it or an invisible character",
        (
            "An `assessment`, `rater` or `site` has spaces around it, or holds a control, "
            "zero-width, byte-order-mark, direction-mark or line-separator character, or a "
            "space other than the plain space. Such an id looks like another one but is not "
            "the same, so it would silently count as a different rater, site or assessment. "
            "Retype the id; the sheet is not scored until it is fixed."
        ),
        template="{field} {value!r} {why}; retype it as the other sheets spell it",
    ),
    _rule(
        "FR207",
        "warning",
        "extra columns left out",
        (
            "A table has columns, or JSON sheets have fields, that are neither sheet fields nor "
            "items of the instrument nor declared metadata (`notes`, `arm`, `interviewer`): "
            "all of them are named in one warning per file and left out of the outputs. "
            "Declare them with `--keep-columns notes,arm` (`keep=` in Python) to carry them "
            "unchanged to every per-sheet output. A column that looks like a mistyped item "
            "(the same id but for case or separators, a close spelling, or an item id's shape "
            "with other digits) is never left out quietly: it is an error (FR104, or FR020 "
            "and FR203 for one like a sheet field) that names the id it resembles."
        ),
    ),
    _rule(
        "FR301",
        "error",
        "duplicate sheet",
        (
            "Duplicate sheet: the same (assessment, rater) pair appears twice (across all "
            "files "
            "given); the first occurrence is named."
        ),
        template=(
            "duplicate sheet: assessment {assessment} rated by {rater} already appears at {first}"
        ),
    ),
    _rule(
        "FR302",
        "error",
        "more than one consensus sheet",
        "More than one consensus sheet for an assessment.",
        template="assessment {assessment} has more than one consensus sheet",
    ),
    _rule(
        "FR303",
        "error",
        "sheets of an assessment disagree on site or informant",
        "Sheets of one assessment name different sites or informants.",
        template=(
            "sheets of assessment {assessment} disagree on {field}: {value} here, "
            "{first} on its first sheet"
        ),
    ),
    _rule(
        "FR304",
        "error",
        "long-layout rows of a sheet disagree",
        (
            "Long layout: rows of one sheet disagree on a sheet field (site, informant, date, "
            "…) or on a declared metadata column (`--keep-columns`, `keep=`), of which an "
            "output carries one value per sheet. A blank cell of a declared column does not "
            "disagree: the sheet's value is that of its first row with one."
        ),
        template=(
            "rows of one sheet disagree on {field}: {value!r} here but {first!r} on row {row}"
        ),
    ),
    _rule(
        "FR305",
        "error",
        "one id spelled two ways",
        (
            "Two sheets spell an `assessment`, `rater` or `site` in ways that differ only in "
            "case, character width or Unicode form (`Ben` and `ben`, `North` and `NORTH`, "
            "`Zoë` typed composed and decomposed), across all files given. Counted as two "
            "ids, they would split one rater or site in two (turning a crossed reliability "
            "design into a nested one) or count a double-rated assessment twice. Every "
            "sheet with a later spelling is reported with the first spelling and where it "
            "is; write the id the same way everywhere. Informants and item ids must match "
            "the instrument's own exactly and are reported as unknown otherwise (FR205, FR104)."
        ),
        template="{field} {value!r} here and {first!r} at {where} differ only in case, "
        "width or Unicode form; write one id the same way on every sheet",
    ),
    _rule(
        "FR702",
        "warning",
        "REDCap form not complete",
        "A REDCap form not marked Complete (2): left out unless `--include-incomplete`.",
        template="{where}: the form is not Complete ({status}); left out "
        "(pass --include-incomplete to score it)",
    ),
)
