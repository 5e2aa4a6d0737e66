"""Hypothesis profiles: the full count of examples under CI, a tenth of it on a laptop.

Both are deterministic (derandomized, no example database, no deadline), so a busy machine
can neither fail a property test by its speed nor make two runs differ.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

for _name in ("ci", "dev"):
    settings.register_profile(
        _name,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )


def load_hypothesis_profile(*, ci: bool) -> None:
    """`HYPOTHESIS_PROFILE` if set, else `ci` under CI and `dev` elsewhere."""
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if ci else "dev"))


def examples(full: int) -> int:
    """How many examples a property test runs: `full` under `ci`, a tenth (at least 20) in `dev`."""
    return full if settings.get_current_profile_name() == "ci" else max(full // 10, 20)
