"""The library's version, in the bottom layer so that every module may name it in provenance
(``fidelity.__version__`` re-exports it; the build reads it from here)."""

__version__ = "0.1.0"
