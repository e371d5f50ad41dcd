"""Shared helpers for the unit tests: the stream oracle lives with the property tests."""

from __future__ import annotations

import sys
from pathlib import Path

PROPERTY_TESTS = Path(__file__).resolve().parent.parent / "property"
if str(PROPERTY_TESTS) not in sys.path:
    sys.path.insert(0, str(PROPERTY_TESTS))
