"""The one configuration model, validated once at the edge.

Precedence, highest first: explicit overrides (CLI flags, API arguments), ``VPPSIM_*``
environment variables, a ``.env`` file, an optional TOML file, the defaults.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic import model_validator as _model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from vppsim.errors import ConfigError

DATASETS = ("weather", "solar", "market", "load")
"""Every dataset, in build order: weather drives the others."""

REDACTED = "**********"


class SourceMode(StrEnum):
    """How a dataset is sourced."""

    AUTO = "auto"
    """Live if reachable, else synthetic; the fallback and its reason are recorded."""
    LIVE = "live"
    """Live only: fail rather than fall back."""
    SYNTHETIC = "synthetic"
    """Synthetic only: never touch the network."""


class OutputFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


_toml_file: ContextVar[Path | None] = ContextVar("vppsim_toml_file", default=None)


class Settings(BaseSettings):
    """A vppsim study: period, place, fleet size, seed, sources and output.

    Dates are local calendar days in ``timezone``, both inclusive.
    """

    model_config = SettingsConfigDict(
        env_prefix="VPPSIM_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        validate_default=True,
        frozen=True,
    )

    start: dt.date = Field(dt.date(2023, 8, 1), description="First local day (YYYY-MM-DD).")
    end: dt.date = Field(dt.date(2023, 8, 31), description="Last local day, inclusive.")
    timezone: str = Field("America/Los_Angeles", description="IANA zone of the market.")
    latitude: float = Field(34.05, ge=-90, le=90, description="Site latitude [deg N].")
    longitude: float = Field(-118.24, ge=-180, le=180, description="Site longitude [deg E].")
    homes: int = Field(200, ge=1, description="Number of homes in the fleet.")
    seed: int = Field(42, ge=0, description="Study seed; same seed, same bytes.")
    ev_share: float = Field(
        0.0, ge=0, le=1, description="Share of homes with an EV charging at home (0: no EVs)."
    )
    interval_minutes: Literal[5, 15, 30, 60] = Field(15, description="Interval length [min].")

    market_node: str = Field(
        "DLAP_SCE-APND", min_length=1, description="CAISO pricing node for the LMP (live)."
    )
    as_region: str = Field(
        "AS_CAISO_EXP", min_length=1, description="CAISO ancillary-service region (live)."
    )
    price_level: float | None = Field(
        None, gt=0, le=20, description="Synthetic price level multiplier (default: by year)."
    )

    weather_source: SourceMode = SourceMode.AUTO
    solar_source: SourceMode = SourceMode.AUTO
    market_source: SourceMode = SourceMode.AUTO
    load_source: SourceMode = SourceMode.AUTO

    datasets: Annotated[tuple[str, ...], NoDecode] = Field(
        DATASETS, description="Datasets to build; the datasets they derive from come too."
    )
    out: Path = Field(Path("data"), description="Output folder.")
    formats: Annotated[tuple[OutputFormat, ...], NoDecode] = Field(
        (OutputFormat.CSV, OutputFormat.PARQUET), description="Output formats."
    )
    csv_homes_limit: int = Field(
        1000, ge=0, description="Per-home CSVs are written only up to this many homes."
    )
    chunk_homes: int = Field(
        1000, ge=1, description="Homes generated and written per Parquet part."
    )

    nlr_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("NLR_API_KEY", "NREL_API_KEY", "nlr_api_key"),
        description="NREL/NLR developer key (PVWatts, NSRDB).",
    )
    nlr_email: str | None = Field(
        None,
        validation_alias=AliasChoices("NLR_EMAIL", "NREL_EMAIL", "nlr_email"),
        description="E-mail address NSRDB requires with the key.",
    )
    nlr_base_url: str = Field(
        "https://developer.nlr.gov",
        description="Base URL of the NREL/NLR developer APIs (developer.nrel.gov is gone).",
    )
    http_timeout_s: float = Field(
        20.0, gt=0, le=600, description="Timeout of each HTTP request [s]."
    )
    gridstatus_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("GRIDSTATUS_API_KEY", "gridstatus_api_key"),
        description="GridStatus.io key.",
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
        sources = [init_settings, env_settings, dotenv_settings]
        toml_file = _toml_file.get()
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

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

    @field_validator("datasets", mode="before")
    @classmethod
    def _known_datasets(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        unknown = [name for name in value if name not in DATASETS]
        if unknown:
            raise ValueError(f"unknown dataset(s) {', '.join(unknown)} (use {', '.join(DATASETS)})")
        if not value:
            raise ValueError(f"at least one dataset is needed ({', '.join(DATASETS)})")
        return tuple(name for name in DATASETS if name in value)

    @field_validator("formats", mode="before")
    @classmethod
    def _split_formats(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not value:
            raise ValueError("at least one output format is needed (csv, parquet)")
        return tuple(dict.fromkeys(value))

    @_model_validator(mode="after")
    def _coherent(self) -> Settings:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if OutputFormat.PARQUET not in self.formats and self.homes > self.csv_homes_limit:
            raise ValueError(
                f"homes={self.homes} is above csv_homes_limit={self.csv_homes_limit} "
                "and parquet is not among the formats, so the load data would not be written"
            )
        return self

    def source_mode(self, dataset: str) -> SourceMode:
        """The requested source mode for ``dataset``."""
        return getattr(self, f"{dataset}_source")

    @property
    def writes_home_csvs(self) -> bool:
        """Whether per-home CSVs are written (CSV requested and the fleet within the limit)."""
        return OutputFormat.CSV in self.formats and self.homes <= self.csv_homes_limit

    def redacted(self) -> dict[str, Any]:
        """The settings as JSON-ready values, secrets and the e-mail masked, the output left out.

        The output folder is where the dataset lives, not what it holds, so it is left out
        to keep the manifest identical wherever the same study is built.
        """
        values = self.model_dump(mode="json", exclude={"out"})
        for name in ("nlr_api_key", "gridstatus_api_key", "nlr_email"):
            values[name] = REDACTED if values[name] is not None else None
        return values


def _field_names() -> set[str]:
    names = set(Settings.model_fields)
    for field in Settings.model_fields.values():
        if isinstance(field.validation_alias, AliasChoices):
            names.update(str(choice) for choice in field.validation_alias.choices)
    return names


def _check_toml(path: Path) -> None:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - _field_names())
    if unknown:
        raise ConfigError(f"config file {path}: unknown key(s) {', '.join(unknown)}")


def _describe(error: Mapping[str, Any]) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "config"
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:
        return message
    value = error.get("input")
    if isinstance(value, Mapping) or value is None:
        return f"{field}: {message}"
    if isinstance(value, SecretStr) or "api_key" in field.lower():
        value = REDACTED
    return f"{field}={value!r}: {message}"


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    config_file: Path | str | None = None,
    env_file: Path | str | None = ".env",
) -> Settings:
    """Read the settings from every source and validate them.

    Parameters
    ----------
    overrides : mapping, optional
        Highest-precedence values (CLI flags, API arguments); ``None`` values are ignored.
    config_file : path, optional
        A TOML file with settings as top-level keys.
    env_file : path, optional
        The dotenv file to read; ``None`` reads none.

    Raises
    ------
    ConfigError
        One line naming every invalid value.
    """
    explicit = {key: value for key, value in (overrides or {}).items() if value is not None}
    toml_path = Path(config_file) if config_file is not None else None
    if toml_path is not None:
        _check_toml(toml_path)
    token = _toml_file.set(toml_path)
    try:
        return Settings(_env_file=env_file, **explicit)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise ConfigError(f"invalid configuration: {problems}") from None
    finally:
        _toml_file.reset(token)
