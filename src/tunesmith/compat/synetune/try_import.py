"""``syne_tune.try_import``: the messages Syne Tune logs when an optional dependency is
missing. tunesmith's Gaussian-process and plotting methods need numpy and matplotlib only, so
these name tunesmith's extras."""

from __future__ import annotations

__all__ = ["try_import_gpsearchers_message", "try_import_visual_message"]


def try_import_gpsearchers_message() -> str:
    """What to install for the Gaussian-process searchers (numpy: tunesmith's core)."""
    return (
        "tunesmith's Gaussian-process searchers need numpy only, which tunesmith installs: "
        "if one failed, the error above says why"
    )


def try_import_visual_message() -> str:
    """What to install for the plots."""
    return 'Plotting needs matplotlib: pip install "tunesmith[plot]"'
