"""Hypothesis settings for every test: named profiles, loaded once by tests/conftest.py.

Pick one with RESPONSEKIT_HYPOTHESIS_PROFILE=fast|default|thorough (default: "default"). A test's own
``@settings(...)`` still overrides what it names (the HTTP fuzzers keep their example budgets) and
takes the rest from the loaded profile.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "responsekit-fast", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "responsekit-default", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "responsekit-thorough", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

PROFILE_NAME = "responsekit-" + os.environ.get("RESPONSEKIT_HYPOTHESIS_PROFILE", "default")


def load() -> None:
    """Make the chosen profile every test's default (once per run, from tests/conftest.py)."""
    settings.load_profile(PROFILE_NAME)
