"""Short views of an instrument: repr, str, rich and the notebook's HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import fidelity
from fidelity.instrument import instrument_from_yaml

MINIMAL = (Path(__file__).parent.parent / "data" / "lint" / "minimal.yaml").read_text()


def test_repr_is_one_line_with_spec_counts_and_hash() -> None:
    inst = instrument_from_yaml(MINIMAL)
    assert (
        repr(inst) == f"<Instrument mini@1.0.0: 2 domains, 3 items, hash {inst.content_hash[:12]}>"
    )
    assert str(inst) == repr(inst)


def test_repr_of_the_bundled_instrument_fits_a_line() -> None:
    inst = fidelity.load_instrument("enrich-peer-support@1.1.0")
    text = repr(inst)
    assert re.fullmatch(
        r"<Instrument enrich-peer-support@1\.1\.0: \d+ domains, \d+ items, hash [0-9a-f]{12}>", text
    )
    assert len(text) < 100


def test_repr_names_a_draft_and_counts_in_the_singular() -> None:
    text = MINIMAL.replace("version: 1.0.0", "version: 1.1.0\nstatus: draft")
    assert repr(instrument_from_yaml(text)).startswith("<Instrument mini@1.1.0 draft: 2 domains,")
    trusting = (
        "  - id: trusting\n    name: Trusting relationships\n    principles: [trust]\n"
        "    min_answered: 1\n"
    )
    one_domain = (
        MINIMAL.replace(trusting, "")
        .replace("    domain: trusting", "    domain: choosing")
        .replace("principles: [choice]", "principles: [choice, trust]")
    )
    one = instrument_from_yaml(one_domain)
    assert ": 1 domain, 3 items," in repr(one)


def test_rich_shows_the_short_form() -> None:
    pretty = pytest.importorskip("rich.pretty")
    inst = instrument_from_yaml(MINIMAL)
    shown = pretty.pretty_repr(inst)
    assert shown == f"Instrument('mini@1.0.0', domains=2, items=3, hash='{inst.content_hash[:12]}')"


def test_html_view_is_compact_and_escaped() -> None:
    text = MINIMAL.replace("title: Minimal instrument", "title: 'Tom & Jerry <script>'").replace(
        "name: Choice and control", "name: Choice <b>and</b> control"
    )
    inst = instrument_from_yaml(text)
    page = inst._repr_html_()
    assert "<strong>Tom &amp; Jerry &lt;script&gt;</strong>" in page
    assert "<script>" not in page and "<b>and</b>" not in page
    assert "<td><code>choosing</code></td><td>Choice &lt;b&gt;and&lt;/b&gt; control</td>" in page
    assert "<td style='text-align:right'>2</td>" in page
    assert "<code>mini@1.0.0</code> · released · 3 items" in page


def test_html_view_of_the_bundled_instrument_is_small() -> None:
    inst = fidelity.load_instrument("enrich-peer-support@1.1.0")
    page = inst._repr_html_()
    assert len(page) < 3_000
    for domain in inst.domains:
        assert f"<code>{domain.id}</code>" in page


def test_html_view_names_the_base_of_a_derived_instrument(monkeypatch: pytest.MonkeyPatch) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "extending" / "instruments"
    monkeypatch.setenv("FIDELITY_INSTRUMENT_PATH", str(examples))
    inst = fidelity.load_instrument("riverside-peer-support")
    assert "extends <code>enrich-peer-support@1.1.0</code>" in inst._repr_html_()
