"""The one configuration model, validated once at the edge.

The settings hold the study (period, place, fleet, seed, output, network) and one section
per registered dataset (its :class:`~vppsim.options.DatasetOptions`: source mode and model
parameters), so a dataset that registers brings its settings with it.

Precedence, highest first: explicit overrides (CLI flags, API arguments), ``VPPSIM_*``
environment variables, a ``.env`` file, an optional TOML file, the defaults. Every name is
checked in every layer: an unknown one is refused with one line naming it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import io
import os
import tomllib
from collections.abc import Iterable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from vppsim.errors import ConfigError
from vppsim.options import DatasetOptions, SourceMode
from vppsim.scenario.model import Scenario, load_scenario

if TYPE_CHECKING:
    from vppsim.registry import Registry

__all__ = ["REDACTED", "OutputFormat", "Settings", "SourceMode", "load_settings"]

REDACTED = "**********"
ENV_PREFIX = "VPPSIM_"
SECRETS = ("nlr_api_key", "nlr_email")
"""Settings never printed, logged or written (the manifest shows them masked)."""

TOOL_VARIABLES = frozenset(
    {"VPPSIM_REQUIRE_BROWSER", "VPPSIM_SCREENSHOTS", "VPPSIM_REFERENCE", "VPPSIM_TEST_SHARED"}
)
"""``VPPSIM_*`` variables read by vppsim's tests and tools, not settings: never refused."""

DEFAULT_ENV_FILE = Path(".env")


DEFAULT_SITE = (34.05, -118.24)
"""The default study site, downtown Los Angeles [deg N, deg E]; calibration reports use it too."""


class _Default:
    """``env_file`` left at its default: read ``.env`` if there is one."""

    def __repr__(self) -> str:
        return "'.env' if present"


OPTIONAL_ENV_FILE: Any = _Default()


class OutputFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """A vppsim study: period, place, fleet size, seed, output and network settings.

    Dates are local calendar days in ``timezone``, both inclusive. The class built by
    :func:`settings_class` adds one section per registered dataset.
    """

    model_config = SettingsConfigDict(
        extra="forbid", populate_by_name=True, validate_default=True, frozen=True
    )
    dataset_names: ClassVar[tuple[str, ...]] = ()
    """The registered datasets, in build order (set by :func:`settings_class`)."""

    start: dt.date = Field(dt.date(2023, 8, 1), description="First local day (YYYY-MM-DD).")
    end: dt.date | None = Field(
        None, description="Last local day, inclusive (default: the end of start's month)."
    )
    timezone: str = Field("America/Los_Angeles", description="IANA zone of the market.")
    latitude: float = Field(DEFAULT_SITE[0], ge=-90, le=90, description="Site latitude [deg N].")
    longitude: float = Field(
        DEFAULT_SITE[1], ge=-180, le=180, description="Site longitude [deg E]."
    )
    homes: int = Field(200, ge=1, le=100_000_000, description="Number of homes in the fleet.")
    seed: int = Field(42, ge=0, description="Study seed; same seed, same bytes.")
    interval_minutes: Literal[5, 15, 30, 60] = Field(
        15, description="Interval length [min]; 30 and 60 are means of the 15-min realisation."
    )

    scenario: Scenario = Field(
        Scenario(),
        description="The what-if applied to the model knobs, as load_settings resolved it from "
        "a shipped scenario's name (vppsim scenarios --list) or a .toml file: its name, title, "
        "description, sources and knobs (recorded in the manifest).",
    )
    datasets: Annotated[tuple[str, ...] | None, NoDecode] = Field(
        None, description="Datasets to build (default all); the datasets they derive from come too."
    )
    out: Path = Field(Path("data"), description="Output folder.")
    formats: Annotated[tuple[OutputFormat, ...], NoDecode] = Field(
        (OutputFormat.CSV, OutputFormat.PARQUET), description="Output formats."
    )
    csv_homes_limit: int = Field(
        1000, ge=0, description="Per-home CSVs are written only up to this many homes."
    )
    chunk_homes: int = Field(
        1000,
        ge=1,
        description="Most homes generated and written per Parquet part (fewer for long periods, "
        "so memory stays bounded).",
    )

    nlr_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("nlr_api_key", "NLR_API_KEY", "NREL_API_KEY"),
        description="NREL/NLR developer key (PVWatts, NSRDB).",
    )
    nlr_email: str | None = Field(
        None,
        validation_alias=AliasChoices("nlr_email", "NLR_EMAIL", "NREL_EMAIL"),
        description="E-mail address NSRDB requires with the key.",
    )
    nlr_base_url: str = Field(
        "https://developer.nlr.gov",
        description="Base URL of the NREL/NLR developer APIs (developer.nrel.gov is gone).",
    )
    http_timeout_s: float = Field(
        20.0, gt=0, le=600, description="Timeout of each HTTP request [s]."
    )
    fallback_deadline_s: float = Field(
        20.0,
        gt=0,
        le=3600,
        description="Longest a live source may try, retries included, before it gives up [s].",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_settings reads and checks every layer itself, so nothing is read twice.
        return (init_settings,)

    @model_validator(mode="before")
    @classmethod
    def _normalise_datasets(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or data.get("datasets") is None:
            return data
        names = cls.dataset_names
        wanted = _split(data["datasets"])
        unknown = [name for name in wanted if name not in names]
        if unknown:
            raise ValueError(f"unknown dataset(s) {', '.join(unknown)} (use {', '.join(names)})")
        if not wanted:
            raise ValueError(f"at least one dataset is needed ({', '.join(names)})")
        return {**data, "datasets": tuple(name for name in names if name in wanted)}

    @field_validator("scenario", mode="before")
    @classmethod
    def _resolved_scenario(cls, value: Any) -> Any:
        if isinstance(value, str | Path):
            # A name alone would record a scenario whose knobs were never applied.
            raise ValueError(
                f"{str(value)!r} is a scenario's name: give it to load_settings (or vppsim build "
                "--scenario), which applies its knobs"
            )
        return value

    @field_validator("start", "end", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD)") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r} (use an IANA name)") from None
        return value

    @field_validator("formats", mode="before")
    @classmethod
    def _split_formats(cls, value: Any) -> Any:
        value = _split(value)
        if not value:
            raise ValueError("at least one output format is needed (csv, parquet)")
        # One order whatever the order given, so the manifest does not depend on it.
        order = list(OutputFormat)
        return tuple(sorted(set(value), key=lambda f: order.index(f) if f in order else -1))

    @model_validator(mode="after")
    def _coherent(self) -> Settings:
        if self.end is None:
            # The default period is the start's calendar month, so moving only the start works.
            following = (self.start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            object.__setattr__(self, "end", following - dt.timedelta(days=1))
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if OutputFormat.PARQUET not in self.formats and self.homes > self.csv_homes_limit:
            raise ValueError(
                f"homes={self.homes} is above csv_homes_limit={self.csv_homes_limit} "
                "and parquet is not among the formats, so the load data would not be written"
            )
        return self

    @property
    def built_datasets(self) -> tuple[str, ...]:
        """The requested datasets (all registered ones by default), in build order."""
        return self.datasets if self.datasets is not None else self.dataset_names

    def options(self, dataset: str) -> DatasetOptions:
        """The section of ``dataset``: its source mode and model parameters."""
        return getattr(self, dataset)

    def source_mode(self, dataset: str) -> SourceMode:
        """The requested source mode for ``dataset``."""
        return self.options(dataset).source

    @property
    def writes_home_csvs(self) -> bool:
        """Whether per-home CSVs are written (CSV requested and the fleet within the limit)."""
        return OutputFormat.CSV in self.formats and self.homes <= self.csv_homes_limit

    def redacted(self) -> dict[str, Any]:
        """The settings as JSON-ready values, secrets masked, the output folder left out.

        The output folder is where the dataset lives, not what it holds, so it is left out
        to keep the manifest identical wherever the same study is built.
        """
        from vppsim.http import redact_url

        values = self.model_dump(mode="json", exclude={"out"})
        values["datasets"] = list(self.built_datasets)
        values["nlr_base_url"] = redact_url(self.nlr_base_url)
        for name in SECRETS:
            values[name] = REDACTED if values[name] is not None else None
        return values


@functools.cache
def _settings_class(sections: tuple[tuple[str, type[DatasetOptions]], ...]) -> type[Settings]:
    fields = {name: (options, options()) for name, options in sections}
    cls = create_model("Settings", __base__=Settings, __doc__=Settings.__doc__, **fields)
    cls.dataset_names = tuple(name for name, _ in sections)
    return cls


def settings_class(registry: Registry) -> type[Settings]:
    """The settings model with one section per dataset of ``registry``."""
    return _settings_class(tuple((d.spec.name, d.options) for d in registry.datasets))


# --- reading the layers --------------------------------------------------------------


def _names(cls: type[Settings]) -> tuple[set[str], set[str]]:
    """(core names with their aliases, dataset section names) of a settings class."""
    core = set()
    for name, field in cls.model_fields.items():
        if name in cls.dataset_names:
            continue
        core.add(name)
        if isinstance(field.validation_alias, AliasChoices):
            core.update(str(choice) for choice in field.validation_alias.choices)
    return core, set(cls.dataset_names)


def _unknown(name: str, known: Iterable[str], origin: str) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown setting {name!r} in {origin}{hint}"


def _put(nested: dict[str, Any], path: list[str], value: Any, name: str, problems: list[str]):
    """Set ``nested[path...] = value``; the same setting given twice differently is a problem."""
    target = nested
    for part in path[:-1]:
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            problems.append(f"{name!r} sets a part of a setting given as a whole")
            return
    key = path[-1]
    if key in target and target[key] != value:
        problems.append(f"{name!r} given twice ({target[key]!r} and {value!r})")
    target[key] = value


def _nest(values: Mapping[str, Any], cls: type[Settings], origin: str) -> dict[str, Any]:
    """One layer's flat or dotted names as the settings' nested layout.

    ``market_source`` and ``market.source`` both mean the ``source`` of section ``market``;
    ``market.spin.median_scale`` reaches into a nested parameter model.
    Raises :class:`ConfigError` naming every unknown or conflicting name.
    """
    core, sections = _names(cls)
    known = core | sections | {f"{s}_source" for s in sections}
    nested: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in values.items():
        section, dot, key = name.partition(".")
        if dot and section in sections and key:
            _put(nested, [section, *key.split(".")], value, name, problems)
        elif name.endswith("_source") and name.removesuffix("_source") in sections:
            _put(nested, [name.removesuffix("_source"), "source"], value, name, problems)
        elif name in sections:
            if not isinstance(value, Mapping):
                problems.append(
                    f"{name!r} in {origin} is a section: set {name}.<option> (e.g. {name}.source)"
                )
                continue
            for part, item in value.items():
                _put(nested, [name, part], item, f"{name}.{part}", problems)
        elif name in core:
            _put(nested, [name], value, name, problems)
        else:
            problems.append(_unknown(name, known, origin))
    if problems:
        raise ConfigError("; ".join(problems))
    return nested


def _from_environment(
    variables: Mapping[str, str | None], cls: type[Settings], origin: str
) -> dict[str, Any]:
    """``VPPSIM_*`` variables (``__`` between nested names) and the bare key names.

    In a ``.env`` file, vppsim's own, every name must be known and every line ``NAME=VALUE``;
    in the environment, only ``VPPSIM_*`` names are vppsim's.
    """
    core, _ = _names(cls)
    bare = {name for name in core if name.isupper()}
    own_file = origin != "the environment"
    flat = {}
    problems = []
    for name, value in variables.items():
        if name in TOOL_VARIABLES:
            continue
        if own_file and value is None:
            problems.append(f"line {name!r} in {origin} is not NAME=VALUE")
            continue
        if name in bare:
            key = name
        elif name.startswith(ENV_PREFIX):
            key = name.removeprefix(ENV_PREFIX).lower().replace("__", ".")
        elif own_file:
            key = name  # a typo (``HOMES=4``), refused by name below
        else:
            continue
        # An empty entry (``NLR_API_KEY=`` as in .env.example) means unset, once its name
        # is known to be right.
        flat[key] = value
    if problems:
        raise ConfigError("; ".join(problems))
    nested = _nest(flat, cls, origin)
    return _without_empty(nested)


def _without_empty(values: dict[str, Any]) -> dict[str, Any]:
    kept = {}
    for key, value in values.items():
        if isinstance(value, dict):
            value = _without_empty(value)
            if value:
                kept[key] = value
        elif value != "":
            kept[key] = value
    return kept


def _read_env_file(path: Path, cls: type[Settings]) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"env file {path} is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"cannot read env file {path}: {exc.strerror}") from None
    if "\x00" in text:
        raise ConfigError(f"env file {path} is not a text file")
    return _from_environment(dotenv_values(stream=io.StringIO(text)), cls, f"env file {path}")


def _read_toml(path: Path, cls: type[Settings]) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    return _nest(data, cls, f"config file {path}")


def _merge(base: dict[str, Any], layer: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in layer.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def _describe(error: Mapping[str, Any]) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "config"
    if error["type"] == "extra_forbidden":
        return f"unknown setting {field!r}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:
        return message
    value = error.get("input")
    if isinstance(value, Mapping) or value is None:
        return f"{field}: {message}"
    if isinstance(value, SecretStr) or error["loc"][0] in SECRETS:
        value = REDACTED
    return f"{field}={value!r}: {message}"


def _scenario(value: Any) -> Scenario:
    """The scenario a layer names (a shipped name or a .toml path) or records (a mapping)."""
    if value is None:
        return Scenario()
    if isinstance(value, Scenario):
        return value
    if isinstance(value, Mapping):
        try:
            return Scenario.model_validate(value)
        except ValidationError as exc:
            problems = "; ".join(_describe(error) for error in exc.errors())
            raise ConfigError(f"invalid scenario: {problems}") from None
    return load_scenario(value)


def _overlay(scenario: Scenario, cls: type[Settings]) -> dict[str, Any]:
    """The scenario's knobs as a settings layer; only dataset sections may be set."""
    _, sections = _names(cls)
    origin = f"scenario {scenario.name}"
    study = [name for name in scenario.settings if name not in sections]
    if study:
        raise ConfigError(
            f"{origin} sets {', '.join(map(repr, study))}: a scenario sets model knobs only "
            f"(sections {', '.join(sorted(sections))}); the study is the base's"
        )
    overlay = _nest(scenario.settings, cls, origin)
    try:
        cls.model_validate(overlay)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise ConfigError(f"{origin}: {problems}") from None
    return overlay


def _models_follow(scenario: Scenario, merged: dict[str, Any], registry: Registry) -> None:
    """Source from the models every dataset the scenario's knobs reach.

    A what-if has no live record: the datasets whose section the scenario sets, and every
    dataset derived from them, are built by their synthetic models (a requested ``live``
    source is refused).
    """
    for name in registry.dependents(scenario.settings):
        section = merged.setdefault(name, {})
        if str(section.get("source", SourceMode.AUTO)) == SourceMode.LIVE:
            raise ConfigError(
                f"{name}.source=live: scenario {scenario.name} changes what the {name} data "
                "derives from, which only the synthetic model can follow"
            )
        section["source"] = SourceMode.SYNTHETIC


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    config_file: Path | str | None = None,
    env_file: Path | str | None = OPTIONAL_ENV_FILE,
    registry: Registry | None = None,
) -> Settings:
    """Read the settings from every source and validate them.

    Parameters
    ----------
    overrides : mapping, optional
        Highest-precedence values (CLI flags, API arguments); ``None`` values are ignored.
        Section values are given as ``"market.source"`` names or as ``market={...}``.
    config_file : path, optional
        A TOML file: study settings as top-level keys, dataset sections as tables.
    env_file : path, optional
        The dotenv file to read; a file named must exist. By default ``.env`` is read if
        there is one. ``None`` reads none.
    registry : Registry, optional
        The datasets whose sections the settings hold (default: the ones vppsim ships).

    Raises
    ------
    ConfigError
        One line naming every invalid or unknown value.
    """
    if registry is None:
        from vppsim.registry import default_registry

        registry = default_registry()
    cls = settings_class(registry)
    merged: dict[str, Any] = {}
    if config_file is not None:
        merged = _merge(merged, _read_toml(Path(config_file), cls))
    if env_file is OPTIONAL_ENV_FILE:
        env_file = DEFAULT_ENV_FILE if DEFAULT_ENV_FILE.is_file() else None
    if env_file is not None:
        path = Path(env_file)
        if not path.is_file():
            raise ConfigError(f"env file not found: {path}")
        merged = _merge(merged, _read_env_file(path, cls))
    merged = _merge(merged, _from_environment(os.environ, cls, "the environment"))
    explicit = {key: value for key, value in (overrides or {}).items() if value is not None}
    explicit = _nest(explicit, cls, "the arguments")
    scenario = _scenario(explicit.get("scenario", merged.get("scenario")))
    merged = _merge(_merge(merged, _overlay(scenario, cls)), explicit)
    merged["scenario"] = scenario
    _models_follow(scenario, merged, registry)
    try:
        settings = cls.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise ConfigError(f"invalid configuration: {problems}") from None
    _events_in_study(settings)
    return settings


def _events_in_study(settings: Settings) -> None:
    """Refuse a weather event that misses the study: it would change nothing, silently."""
    from vppsim.weather.events import event_days

    weather = getattr(settings, "weather", None)
    for i, event in enumerate(getattr(weather, "events", ())):
        if not event_days([event], settings.start, settings.end):
            raise ConfigError(
                f"weather.events.{i} ({event.days} days from "
                f"{event.start or f'study day {event.start_day}'}) misses the study "
                f"{settings.start} to {settings.end}"
            )


def recorded_settings(
    config: Mapping[str, Any],
    out: Path | str,
    env_file: Path | str | None = OPTIONAL_ENV_FILE,
    registry: Registry | None = None,
) -> Settings:
    """The settings a manifest recorded (``vppsim.config``), to build the same study again.

    The recorded settings are already resolved (a scenario's overlay included), so they are
    validated as they are, not layered again; only what the manifest masks comes from the
    environment layers as usual (``.env`` or ``env_file``, ``VPPSIM_*``, ``NLR_API_KEY``):
    the secrets, and the API host when its recorded form hides a key.

    Raises
    ------
    ConfigError
        One line naming every recorded setting this vppsim does not know or refuses.
    """
    if registry is None:
        from vppsim.registry import default_registry

        registry = default_registry()
    cls = settings_class(registry)
    masked = [*SECRETS] + (["nlr_base_url"] if REDACTED in str(config.get("nlr_base_url")) else [])
    layers: dict[str, Any] = {}
    if env_file is OPTIONAL_ENV_FILE:
        env_file = DEFAULT_ENV_FILE if DEFAULT_ENV_FILE.is_file() else None
    if env_file is not None:
        if not Path(env_file).is_file():
            raise ConfigError(f"env file not found: {env_file}")
        layers = _read_env_file(Path(env_file), cls)
    layers = _merge(layers, _from_environment(os.environ, cls, "the environment"))
    from_environment = {}
    for name in masked:
        field = cls.model_fields[name]
        aliases = field.validation_alias.choices if field.validation_alias else [name]
        given = [layers[alias] for alias in aliases if alias in layers]
        if given:
            from_environment[name] = given[0]
    recorded = {key: value for key, value in config.items() if key not in masked}
    try:
        return cls.model_validate({**recorded, **from_environment, "out": out})
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise ConfigError(f"recorded settings this vppsim cannot build: {problems}") from None
