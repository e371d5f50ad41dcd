"""A real browser for tests: headless Chromium driven by Selenium through the system chromedriver.

Chromium comes from the Debian ``chromium`` and ``chromium-driver`` packages (``.ci/run`` installs
them). When the browser, its driver or Selenium is absent the test skips with the reason; under
CI=true it fails instead, like the services in support/services.py. Selenium Manager never runs:
the driver path is given, so nothing is downloaded.

``save_screenshot`` writes PNGs into ``tests/.screenshots/`` (ignored by git) for people to look at.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parent.parent / ".screenshots"


def _missing() -> str | None:
    """Why no browser can be started here, or None when everything is present."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.path.exists(path) and os.access(path, os.X_OK)):
            return f"{path} is absent (apt-get install {package})"
    return None


def require_browser() -> None:
    """Skip the calling test when headless Chromium cannot run; under CI=true, fail instead."""
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run installs chromium and chromium-driver)")
    pytest.skip(f"{reason}; install it to run the browser tests")


@contextlib.contextmanager
def headless_chromium(*, width: int = 1400, height: int = 1000) -> Iterator[WebDriver]:
    """A headless Chromium WebDriver, quit on exit whatever the test did."""
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument(f"--window-size={width},{height}")
    # Browser console messages, so a failing test can show the page's own errors.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    """Pytest fixture form of ``headless_chromium()``; import it into a test module or conftest."""
    with headless_chromium() as driver:
        yield driver


def save_screenshot(driver: WebDriver, name: str) -> Path:
    """Write the current page as ``tests/.screenshots/<name>.png``; returns the path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "screenshot"
    path = SCREENSHOTS / f"{safe}.png"
    driver.save_screenshot(str(path))
    return path


def browser_log(driver: WebDriver) -> str:
    """The page's console messages so far (for assertion messages)."""
    with contextlib.suppress(Exception):
        return "\n".join(entry.get("message", "") for entry in driver.get_log("browser"))
    return ""


__all__ = ["browser", "browser_log", "headless_chromium", "require_browser", "save_screenshot"]
