"""Short views of a ScoreResult: a few-line ``repr`` and a bounded, escaped notebook table
(the dataclass repr used to print every array, 145,000 characters for the example audit)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import fidelity

EXAMPLE = Path(__file__).parents[1] / "examples" / "enrich-audit.csv"
MINIMAL = Path(__file__).parent / "data" / "lint" / "minimal.yaml"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.seen: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (self.open, tag)
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_repr_and_html_are_short() -> None:
    inst = fidelity.load_instrument("enrich-peer-support@1.1.0")
    result = fidelity.score(inst, EXAMPLE)
    text = repr(result)
    assert text.startswith("ScoreResult(enrich-peer-support@1.1.0")
    assert len(text.splitlines()) <= 8 and len(text) < 1000
    assert "108 sheets, 72 assessments, 24 sites" in text
    markup = result._repr_html_()
    assert len(markup) < 20_000 and "98 more sheets" in markup
    tags = _Tags()
    tags.feed(markup)
    tags.close()
    assert tags.open == [] and tags.seen.count("tr") == 5 + 1 + 10


def test_html_escapes_what_the_sheets_say() -> None:
    inst = fidelity.load_instrument(MINIMAL)
    sheets = [
        {
            "instrument": "mini@1.0.0",
            "assessment": "<script>alert(1)</script>",
            "rater": "a & b",
            "site": "<i>s</i>",
            "ratings": {"t-open": 2, "c-goals": 3, "c-pace": 1},
        }
    ]
    result = fidelity.score(inst, sheets)
    tags = _Tags()
    tags.feed(result._repr_html_())
    tags.close()
    assert "script" not in tags.seen and "i" not in tags.seen
    text = "".join(tags.text)
    assert "<script>alert(1)</script>" in text and "a & b" in text and "<i>s</i>" in text
    assert "1 sheets, 1 assessments, 1 sites" in repr(result)
