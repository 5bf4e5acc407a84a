"""The registry of every problem code: ``FI`` codes for instrument files, ``FR`` codes for
rating sheets.

Each code is declared once, here, with its severity, title, explanation and documentation
anchor; problems are built from it (:func:`rule` refuses an unregistered code), and the rule
tables of the reference pages are generated from it, so the code, the messages and the docs
cannot drift apart. This module is the bottom layer: it imports nothing from fidelity.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = ["REGISTRY", "Rule", "Severity", "rule", "rules"]

Severity = Literal["error", "warning"]
"""How bad a problem is: an ``error`` stops scoring and loading, a ``warning`` is reported."""


@dataclass(frozen=True)
class Rule:
    """One problem code: what it means and where it is documented."""

    code: str
    """``FI101``, ``FR202``: stable, never reused for another meaning."""
    severity: Severity
    """The default severity of a problem with this code."""
    title: str
    """A few words, as the docs' heading or table shows them."""
    explanation: str
    """What the code means and what to do, in Markdown (the docs show it)."""
    template: str = "{detail}"
    """The message template; fields in braces are filled by :meth:`message`."""

    @property
    def family(self) -> str:
        """``FI`` (instrument files) or ``FR`` (rating sheets)."""
        return self.code[:2]

    @property
    def docs(self) -> str:
        """The page and anchor of the code in the documentation site."""
        page = "lint-rules" if self.family == "FI" else "problem-codes"
        return f"reference/{page}.md#{self.code.lower()}"

    def message(self, **fields: object) -> str:
        """The message for a problem with this code, from :attr:`template`."""
        return self.template.format(**fields)


def _rule(
    code: str, severity: Severity, title: str, explanation: str, template: str = "{detail}"
) -> Rule:
    return Rule(code, severity, title, explanation, template)


REGISTRY: dict[str, Rule] = {
    r.code: r
    for r in (
        _rule(
            "FI000",
            "error",
            "unreadable file or YAML syntax error",
            "The file cannot be read, is empty, is not UTF-8 text, or is not valid YAML.",
        ),
        _rule(
            "FI001",
            "error",
            "schema violation",
            "The data does not match the [instrument JSON Schema](instrument-format.md): a "
            "required key is missing, a key is unknown, a value has the wrong type, is not among "
            "the allowed values or does not match the required pattern. The message names the "
            "rule that failed and the path shows where. A document whose top level is not a "
            "mapping is also reported as `FI001`.",
        ),
        _rule(
            "FI002",
            "error",
            "YAML feature refused",
            "Instrument files hold plain data only: mappings, lists, strings, numbers, booleans "
            "and null. Tags that would construct objects (such as `!!python/object`), merge keys "
            "(`<<`) and keys that are not plain scalars are refused.",
        ),
        _rule(
            "FI003",
            "error",
            "file too large",
            "Instrument files are limited to 2 MiB (2,097,152 bytes); the bundled one is a few "
            "tens of kilobytes. The limit is checked before the file is parsed.",
        ),
        _rule(
            "FI004",
            "error",
            "alias expansion or nesting beyond the limits",
            "A document may expand to at most 200,000 values once YAML aliases are followed, "
            'and may nest at most 64 levels deep. This refuses "billion laughs" documents, '
            "which use a few lines of nested aliases to expand into billions of values, "
            "before they consume memory.",
        ),
        _rule(
            "FI005",
            "error",
            "duplicate key",
            "A mapping names the same key twice. Plain YAML loaders keep the last value silently; "
            "here it is an error, because one of the two values was surely not meant.",
        ),
        _rule(
            "FI010",
            "error",
            "model constraint",
            "A value passes the schema but breaks a constraint of the instrument model, for "
            "example an infinite weight written as `.inf`.",
            "model: {detail}",
        ),
        _rule(
            "FI101",
            "error",
            "duplicate id",
            "Ids must be unique among the citations, informants, principles, scales, domains, "
            "items and bands of an instrument (each kind separately).",
            "duplicate {kind} id {id!r} (first at {section}[{first}])",
        ),
        _rule(
            "FI102",
            "error",
            "unknown reference",
            "A reference names an id that does not exist: a domain's principle, an item's domain, "
            "informant, scale, or principle tag. The message lists the ids that do exist.",
            "{what} unknown {kind} {value!r}; known: {known}",
        ),
        _rule(
            "FI104",
            "error",
            "anchors do not match the scale",
            "Every item gives its own behavioural anchor for every level of its scale, and no "
            "anchors for levels the scale does not have.",
            "item {item!r}: {detail}; scale {scale!r} has levels {levels}",
        ),
        _rule(
            "FI105",
            "error",
            "NA allowed but not defined",
            "An item has `allow_na: true`, but its scale defines no `NA` code.",
            "item {item!r} allows NA but scale {scale!r} defines no 'NA' code",
        ),
        _rule(
            "FI106",
            "error",
            "scale levels out of order, or duplicate codes",
            "A scale's level values must strictly increase in the order they are listed (which "
            "also rules out two levels with the same value), and each non-score code may be "
            "listed once.",
        ),
        _rule(
            "FI107",
            "error",
            "domain cannot be scored",
            "A domain has no items, or its `min_answered` is larger than its number of items, so "
            "that its score could never be computed.",
        ),
        _rule(
            "FI108",
            "error",
            "bands do not cover the score range",
            "The overall score bands are closed-open intervals `[lower, upper)` (the top band "
            "also includes its upper bound) that must cover the range of possible overall scores "
            "exactly: no band with `upper <= lower`, no gap, no overlap, nothing below the lowest "
            "or above the highest possible score. The range follows from the scales and the "
            "scoring rule.",
        ),
        _rule(
            "FI109",
            "error",
            "principle not measured",
            "Every principle must be measured: an ordinary principle by at least one domain, a "
            "cross-cutting principle (`cross_cutting: true`) by a domain or by a tag on at least "
            "one item.",
        ),
        _rule(
            "FI110",
            "error",
            "item map target problems",
            "In `changes.item_map`, which maps item ids of the previous version to ids in this "
            "one, every target must be an item of this version, no two old items may map to the "
            "same new one, and renames may not chase each other round in a cycle (`a: b` with `b: "
            "a`), which would make migrated ratings depend on the order the renames are applied "
            "in.",
        ),
        _rule(
            "FI111",
            "error",
            "file in the wrong place",
            "Catalog directories use the layout `<dir>/<id>/<version>.yaml`. A file whose "
            "declared `id` and `version` differ from its place is refused when it is loaded "
            "through the catalog (by id, or when listing instruments), because rating sheets pin "
            "`id@version` and must get exactly that file. `fidelity lint` checks files by path "
            "and so does not apply this rule; `fidelity instruments` shows such a file as invalid.",
            "file declares {declared} but its place in the catalog says {placed} (expected "
            "<dir>/{id}/{version}.yaml)",
        ),
        _rule(
            "FI112",
            "error",
            "derived instrument does not resolve",
            "A file with `extends: <id>@<version>` inherits its base's entries and adds its own "
            "(see [Extending instruments](../extending.md#derived-instruments-extends)). The base "
            "must load; chains of bases may not form a cycle or run deeper than eight; the "
            "derived instrument needs an id of its own; and an inherited entry cannot be changed "
            "(a local variant needs its own id).",
        ),
        _rule(
            "FI201",
            "error",
            "released version changed",
            "A released version never changes. The content hashes of released versions are kept "
            "in `released.lock` at the root of the instrument directory (`<dir>/released.lock`, "
            "next to the `<id>/` folders); `fidelity lock <dir>` adds new released versions and "
            "never rewrites an entry. A released file whose hash differs from its entry is "
            "refused: put the change in a new version.",
        ),
        _rule(
            "FI202",
            "error",
            "previous version not found",
            "`changes.previous` must name a lower version of the same instrument that can be "
            "found next to the file or in the catalog. Without `changes.previous`, the highest "
            "lower version found is compared.",
        ),
        _rule(
            "FI203",
            "error",
            "item map does not fit the previous version",
            "Checked against the previous version: every key of `changes.item_map` must be an "
            "item of it, and an item mapped onto an id that an unmapped old item still holds "
            "would give that id two sources.",
        ),
        _rule(
            "FI204",
            "error",
            "version bump too small",
            "The changes since the previous version decide the smallest bump: wording only → "
            "patch; additions that leave every existing sheet's scores unchanged → minor; "
            "anything that changes an existing sheet's score or validity → major (a minor bump "
            "while the major version is 0). The message names the changes that require the bump; "
            "`fidelity diff OLD NEW` lists them all.",
            "{old} → {new} is a {actual} bump, but the changes since {since} are {severity} "
            "and need a {needed} bump: {changes}",
        ),
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
            "The file is empty or holds no sheets (an empty JSON list, an empty worksheet, a "
            "table with a header but no rows); or no sheets were given at all.",
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
            "file too large",
            "The file is larger than the limit (512 MiB).",
            template="file is too large ({size:,} bytes; the limit is {limit:,})",
        ),
        _rule(
            "FR010",
            "error",
            "malformed JSON",
            "Malformed JSON, with line and column (JSON Lines: per line; the other lines are "
            "still read).",
        ),
        _rule(
            "FR011",
            "error",
            "JSON holds no sheet",
            "A JSON file holds neither a sheet (object) nor a list of sheets.",
            template=(
                "a JSON rating-sheet file holds one sheet (an object) or a list of "
                "sheets, not {kind}"
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
            "Wrong header: no `assessment` or `rater` column, an unnamed column, or (long layout) "
            "a column that is neither a sheet field nor `item`, `value`, `comment`.",
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
            "A row has more or fewer fields than the header (usually an unquoted comma or a "
            "missing cell). The row is skipped; the others are checked.",
        ),
        _rule(
            "FR024",
            "error",
            "malformed CSV",
            "Malformed CSV (an unterminated quote); the rest of the file was not read.",
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
            "An XML part of the workbook declares a DTD (no spreadsheet program writes one; it "
            "opens the door to entity expansion), is larger uncompressed than the bound (a zip "
            "bomb), or is missing or broken. Save the file again from a spreadsheet program.",
            template="XLSX workbook refused: {reason}",
        ),
        _rule(
            "FR031",
            "error",
            "merged cells",
            "Merged cells hold a value only in their first cell: a site typed once across "
            "several rows would leave the other rows without one. Unmerge and fill each cell.",
            template="cells {range} are merged: only {first} holds a value; unmerge and fill them",
        ),
        _rule(
            "FR032",
            "error",
            "formula without a cached value",
            "A formula cell has no saved result (written by a program that does not calculate), "
            "so it is not read as empty but refused, and its row skipped. A formula with a saved "
            "result is read as that result, as the spreadsheet showed it.",
            template="cell {cell} holds the formula ={formula} but no saved result",
        ),
        _rule(
            "FR033",
            "error",
            "no visible ratings worksheet",
            "The worksheet `ratings` is hidden, or no worksheet is visible. Without `ratings`, "
            "the first *visible* worksheet is read, never a hidden one.",
            template="no visible worksheet to read: {reason}",
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
            "The value is not a level value at all: wrong type (text in JSON, a decimal, "
            "true/false) or unreadable text. The message says what to write instead.",
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
            "Unknown item id (a JSON key, a long-layout row, or a CSV/XLSX column: reported once, "
            "on the header), with the nearest known id when there is one.",
        ),
        _rule(
            "FR105",
            "warning",
            "required item unanswered",
            "A required item asked of this informant has no answer. It is left out of the domain "
            "mean; the domain is missing if fewer than `min_answered` items are answered. "
            "`--strict` makes this an error.",
            template=(
                'required item {item} ("{label}") has no answer; it is left out of the domain score'
            ),
        ),
        _rule(
            "FR106",
            "error",
            "item not asked of this informant",
            "The item is answered (or `NA`) but is not asked of the sheet's informant; leave it "
            "empty.",
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
            template=(
                "item {item} is given more than once for this sheet; only the first row counts"
            ),
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
            "A field has the wrong type or form: `assessment`/`rater`/`site`/`informant` not "
            "text, `date` not a calendar date `YYYY-MM-DD`, `consensus` not true/false (CSV: "
            "`true`, `false` in any case, or empty), `ratings`/`comments` not an object.",
        ),
        _rule(
            "FR203",
            "error",
            "unknown sheet field",
            "A JSON sheet has a field that is not part of a rating sheet.",
            template="unknown field {field!r} in a rating sheet; allowed: {allowed}",
        ),
        _rule(
            "FR204",
            "error",
            "sheet pinned to another instrument version",
            "The sheet is pinned to another instrument or version, or names the instrument "
            "without a version.",
        ),
        _rule(
            "FR205",
            "error",
            "unknown informant",
            "The informant is not one of the instrument's informants.",
            template="unknown informant {value!r}; {spec} knows {known}",
        ),
        _rule(
            "FR301",
            "error",
            "duplicate sheet",
            "Duplicate sheet: the same (assessment, rater) pair appears twice (across all files "
            "given); the first occurrence is named.",
            template=(
                "duplicate sheet: assessment {assessment} rated by {rater} already "
                "appears at {first}"
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
            "Long layout: rows of one sheet disagree on a sheet field (site, informant, date, …).",
            template=(
                "rows of one sheet disagree on {field}: {value!r} here but {first!r} on row {row}"
            ),
        ),
    )
}
"""Every code, by code, in documentation order."""


def rule(code: str) -> Rule:
    """The registered rule for ``code``; a ``KeyError`` naming the code when there is none
    (an unregistered code is a programming error)."""
    try:
        return REGISTRY[code]
    except KeyError:
        raise KeyError(f"problem code {code!r} is not registered in fidelity.codes") from None


def rules(family: str | None = None) -> Iterator[Rule]:
    """The registered rules in documentation order, optionally of one family (``FI``/``FR``)."""
    return (r for r in REGISTRY.values() if family is None or r.family == family)
