"""Finding instruments by id, ``id@version`` or path (public facade over
:mod:`fidelity.instrument.catalog`)."""

from fidelity.instrument.catalog import (
    ENTRY_POINT_GROUP,
    ENV_VAR,
    CatalogEntry,
    CatalogError,
    CatalogProblem,
    as_instrument,
    catalog_problems,
    list_instruments,
    load_instrument,
    parse_spec,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "ENV_VAR",
    "CatalogEntry",
    "CatalogError",
    "CatalogProblem",
    "as_instrument",
    "catalog_problems",
    "list_instruments",
    "load_instrument",
    "parse_spec",
]
