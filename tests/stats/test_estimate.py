"""The Estimate result: explicit fields for what used to hide in ``details``, a JSON view that
``allow_nan=False`` accepts, and short text, HTML and rich views."""

from __future__ import annotations

import dataclasses
import io
import json
import math
from html.parser import HTMLParser

import numpy as np
import pytest
from rich.console import Console

from fidelity import psychometrics as psy
from fidelity import reliability as rel
from fidelity.stats.estimate import Estimate, undefined


def sample(n: int = 30, k: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(3, 1, (n, 1)) + rng.normal(0, 0.7, (n, k))).clip(1, 5)


def every_kind() -> list[Estimate]:
    """One estimate of each family, defined and undefined, with and without intervals."""
    x = sample()
    y = np.array([[1, 2, np.nan], [3, 3, np.nan], [2, 2, 2]])
    return [
        *rel.icc_table(x),
        rel.icc(y, "ICC(2,1)"),
        rel.icc(np.array([[1.0, 2.0], [1.0, 2.0]]), "ICC(2,1)"),
        rel.krippendorff_alpha(x, "ordinal"),
        rel.krippendorff_alpha(x, "interval", bootstrap=50, seed=1),
        rel.krippendorff_alpha(np.array([[1.0, 2.0]]), "interval", bootstrap=50, seed=1),
        rel.bootstrap(x, "ICC(3,1)", n_resamples=50, seed=1, method="bca"),
        rel.fleiss_kappa(x, weights="quadratic"),
        rel.cohen_kappa(x[:, :2]),
        rel.gwet_ac(np.array([[1.0, 1.0, 2.0]]), categories=[1, 2]),
        rel.percent_agreement(np.full((4, 2), 3.0)),
        psy.cronbach_alpha(x),
        psy.cronbach_alpha(np.ones((10, 3))),
        psy.cronbach_alpha(np.array([[1.0, 5.0], [2.0, 4.0], [3.0, 3.0]])),
    ]


def test_to_dict_is_json_ready_for_every_kind() -> None:
    for est in every_kind():
        text = json.dumps(est.to_dict(), allow_nan=False)
        assert json.loads(text)["method"] == est.method


def test_nan_and_infinite_numbers_become_null() -> None:
    est = Estimate(
        value=math.nan, method="m", n_subjects=1, n_raters=2, ci=(-math.inf, 1.0),
        details={"a": np.float64("nan"), "b": [1.0, math.inf], "c": np.int64(3)},
    )  # fmt: skip
    d = json.loads(json.dumps(est.to_dict(), allow_nan=False))
    assert d["value"] is None and d["ci"] == [None, 1.0]
    assert d["details"] == {"a": None, "b": [1.0, None], "c": 3}


def test_cronbach_counts_items_not_raters() -> None:
    est = psy.cronbach_alpha(sample(k=4))
    assert est.n_items == 4 and est.n_raters is None
    assert est.ci_method is not None and "Feldt" in est.ci_method
    assert est.se is None and est.se_reason
    assert psy.cronbach_alpha(np.ones((10, 1))).n_items == 1


def test_interval_and_standard_error_are_explained() -> None:
    x = sample()
    icc = rel.icc(x, "ICC(2,1)")
    assert icc.ci_method is not None and "Satterthwaite" in icc.ci_method
    assert icc.se is None and icc.se_reason and "bootstrap" in icc.se_reason
    kappa = rel.fleiss_kappa(x)
    assert kappa.ci_method == f"Student t, {x.shape[0] - 1} df; upper limit truncated at 1"
    assert kappa.se_method is not None and "Gwet" in kappa.se_method
    assert kappa.ci_reason is None and kappa.se_reason is None
    alpha = rel.krippendorff_alpha(x, "interval")
    assert alpha.ci is None and alpha.ci_reason and "bootstrap" in alpha.ci_reason
    boot = rel.krippendorff_alpha(x, "interval", bootstrap=50, seed=2)
    assert boot.ci is not None and boot.ci_method and "percentile" in boot.ci_method
    assert boot.se_method == "standard deviation of the bootstrap distribution"
    for est in every_kind():
        for key in ("ci_method", "se_method", "ci_reason", "se_reason", "n_items"):
            assert key not in est.details


def test_old_attribute_names_still_work() -> None:
    est = rel.fleiss_kappa(sample())
    assert (est.value, est.method, est.n_subjects, est.n_raters) == (
        float(est), "Fleiss' kappa", 30, 3,
    )  # fmt: skip
    assert est.ci is not None and est.se is not None and est.confidence == 0.95
    assert est.defined and not undefined("m", "why").defined
    positional = Estimate(0.5, "m", 10, 2, (0.1, 0.9), 0.2, 0.95, None, {"a": 1})
    assert positional.ci == (0.1, 0.9) and positional.details == {"a": 1}
    with pytest.raises(TypeError):
        Estimate(0.5, "m", 10, 2, None, None, None, None, {}, 3)  # type: ignore[misc]


def test_icc_and_alpha_options_are_keyword_only() -> None:
    x = sample()
    assert rel.icc(x, "ICC(3,1)").value == rel.icc(x, form="ICC(3,1)").value
    assert (
        rel.krippendorff_alpha(x, "ratio").value == rel.krippendorff_alpha(x, level="ratio").value
    )
    with pytest.raises(TypeError, match="positional"):
        rel.icc(x, "ICC(3,1)", 0.9)  # type: ignore[misc]
    with pytest.raises(TypeError, match="positional"):
        rel.icc_table(x, 0.9)  # type: ignore[misc]
    with pytest.raises(TypeError, match="positional"):
        rel.krippendorff_alpha(x, "ratio", 100)  # type: ignore[misc]


# ----------------------------------------------------------------------------- views


def test_repr_is_one_short_line() -> None:
    for est in every_kind():
        text = repr(est)
        assert "\n" not in text and len(text) < 450, text
        assert text.startswith("Estimate(")
    text = repr(rel.fleiss_kappa(sample()))
    assert "Fleiss' kappa = " in text and "95% CI [" in text and "30 subjects, 3 raters" in text
    assert "nan: " in repr(rel.icc(np.ones((5, 3))))


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


def _parse(markup: str) -> _Tags:
    tags = _Tags()
    tags.feed(markup)
    tags.close()
    assert tags.open == []
    return tags


def test_html_is_well_formed_bounded_and_escaped() -> None:
    for est in every_kind():
        markup = est._repr_html_()
        assert len(markup) < 4000
        assert _parse(markup).seen[0] == "table"
    hostile = dataclasses.replace(
        rel.fleiss_kappa(sample()),
        method="<script>alert('x')</script>",
        reason="a & b < c",
        details={"note": "<b>bold</b>", "matrix": [[1.0, 0.0], [0.0, 1.0]]},
    )
    tags = _parse(hostile._repr_html_())
    assert tags.seen.count("script") == 0 and "b" in tags.seen  # only the caption's own <b>
    assert tags.seen.count("b") == 1
    text = "".join(tags.text)
    assert "<script>alert('x')</script>" in text and "a & b < c" in text
    assert "<b>bold</b>" in text and "[2 values]" in text


def test_rich_renders_at_80_columns() -> None:
    for est in [*every_kind(), dataclasses.replace(rel.gwet_ac(sample()), method="[bold]x[/bold]")]:
        buf = io.StringIO()
        Console(file=buf, width=80, color_system=None).print(est)
        out = buf.getvalue()
        assert max(len(line) for line in out.splitlines()) <= 80
        assert "value" in out and len(out.splitlines()) < 40
    assert "[bold]x[/bold]" in out  # markup in a method name is shown, not interpreted
