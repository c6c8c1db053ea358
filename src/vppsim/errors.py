"""Exception types, and how a message lists bad values. The CLI turns each error into one
line and an exit code."""

from collections.abc import Iterable
from typing import Any

_MAX_LISTED = 3


def listed(values: Iterable[Any]) -> str:
    """The first few values, and how many more there are (what a one-line error shows)."""
    values = list(values)
    shown = ", ".join(str(v) for v in values[:_MAX_LISTED])
    return shown + (f" (+{len(values) - _MAX_LISTED} more)" if len(values) > _MAX_LISTED else "")


class VppsimError(Exception):
    """Base class for errors vppsim reports to the user without a traceback."""

    exit_code = 1


class ConfigError(VppsimError, ValueError):
    """A configuration value is invalid. Exit code 2, like a usage error."""

    exit_code = 2


class SourceUnavailable(VppsimError):
    """A data source could not deliver (unreachable, no key, no data for the period).

    With ``source=auto`` the orchestrator falls back to the synthetic source and
    records this message as the reason.
    """


class MissingSources(VppsimError):
    """Datasets were requested for which no source of the requested kind exists yet."""

    exit_code = 3


class ValidationFailed(VppsimError):
    """A dataset failed validation. ``failures`` lists every failed check at once."""

    def __init__(self, failures: list[str]):
        self.failures = list(failures)
        super().__init__(f"{len(self.failures)} validation check(s) failed: " + "; ".join(failures))

    def __reduce__(self):
        # Rebuilt from its failures when it crosses a process (raised in a Dask task).
        return type(self), (self.failures,)
