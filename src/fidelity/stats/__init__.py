"""Statistics over plain arrays: ICC, Krippendorff's alpha, the agreement family, bootstrap and
internal consistency. Depends only on ``fidelity._util`` and ``fidelity.errors``; the public
facades are :mod:`fidelity.reliability` and :mod:`fidelity.psychometrics`.

Modules: :mod:`~fidelity.stats.estimate` (the :class:`Estimate` result), :mod:`~fidelity.stats.icc`,
:mod:`~fidelity.stats.krippendorff`, :mod:`~fidelity.stats.agreement`,
:mod:`~fidelity.stats.bootstrap`, :mod:`~fidelity.stats.consistency`,
:mod:`~fidelity.stats.omega` (McDonald's omega), :mod:`~fidelity.stats.polychoric` (polychoric
correlations, ordinal alpha),
:mod:`~fidelity.stats.variance` (REML variance components of the crossed subjects × raters
model), :mod:`~fidelity.stats.icc_reml` (two-way ICC on incomplete data) and
:mod:`~fidelity.stats.dstudy` (G-study and D-study). Nothing is re-exported
here (a function ``bootstrap`` would hide the module of that name): import from the facades.
"""

__all__: list[str] = []
