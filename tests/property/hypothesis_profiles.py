"""Hypothesis settings for the property tests: named profiles, applied per test (never loaded globally).

Pick one with RESPONSEKIT_HYPOTHESIS_PROFILE=fast|default|thorough (default: "default").
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
#: The settings every property test here runs with.
PROFILE = settings.get_profile(PROFILE_NAME)
