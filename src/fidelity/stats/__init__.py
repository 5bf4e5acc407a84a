"""Statistics over plain arrays: ICC, Krippendorff's alpha, the agreement family, bootstrap and
internal consistency. Depends only on ``fidelity._util`` and ``fidelity.errors``; the public
facades are :mod:`fidelity.reliability` and :mod:`fidelity.psychometrics`."""
