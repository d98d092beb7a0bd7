"""``...bayesopt.models.meanstd_acqfunc_impl``: the acquisition functions
``SKLearnSurrogateSearcher(scoring_class=...)`` takes, as names of tunesmith's:
``EIAcquisitionFunction`` is expected improvement (``acquisition="ei"``),
``LCBAcquisitionFunction`` the lower confidence bound (``"lcb"``)."""

from __future__ import annotations

__all__ = ["EIAcquisitionFunction", "LCBAcquisitionFunction"]


class EIAcquisitionFunction:
    """Expected improvement: tunesmith's ``acquisition="ei"``."""

    acquisition = "ei"


class LCBAcquisitionFunction:
    """Lower confidence bound: tunesmith's ``acquisition="lcb"`` (``kappa``)."""

    acquisition = "lcb"
