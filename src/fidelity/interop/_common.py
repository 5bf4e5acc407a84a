"""What every exchange format shares: the error they raise for input that cannot be mapped."""

from __future__ import annotations

from fidelity.errors import FidelityError

__all__ = ["InteropError", "consensus_flag"]


class InteropError(FidelityError, ValueError):
    """An instrument or sheets that cannot be written in an exchange format, or a file in
    that format that cannot be read as sheets (an edited dictionary, a label export).

    ``reasons`` lists every reason, one line each, naming the record, row and variable or the
    item; the message is those lines.
    """

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = list(reasons)
        super().__init__("\n".join(self.reasons))


def consensus_flag(value: object) -> bool | None:
    """A sheet's ``consensus`` as a bool: JSON's true/false, or the text ``true``/``false`` in
    any case that CSV and XLSX sheets hold (as validation accepts it); ``None`` otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None
