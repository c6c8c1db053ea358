"""A scenario: a named, documented preset of the model knobs, and where presets come from.

A scenario never edits outputs. It is a settings overlay on the dataset sections (the typed
parameter models of :mod:`vppsim.weather.parameters`, :mod:`vppsim.system.parameters`,
:mod:`vppsim.market.parameters`, ...): a heat wave is a
:class:`~vppsim.weather.parameters.WeatherEvent` in ``weather.events``, a gas crisis is
``system.gas_price_usd_per_mmbtu``. :func:`vppsim.config.load_settings` applies it beneath
the explicit arguments, so the resolved settings alone determine the data, and the study's
seed and grid stay the base's (common random numbers).

Scenarios are TOML files, the shipped presets (``presets/*.toml``) and a user's alike::

    name = "smoky-week"
    title = "A week of wildfire smoke"
    description = "..."
    reference = "where the magnitudes come from"

    [settings.weather]
    events = [{start_day = 8, days = 7, ramp_days = 1, clearsky_index_factor = 0.7}]
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vppsim.errors import ConfigError

BASE = "base"
"""The scenario of the defaults: no overlay."""

SUITES: dict[str, tuple[str, ...]] = {
    "default": ("base", "heat-wave", "peak-demand", "high-volatility", "low-solar", "gas-crisis"),
}
"""Named sets of scenarios ``vppsim scenarios`` builds side by side (the base first)."""


class Scenario(BaseModel):
    """A named what-if: a documented overlay of model knobs on the base study.

    ``settings`` holds dataset sections only (``{"weather": {"events": [...]}}``), checked
    name by name when applied; the study itself (period, site, fleet, seed) is the base's.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        BASE,
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
        description="Short name: lower case, digits, - and _ (the dataset folder of a suite).",
    )
    title: str = Field("Base case: the defaults", description="One line for tables and charts.")
    description: str = Field("", description="What the scenario does and why.")
    reference: str = Field(
        "", description="The real event its magnitudes come from, and the sources."
    )
    settings: dict[str, Any] = Field(
        default_factory=dict,
        description="Knobs by dataset section, as in a study TOML file's tables.",
    )


def preset_names() -> tuple[str, ...]:
    """The shipped scenarios, base first, then by name."""
    names = sorted(
        entry.name.removesuffix(".toml")
        for entry in resources.files("vppsim.scenario").joinpath("presets").iterdir()
        if entry.name.endswith(".toml")
    )
    return (BASE, *(name for name in names if name != BASE))


def _parse(text: str, origin: str, name: str) -> Scenario:
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"scenario file {origin} is not valid TOML: {exc}") from None
    # A file without a name is named after itself, never taken for the base.
    values.setdefault("name", name)
    values.setdefault("title", values["name"])
    try:
        return Scenario.model_validate(values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "scenario"
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key (use name, title, description, reference, settings)"
            problems.append(f"{where}: {message}")
        raise ConfigError(f"scenario file {origin}: {'; '.join(problems)}") from None


def read_scenario(path: Path | str) -> Scenario:
    """A user's scenario from its TOML file.

    Raises
    ------
    ConfigError
        One line naming the file and every bad key or value.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"scenario file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read scenario file {path}: {exc}") from None
    return _parse(text, str(path), path.stem.lower())


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name, or a user's from a ``.toml`` path.

    Raises
    ------
    ConfigError
        An unknown name (the known ones listed) or a bad file, in one line.
    """
    value = str(name_or_path).strip()
    if value == BASE:
        return Scenario()
    if value.endswith(".toml"):
        return read_scenario(value)
    if value not in preset_names():
        raise ConfigError(
            f"unknown scenario {value!r} (use {', '.join(preset_names())}, or a .toml file)"
        )
    entry = resources.files("vppsim.scenario").joinpath("presets", f"{value}.toml")
    return _parse(entry.read_text("utf-8"), f"{value}.toml", value)


def suite_scenarios(suite: str) -> tuple[str, ...]:
    """The scenario names of a named suite.

    Raises
    ------
    ConfigError
        An unknown suite, in one line.
    """
    if suite not in SUITES:
        raise ConfigError(f"unknown suite {suite!r} (use {', '.join(SUITES)})")
    return SUITES[suite]
