"""The Python API: :class:`DataCollector`, for notebooks and agent code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vppsim.config import load_settings
from vppsim.dataset.build import BuildResult, Pipeline, write_dataset
from vppsim.dataset.sources import SourceRegistry


class DataCollector:
    """One study's datasets as pandas frames, sharing one weather realisation.

    Parameters
    ----------
    start_date, end_date : str or datetime.date, optional
        First and last local day (inclusive); default August 2023.
    config_file : path, optional
        A TOML settings file.
    registry : SourceRegistry, optional
        Sources to use instead of the ones vppsim ships.
    **settings
        Any other setting, e.g. ``homes=50``, ``seed=7``, ``market_source="synthetic"``.

    Examples
    --------
    >>> c = DataCollector(start_date="2023-08-01", end_date="2023-08-31")  # doctest: +SKIP
    >>> prices = c.get_market_data()  # timestamp, lmp, spin_price, nonspin_price, ...
    """

    def __init__(
        self,
        start_date: Any = None,
        end_date: Any = None,
        *,
        config_file: Path | str | None = None,
        registry: SourceRegistry | None = None,
        **settings: Any,
    ):
        self.settings = load_settings(
            {"start": start_date, "end": end_date, **settings}, config_file=config_file
        )
        self._pipeline = Pipeline(self.settings, registry)

    @property
    def grid(self) -> pd.DatetimeIndex:
        """The study's UTC interval starts."""
        return self._pipeline.grid

    def provenance(self, dataset: str) -> dict[str, Any]:
        """Where ``dataset`` came from (live or synthetic, and why)."""
        return self._pipeline.result(dataset).provenance.to_json()

    def get_weather_data(self) -> pd.DataFrame:
        """``timestamp, temp_air_c, ghi_w_m2, dni_w_m2, dhi_w_m2, wind_speed_m_s``."""
        return self._pipeline.result("weather").data.copy()

    def get_solar_data(self) -> pd.DataFrame:
        """``timestamp, generation_kw_per_kw_installed`` [kW AC per kW DC]."""
        return self._pipeline.result("solar").data.copy()

    def get_market_data(self) -> pd.DataFrame:
        """``timestamp, lmp, spin_price, nonspin_price`` [$/MWh, $/MW-h] and more AS columns."""
        return self._pipeline.result("market").data.copy()

    def generate_load_profiles(self, count: int | None = None) -> pd.DataFrame:
        """Long-format ``home_id, timestamp, load_kw`` for homes ``0 .. count-1``.

        Home ``i`` is the same series whatever ``count`` is. For large fleets use
        :meth:`build`, which streams homes to Parquet instead of holding them.
        """
        count = self.settings.homes if count is None else int(count)
        if count < 1:
            raise ValueError(f"count={count}: need at least one home")
        return self._pipeline.homes(np.arange(count, dtype=np.int32))

    def build(self, out_dir: Path | str | None = None) -> BuildResult:
        """Write, validate and atomically commit the whole dataset to ``out_dir``."""
        target = Path(out_dir) if out_dir is not None else Path(self.settings.out)
        return write_dataset(self._pipeline, target)
