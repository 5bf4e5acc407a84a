"""``extends`` as a pure merge with an injected base resolver: fake resolvers, cycles, depth,
and the catalog as the default resolver of the public loaders."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

import pytest

import fidelity
from fidelity.errors import CatalogError, InstrumentError
from fidelity.instrument import Instrument, InstrumentProblem, instrument_from_yaml
from fidelity.instrument.extends import MAX_DEPTH, BaseResolver
from fidelity.instrument.load import parse_instrument

DATA = Path(__file__).parent.parent / "data" / "lint"
MINIMAL = (DATA / "minimal.yaml").read_text()
PACKAGE = Path(fidelity.__file__).parent / "instrument"

LOCAL_ITEM = (
    "items:\n"
    "  - id: l-extra\n"
    "    domain: choosing\n"
    "    text: A local item.\n"
    "    informants: [peer-worker]\n"
    "    scale: four\n"
    "    anchors: {'1': a, '2': b, '3': c, '4': d}\n"
)


def _derived(inst_id: str, base: str, body: str = LOCAL_ITEM) -> str:
    """A derived document; its ``extends`` is on line 5."""
    return (
        f"id: {inst_id}\nversion: 1.0.0\ntitle: Local\ndescription: A variant.\n"
        f"extends: {base}\n{body}"
    )


def _resolver(docs: Mapping[str, str]) -> BaseResolver:
    """A fake catalog: documents by spec, each loaded with this same resolver."""

    def resolve(spec: str) -> Instrument:
        if spec not in docs:
            raise CatalogError(f"no instrument {spec!r} in the fake catalog")
        return parse_instrument(docs[spec], source=f"{spec}.yaml", resolve_base=resolve)

    return resolve


def _problems(text: str, resolve: BaseResolver) -> list[InstrumentProblem]:
    with pytest.raises(InstrumentError) as info:
        parse_instrument(text, source="local.yaml", resolve_base=resolve)
    return info.value.problems


# -- the merge with a fake resolver -----------------------------------------------------------


def test_a_fake_resolver_supplies_the_base() -> None:
    base = parse_instrument(MINIMAL)
    inst = parse_instrument(
        _derived("local", "mini@1.0.0"), resolve_base={base.spec: base}.__getitem__
    )
    assert inst.extends == "mini@1.0.0"
    assert [i.id for i in inst.items] == [*(i.id for i in base.items), "l-extra"]
    assert inst.domains == base.domains and inst.scoring == base.scoring
    assert inst.content_hash != base.content_hash


def test_a_resolver_that_cannot_find_the_base_gives_fi112() -> None:
    (p,) = _problems(_derived("local", "nothing@1.0.0"), _resolver({}))
    assert (p.code, p.line, p.path, p.ref) == ("FI112", 5, "extends", "nothing@1.0.0")
    assert p.message == (
        "cannot load base instrument nothing@1.0.0: no instrument 'nothing@1.0.0' in the fake "
        "catalog"
    )
    (q,) = _problems(_derived("local", "nothing@1.0.0"), {}.__getitem__)  # a plain KeyError
    assert q.message.startswith("cannot load base instrument nothing@1.0.0: ")


def test_an_invalid_base_gives_fi112_with_its_first_problem() -> None:
    broken = MINIMAL.replace("scale: four\n", "scale: five\n", 1)
    (p,) = _problems(_derived("local", "mini@1.0.0"), _resolver({"mini@1.0.0": broken}))
    assert p.message.startswith("base instrument mini@1.0.0 is invalid: mini@1.0.0.yaml:")
    assert "FI102" in p.message and "unknown scale 'five'" in p.message


def test_a_derived_instrument_needs_its_own_id() -> None:
    (p,) = _problems(
        _derived("mini", "mini@1.0.0").replace("1.0.0\n", "2.0.0\n", 1),
        _resolver({"mini@1.0.0": MINIMAL}),
    )
    assert p.message == (
        "a derived instrument needs an id of its own, not 'mini'; to change mini itself, "
        "write its next version file instead"
    )


def test_inherited_entries_cannot_change_but_may_be_repeated() -> None:
    resolve = _resolver({"mini@1.0.0": MINIMAL})
    changed = LOCAL_ITEM.replace("l-extra", "c-goals")
    (p,) = _problems(_derived("local", "mini@1.0.0", changed), resolve)
    assert (p.code, p.line, p.path, p.ref) == ("FI112", 7, "items[0]", "c-goals")
    assert p.message == (
        "item 'c-goals' is inherited from mini@1.0.0 and cannot be changed in a derived "
        "instrument; give the local variant an id of its own"
    )
    same = "informants:\n  - id: supervisor\n    name: Supervisor\n" + LOCAL_ITEM
    inst = parse_instrument(_derived("local", "mini@1.0.0", same), resolve_base=resolve)
    assert [i.id for i in inst.informants] == ["peer-worker", "supervisor"]


def test_inherited_entries_point_at_the_extends_line() -> None:
    resolve = _resolver({"mini@1.0.0": MINIMAL})
    body = LOCAL_ITEM.replace("scale: four", "scale: five")
    (p,) = _problems(_derived("local", "mini@1.0.0", body), resolve)
    assert (p.code, p.line, p.path) == ("FI102", 11, "items[3].scale")  # own entry, own line
    unmeasured = "principles:\n  - id: extra\n    name: E\n    description: D.\n"
    problems = _problems(_derived("local", "mini@1.0.0", unmeasured), resolve)
    assert [(q.code, q.ref, q.line) for q in problems] == [("FI109", "extra", 7)]


# -- cycles and depth, whatever the resolver -------------------------------------------------


def test_a_cycle_of_bases_is_refused() -> None:
    docs = {"aaa@1.0.0": _derived("aaa", "bbb@1.0.0"), "bbb@1.0.0": _derived("bbb", "aaa@1.0.0")}
    (p,) = _problems(docs["aaa@1.0.0"], _resolver(docs))
    assert p.code == "FI112" and p.line == 5
    assert p.message.startswith("base instrument bbb@1.0.0 is invalid: bbb@1.0.0.yaml:5: FI112 ")
    assert "extends forms a cycle (aaa@1.0.0 → bbb@1.0.0 → aaa@1.0.0)" in p.message


def test_an_instrument_cannot_extend_itself() -> None:
    (p,) = _problems(_derived("aaa", "aaa@1.0.0"), _resolver({}))
    assert p.message == "extends forms a cycle (aaa@1.0.0 → aaa@1.0.0)"


def _chain(n_derived: int) -> dict[str, str]:
    """d0 extends d1 extends ... extends d{n-1} extends mini@1.0.0."""
    docs = {"mini@1.0.0": MINIMAL}
    for i in range(n_derived):
        base = f"d{i + 1}@1.0.0" if i + 1 < n_derived else "mini@1.0.0"
        docs[f"d{i}@1.0.0"] = _derived(f"d{i}", base, "")
    return docs


def test_a_chain_of_max_depth_bases_loads() -> None:
    docs = _chain(MAX_DEPTH)
    inst = parse_instrument(docs["d0@1.0.0"], resolve_base=_resolver(docs))
    assert inst.extends == "d1@1.0.0" and len(inst.items) == 3


def test_a_deeper_chain_is_refused() -> None:
    docs = _chain(MAX_DEPTH + 1)
    (p,) = _problems(docs["d0@1.0.0"], _resolver(docs))
    assert p.code == "FI112"
    # the base at depth MAX_DEPTH is the one refused; each level above names the one below
    deepest = (
        f"d{MAX_DEPTH}@1.0.0.yaml:5: FI112 extends chain is deeper than {MAX_DEPTH} instruments"
    )
    assert p.message.startswith("base instrument d1@1.0.0 is invalid: d1@1.0.0.yaml:5: FI112")
    assert deepest in p.message


def test_the_chain_is_forgotten_after_each_load() -> None:
    docs = _chain(MAX_DEPTH)
    resolve = _resolver(docs)
    for _ in range(3):  # a leaked stack would make the third load look too deep or cyclic
        assert parse_instrument(docs["d0@1.0.0"], resolve_base=resolve).id == "d0"
    with pytest.raises(InstrumentError):
        parse_instrument(_derived("x", "x@1.0.0"), resolve_base=resolve)
    assert parse_instrument(docs["d0@1.0.0"], resolve_base=resolve).id == "d0"


# -- without a resolver, and the catalog as the default --------------------------------------


def test_the_resolver_free_loader_reads_plain_instruments() -> None:
    assert parse_instrument(MINIMAL).spec == "mini@1.0.0"


def test_the_resolver_free_loader_refuses_extends_clearly() -> None:
    with pytest.raises(InstrumentError) as info:
        parse_instrument(_derived("local", "enrich-peer-support@1.1.0"))
    (p,) = info.value.problems
    assert (p.code, p.line, p.ref) == ("FI112", 5, "enrich-peer-support@1.1.0")
    assert p.message.startswith(
        "cannot load base instrument enrich-peer-support@1.1.0: no base resolver was given"
    )


def test_the_public_loader_resolves_bases_through_the_catalog() -> None:
    body = LOCAL_ITEM.replace("domain: choosing", "domain: reciprocity").replace(
        "scale: four", "scale: fidelity-4"
    )
    inst = instrument_from_yaml(_derived("local", "enrich-peer-support@1.1.0", body))
    base = fidelity.load_instrument("enrich-peer-support@1.1.0")
    assert inst.items[: len(base.items)] == base.items and inst.items[-1].id == "l-extra"


def test_the_public_loader_takes_another_resolver() -> None:
    resolve = _resolver({"mini@1.0.0": MINIMAL})
    inst = instrument_from_yaml(_derived("local", "mini@1.0.0"), resolve_base=resolve)
    assert inst.items[-1].id == "l-extra"
    with pytest.raises(InstrumentError, match="no instrument 'mini'"):
        instrument_from_yaml(_derived("local", "mini@1.0.0"))  # the catalog has no 'mini'


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (functions included), TYPE_CHECKING aside."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            skip.update(id(n) for b in node.body for n in ast.walk(b))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("module", ["problems", "rules", "model", "_yaml", "extends", "load"])
def test_the_merge_and_the_loader_do_not_know_the_catalog(module: str) -> None:
    imported = {m for m in _imported_modules(PACKAGE / f"{module}.py") if m.startswith("fidelity")}
    assert "fidelity.instrument.catalog" not in imported
    assert "fidelity.instrument" not in imported  # concrete modules, not the package


def test_the_instrument_layer_imports_nothing_above_it() -> None:
    allowed = ("fidelity.instrument", "fidelity._util", "fidelity.errors", "fidelity.codes")
    for path in sorted(PACKAGE.glob("*.py")):
        for module in _imported_modules(path):
            if module.startswith("fidelity"):
                assert module.startswith(allowed), f"{path.name} imports {module}"
