"""What the suite needs beyond responsekit's own dependencies, and the one line saying how to get it.

The checks also judge every answer with the ``openai`` client's models (and drive the ``openai``
client itself), so the suite needs that package: the ``conformance`` extra installs it. The command
line and the pytest plugin ask here before any check runs, instead of failing every check that
touches the client.
"""

from __future__ import annotations

EXTRA = "conformance"
INSTALL = f"pip install 'responsekit[{EXTRA}]' (from a checkout: pip install '/path/to/responsekit[{EXTRA}]')"


class MissingExtra(ImportError):
    """The suite cannot run here: a package of the ``conformance`` extra is missing."""


def missing() -> str | None:
    """One line naming what is missing and how to install it, or None when the suite can run."""
    try:
        import openai  # noqa: F401
    except ImportError as exc:
        if isinstance(exc, ModuleNotFoundError) and exc.name == "openai":
            return f"the conformance suite needs the 'openai' package, which is not installed: {INSTALL}"
        # openai is there but broken (e.g. one of its own dependencies is missing)
        return f"the conformance suite cannot import openai ({exc}); reinstall it: {INSTALL}"
    return None


def require() -> None:
    """Raise ``MissingExtra`` (an ``ImportError``) with the install line if the suite cannot run."""
    problem = missing()
    if problem:
        raise MissingExtra(problem)
