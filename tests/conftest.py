"""Test-suite settings.

Hypothesis explores new random examples on every run; CI sets ``HYPOTHESIS_PROFILE=ci`` to
replay a fixed, derandomized set of examples so that a landing run is reproducible.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("default", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
