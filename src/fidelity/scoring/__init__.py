"""Scoring: item → domain → overall → band, vectorised over a sheets × items array.

The rules (DESIGN.md, "Scoring semantics"), applied to every sheet at once:

* **Item score**: the level value; for a ``reverse`` item it is turned round first,
  ``max + min − value`` on the item's scale (on a 1–4 scale, 1 ↔ 4 and 2 ↔ 3).
* **NA and missing**: both are left out of every mean. ``NA`` (not applicable) is a rater's
  answer and is excluded by design; a missing answer is a data problem that :func:`validate`
  reports as a warning. Items not asked of the sheet's informant are left out the same way.
* **Domain score**: the weighted mean of the domain's answered item scores,
  ``Σ wᵢ·sᵢ / Σ wᵢ`` (item ``weight``, default 1), or missing (NaN) when fewer than the
  domain's ``min_answered`` items are answered.
* **Overall score** (``scoring.overall``): ``mean_of_domains`` is the unweighted mean of the
  domain scores that are present; ``mean_of_items`` is the weighted mean of all answered item
  scores. Either way the overall score is missing when more than
  ``scoring.max_missing_domains`` domains are missing (default 0: any missing domain).
* **Band**: the band whose closed-open interval ``[lower, upper)`` holds the overall score;
  the top band also holds its upper bound. Found with :func:`numpy.searchsorted`.

Domain and overall scores are rounded to 10 decimal places (:data:`DECIMALS`), far below any
meaningful difference, so that a score that is exactly on a cut-off in exact arithmetic (say
3 from the domain means 8/3 and 10/3) is reported, and banded, as that number instead of
2.9999999999999996. Sums run over items in instrument order, so a sheet's scores are the same
bit for bit whatever other sheets share the batch.

Per-assessment scores (:meth:`ScoreResult.by_assessment`) use the consensus sheet when there
is one, otherwise the mean over the raters who have a score; per-site summaries
(:meth:`ScoreResult.by_site`) describe the per-assessment scores, so a double-rated interview
counts once.
"""

from fidelity.scoring.engine import DECIMALS, ScoreResult, assign_bands, score, score_values

__all__ = ["DECIMALS", "ScoreResult", "assign_bands", "score", "score_values"]
