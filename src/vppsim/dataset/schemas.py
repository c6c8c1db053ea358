"""What each dataset holds: its files, its columns with units and ranges, its pandera schema.

Frames inside vppsim carry a ``timestamp`` column of UTC interval starts
(``datetime64[ns, UTC]``). Per-home data is long format: ``home_id, timestamp, value``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

TIMESTAMP = "timestamp"
HOME_ID = "home_id"


@dataclass(frozen=True)
class ColumnSpec:
    """One value column: its name, unit, meaning and the range real data stays within."""

    name: str
    unit: str
    description: str
    minimum: float
    maximum: float
    required: bool = True
    dtype: str = "float64"


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: its columns, where it is written, and which datasets it is derived from."""

    name: str
    title: str
    columns: tuple[ColumnSpec, ...]
    csv_path: str
    parquet_path: str
    per_home: bool = False
    depends_on: tuple[str, ...] = ()

    @property
    def required_columns(self) -> list[str]:
        return [column.name for column in self.columns if column.required]

    def output_columns(self, frame: pd.DataFrame) -> list[str]:
        """The columns written: key columns, then known value columns present, in spec order."""
        keys = [HOME_ID, TIMESTAMP] if self.per_home else [TIMESTAMP]
        return keys + [column.name for column in self.columns if column.name in frame.columns]


# Ranges catch corruption and unit mix-ups, not unusual weather or prices: they are the
# physical or market limits, not the typical spread.
WEATHER = DatasetSpec(
    name="weather",
    title="Weather at the site",
    columns=(
        ColumnSpec("temp_air_c", "degC", "Air temperature at 2 m", -60, 60),
        ColumnSpec("ghi_w_m2", "W/m2", "Global horizontal irradiance", 0, 1500),
        ColumnSpec("dni_w_m2", "W/m2", "Direct normal irradiance", 0, 1400),
        ColumnSpec("dhi_w_m2", "W/m2", "Diffuse horizontal irradiance", 0, 1000),
        ColumnSpec("wind_speed_m_s", "m/s", "Wind speed at 10 m", 0, 75),
        ColumnSpec("clearsky_index", "1", "GHI over clear-sky GHI", 0, 2, required=False),
    ),
    csv_path="weather.csv",
    parquet_path="parquet/weather.parquet",
)

SOLAR = DatasetSpec(
    name="solar",
    title="Rooftop PV generation of the reference system",
    columns=(
        ColumnSpec(
            "generation_kw_per_kw_installed",
            "kW/kWdc",
            "AC output per kW of DC capacity (roof mount, tilt 20, azimuth 180)",
            0,
            1.0,
        ),
    ),
    csv_path="solar_data.csv",
    parquet_path="parquet/solar.parquet",
    depends_on=("weather",),
)

_AS_RANGE = (-1000, 10000)
MARKET = DatasetSpec(
    name="market",
    title="CAISO real-time 15-min LMP and ancillary-service prices",
    columns=(
        ColumnSpec("lmp", "$/MWh", "Locational marginal price (FMM)", -5000, 5000),
        ColumnSpec("spin_price", "$/MW-h", "Spinning reserve price", *_AS_RANGE),
        ColumnSpec("nonspin_price", "$/MW-h", "Non-spinning reserve price", *_AS_RANGE),
        ColumnSpec("regup_price", "$/MW-h", "Regulation up price", *_AS_RANGE, required=False),
        ColumnSpec("regdown_price", "$/MW-h", "Regulation down price", *_AS_RANGE, required=False),
        ColumnSpec("lmp_energy", "$/MWh", "LMP energy component", -5000, 5000, required=False),
        ColumnSpec("lmp_congestion", "$/MWh", "LMP congestion component", -5000, 5000, False),
        ColumnSpec("lmp_loss", "$/MWh", "LMP loss component", -5000, 5000, required=False),
        ColumnSpec("lmp_ghg", "$/MWh", "LMP greenhouse-gas component", -5000, 5000, False),
    ),
    csv_path="market_data.csv",
    parquet_path="parquet/market.parquet",
    depends_on=("weather",),
)

LOAD = DatasetSpec(
    name="load",
    title="Residential household load per home",
    columns=(
        ColumnSpec(
            "load_kw", "kW", "Mean household demand over the interval", 0, 100, dtype="float32"
        ),
    ),
    csv_path="load_profiles/profile_{home_id}.csv",
    parquet_path="parquet/load/part-{part:05d}.parquet",
    per_home=True,
    depends_on=("weather",),
)

SPECS: dict[str, DatasetSpec] = {spec.name: spec for spec in (WEATHER, SOLAR, MARKET, LOAD)}


def home_csv_name(home_id: int, homes: int) -> str:
    """File name of one home's CSV: three digits, more when the fleet needs them."""
    width = max(3, len(str(homes - 1)))
    return f"profile_{home_id:0{width}d}.csv"


def _timestamp_column(unique: bool) -> pa.Column:
    checks = [pa.Check(lambda s: s.is_monotonic_increasing, name="monotonic_increasing")]
    return pa.Column(
        pd.DatetimeTZDtype("ns", "UTC"), checks=checks if unique else [], unique=unique
    )


def frame_schema(spec: DatasetSpec) -> pa.DataFrameSchema:
    """The pandera schema of one table, or of one home's rows for per-home data.

    For per-home data, validate each home separately (or use :func:`long_schema`).
    """
    columns = {TIMESTAMP: _timestamp_column(unique=True)}
    for column in spec.columns:
        columns[column.name] = pa.Column(
            np.dtype(column.dtype),
            checks=pa.Check.in_range(column.minimum, column.maximum),
            nullable=False,
            required=column.required,
            title=column.description,
        )
    return pa.DataFrameSchema(columns, name=spec.name, strict=False, coerce=False)


def long_schema(spec: DatasetSpec) -> pa.DataFrameSchema:
    """The schema of long-format per-home rows: ``home_id, timestamp, value...``.

    Rows must be sorted by home and time, and unique per (home, timestamp).
    """
    base = frame_schema(spec)
    columns = {
        HOME_ID: pa.Column(np.int32, checks=pa.Check.ge(0)),
        TIMESTAMP: _timestamp_column(False),
    }
    columns.update({name: col for name, col in base.columns.items() if name != TIMESTAMP})
    return pa.DataFrameSchema(
        columns,
        name=spec.name,
        strict=False,
        unique=[HOME_ID, TIMESTAMP],
        checks=pa.Check(_sorted_by_home_and_time, name="sorted_by_home_then_time"),
    )


def _sorted_by_home_and_time(frame: pd.DataFrame) -> bool:
    home = frame[HOME_ID].to_numpy()
    time = pd.DatetimeIndex(frame[TIMESTAMP]).asi8
    same_home = home[1:] == home[:-1]
    return bool(
        np.all(home[1:] >= home[:-1]) and np.all(time[1:][same_home] > time[:-1][same_home])
    )
