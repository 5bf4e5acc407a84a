"""An example fidelity plugin: ``instruments_dir()`` is the directory of its instruments,
laid out as ``<id>/<version>.yaml``, and is named by the ``fidelity.instruments`` entry
point in ``pyproject.toml``."""

from pathlib import Path


def instruments_dir() -> Path:
    """The plugin's instrument directory."""
    return Path(__file__).resolve().parent / "instruments"
