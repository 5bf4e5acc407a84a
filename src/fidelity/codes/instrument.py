"""Codes of instrument files (``FI``): reading, schema, model, cross-reference and version
rules, in documentation order."""

from __future__ import annotations

from fidelity.codes._rule import Rule, _rule

__all__ = ["RULES"]

RULES: tuple[Rule, ...] = (
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
        (
            "The data does not match the [instrument JSON Schema](instrument-format.md): a "
            "required key is missing, a key is unknown, a value has the wrong type, is not "
            "among "
            "the allowed values or does not match the required pattern. The message names the "
            "rule that failed and the path shows where. A document whose top level is not a "
            "mapping is also reported as `FI001`."
        ),
    ),
    _rule(
        "FI002",
        "error",
        "YAML feature refused",
        (
            "Instrument files hold plain data only: mappings, lists, strings, numbers, "
            "booleans "
            "and null. Tags that would construct objects (such as `!!python/object`), merge "
            "keys "
            "(`<<`) and keys that are not plain scalars are refused."
        ),
    ),
    _rule(
        "FI003",
        "error",
        "file too large",
        (
            "Instrument files are limited to 2 MiB (2,097,152 bytes); the bundled one is a few "
            "tens of kilobytes. The limit is checked before the file is parsed."
        ),
    ),
    _rule(
        "FI004",
        "error",
        "alias expansion, nesting or number beyond the limits",
        "A document may expand to at most 200,000 values once YAML aliases are followed, "
        'and may nest at most 64 levels deep. This refuses "billion laughs" documents, '
        "which use a few lines of nested aliases to expand into billions of values, "
        "before they consume memory. An integer of more than 4,300 digits is refused.",
    ),
    _rule(
        "FI005",
        "error",
        "duplicate key",
        (
            "A mapping names the same key twice. Plain YAML loaders keep the last value "
            "silently;"
            " here it is an error, because one of the two values was surely not meant."
        ),
    ),
    _rule(
        "FI010",
        "error",
        "model constraint",
        (
            "A value passes the schema but breaks a constraint of the instrument model, for "
            "example an infinite weight written as `.inf`."
        ),
        "model: {detail}",
    ),
    _rule(
        "FI101",
        "error",
        "duplicate id",
        (
            "Ids must be unique among the citations, informants, principles, scales, domains, "
            "items and bands of an instrument (each kind separately)."
        ),
        "duplicate {kind} id {id!r} (first at {section}[{first}])",
    ),
    _rule(
        "FI102",
        "error",
        "unknown reference",
        (
            "A reference names an id that does not exist: a domain's principle, an item's "
            "domain,"
            " informant, scale, or principle tag. The message lists the ids that do exist."
        ),
        "{what} unknown {kind} {value!r}; known: {known}",
    ),
    _rule(
        "FI104",
        "error",
        "anchors do not match the scale",
        (
            "Every item gives its own behavioural anchor for every level of its scale, and no "
            "anchors for levels the scale does not have."
        ),
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
        (
            "A scale's level values must strictly increase in the order they are listed (which "
            "also rules out two levels with the same value), and each non-score code may be "
            "listed once."
        ),
    ),
    _rule(
        "FI107",
        "error",
        "domain cannot be scored",
        (
            "A domain has no items, or its `min_answered` is larger than its number of items,"
            " so "
            "that its score could never be computed."
        ),
    ),
    _rule(
        "FI108",
        "error",
        "bands do not cover the score range",
        (
            "The overall score bands are closed-open intervals `[lower, upper)` (the top band "
            "also includes its upper bound) that must cover the range of possible overall "
            "scores "
            "exactly: no band with `upper <= lower`, no gap, no overlap, nothing below the "
            "lowest"
            " or above the highest possible score. The range follows from the scales and the "
            "scoring rule."
        ),
    ),
    _rule(
        "FI109",
        "error",
        "principle not measured",
        (
            "Every principle must be measured: an ordinary principle by at least one domain, a "
            "cross-cutting principle (`cross_cutting: true`) by a domain or by a tag on at "
            "least "
            "one item."
        ),
    ),
    _rule(
        "FI110",
        "error",
        "item map target problems",
        (
            "In `changes.item_map`, which maps item ids of the previous version to ids in this "
            "one, every target must be an item of this version, no two old items may map to "
            "the "
            "same new one, and renames may not chase each other round in a cycle (`a: b` with"
            " `b:"
            " a`), which would make migrated ratings depend on the order the renames are "
            "applied "
            "in."
        ),
    ),
    _rule(
        "FI111",
        "error",
        "file in the wrong place",
        (
            "Catalog directories use the layout `<dir>/<id>/<version>.yaml`. A file whose "
            "declared `id` and `version` differ from its place is refused when it is loaded "
            "through the catalog (by id, or when listing instruments), because rating sheets "
            "pin "
            "`id@version` and must get exactly that file. `fidelity lint` checks files by path "
            "and so does not apply this rule; `fidelity instruments` shows such a file as "
            "invalid."
        ),
        (
            "file declares {declared} but its place in the catalog says {placed} "
            "(expected <dir>/{id}/{version}.yaml)"
        ),
    ),
    _rule(
        "FI112",
        "error",
        "derived instrument does not resolve",
        (
            "A file with `extends: <id>@<version>` inherits its base's entries and adds its "
            "own "
            "(see [Extending instruments](../extending.md#derived-instruments-extends)). The "
            "base"
            " must load; chains of bases may not form a cycle or run deeper than eight; the "
            "derived instrument needs an id of its own; and an inherited entry cannot be "
            "changed "
            "(a local variant needs its own id)."
        ),
    ),
    _rule(
        "FI113",
        "error",
        "declared REDCap name not valid",
        (
            "An item's `redcap` key declares the name of its variable in a REDCap project "
            "(kept the same across versions; see [REDCap and FHIR](../interop.md)). REDCap "
            "names hold only lowercase letters, digits and underscores and begin with a letter."
        ),
        "item {item}: {name} is not a REDCap name: use lowercase letters, digits and "
        "underscores, starting with a letter",
    ),
    _rule(
        "FI114",
        "error",
        "declared REDCap name too long",
        (
            "A declared `redcap` name has at most 26 characters: REDCap warns above that, and "
            "statistics packages an export goes to cut longer names short."
        ),
        "item {item}: REDCap name {name} has {n} characters; a REDCap name has at most 26",
    ),
    _rule(
        "FI115",
        "error",
        "declared REDCap name taken",
        (
            "Every variable of the REDCap dictionary is unique: a declared `redcap` name (or "
            "the name of its comment field, the name plus `_cmt`) may not be the variable of "
            "another item, of another item's comment, of a sheet field (`fi_assessment`, "
            "`fi_rater`, ...), of `record_id`, `fi_version` or of the form's status field "
            "`<form>_complete`."
        ),
        "item {item}: {what} {name} is also the variable of {other}; declare another name",
    ),
    _rule(
        "FI201",
        "error",
        "released version changed",
        (
            "A released version never changes. The content hashes of released versions are "
            "kept "
            "in `released.lock` at the root of the instrument directory "
            "(`<dir>/released.lock`, "
            "next to the `<id>/` folders); `fidelity lock <dir>` adds new released versions "
            "and "
            "never rewrites an entry. A released file whose hash differs from its entry is "
            "refused, by `fidelity lint` and each time the catalogue loads it (bundled, from "
            "`FIDELITY_INSTRUMENT_PATH` or a plugin), so an edited release is never scored "
            "under its old `id@version`: undo the edit, or put the change in a new version. A "
            "directory without a lock is named once with a warning."
        ),
    ),
    _rule(
        "FI202",
        "error",
        "previous version not found",
        (
            "`changes.previous` must name a lower version of the same instrument that can be "
            "found next to the file or in the catalog. Without `changes.previous`, the highest "
            "lower version found is compared."
        ),
    ),
    _rule(
        "FI203",
        "error",
        "item map does not fit the previous version",
        (
            "Checked against the previous version: every key of `changes.item_map` must be an "
            "item of it, and an item mapped onto an id that an unmapped old item still holds "
            "would give that id two sources."
        ),
    ),
    _rule(
        "FI204",
        "error",
        "version bump too small",
        (
            "The changes since the previous version decide the smallest bump: wording only → "
            "patch; additions that leave every existing sheet's scores unchanged → minor; "
            "anything that changes an existing sheet's score or validity → major (a minor bump "
            "while the major version is 0). The message names the changes that require the "
            "bump; "
            "`fidelity diff OLD NEW` lists them all."
        ),
        "{old} → {new} is a {actual} bump, but the changes since {since} are {severity} "
        "and need a {needed} bump: {changes}",
    ),
    _rule(
        "FI301",
        "warning",
        "derived REDCap name shortened",
        (
            "A warning of `fidelity lint` only: an item without a `redcap` key gets the "
            "REDCap name derived from its id (`-` becomes `_`). Above 26 characters it is "
            "cut to 21 and given four hex digits of a hash of the id: stable, but hard to "
            "read in an export. Declare a readable name with the `redcap` key."
        ),
        "item {item}: the REDCap name derived from its id would have {n} characters and is "
        "shortened to {name}; declare a readable one with the redcap key",
    ),
    _rule(
        "FI302",
        "warning",
        "derived REDCap name taken",
        (
            "A warning of `fidelity lint`, and the reason `fidelity export redcap` refuses the "
            "instrument: the REDCap name derived from an item's id (or the name of its comment "
            "field) is also the variable of something else, for example item `q1-cmt` and the "
            "comment on item `q1` (both `q1_cmt`), or item `fi-rater` and the sheet field "
            "`rater`. Give one of the items a name of its own with the `redcap` key."
        ),
        "item {item}: {what} {name}, derived from its id, is also the variable of {other}; "
        "give one of them a name of its own with the redcap key",
    ),
)
