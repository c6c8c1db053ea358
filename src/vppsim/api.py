"""The Python API: :class:`DataCollector`, for notebooks and agent code."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vppsim.config import load_settings
from vppsim.dataset.build import BuildResult, Pipeline, write_dataset
from vppsim.dataset.sources import Registry
from vppsim.errors import ConfigError
from vppsim.viz import DERIVED_OUTPUTS


class DataCollector:
    """One study's datasets as pandas frames, sharing one weather realisation.

    Parameters
    ----------
    start_date, end_date : str or datetime.date, optional
        First and last local day (inclusive); default August 2023 (the end defaults to
        the end of the start's month).
    config_file : path, optional
        A TOML settings file.
    registry : Registry, optional
        Datasets and sources to use instead of the ones vppsim ships.
    **settings
        Any other setting, e.g. ``homes=50``, ``seed=7``, ``market_source="synthetic"``,
        ``load={"ev_share": 0.3}``. An unknown name is refused.

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
        registry: Registry | None = None,
        **settings: Any,
    ):
        for alias, name in (("start_date", "start"), ("end_date", "end")):
            given = start_date if alias == "start_date" else end_date
            if given is not None and name in settings:
                raise ConfigError(f"{alias} and {name} both given: use one")
        if registry is None:
            from vppsim.registry import default_registry

            registry = default_registry()
        self.settings = load_settings(
            {"start": start_date, "end": end_date, **settings},
            config_file=config_file,
            registry=registry,
        )
        self._pipeline = Pipeline(self.settings, registry)

    @property
    def grid(self) -> pd.DatetimeIndex:
        """The study's UTC interval starts."""
        return self._pipeline.grid

    def _known(self, dataset: str) -> str:
        names = self._pipeline.registry.names
        if dataset not in names:
            raise ConfigError(f"unknown dataset {dataset!r} (use {', '.join(names)})")
        return dataset

    def provenance(self, dataset: str) -> dict[str, Any]:
        """Where ``dataset`` came from (live or synthetic, and why)."""
        provenance = self._pipeline.result(self._known(dataset)).provenance
        return {
            "kind": str(provenance.kind),
            "source": provenance.source,
            "version": provenance.version,
            "parameters": provenance.parameters,
            "requested": str(provenance.requested),
            "fallback_reason": provenance.fallback_reason,
            "notes": list(provenance.notes),
        }

    def get(self, dataset: str) -> pd.DataFrame:
        """Any table dataset by name, e.g. ``get("market")``."""
        spec = self._pipeline.registry.spec(self._known(dataset))
        if spec.per_home or spec.attributes:
            raise ConfigError(
                f"{dataset} is per home: use generate_load_profiles, get_assets or build"
            )
        return self._pipeline.result(dataset).data.copy()

    def get_assets(self, count: int | None = None) -> pd.DataFrame:
        """The fleet's assets table for homes ``0 .. count-1`` (default: the fleet), one row
        per home: the home attributes, then PV, battery, EV battery, thermostat, enrolment."""
        count = self.settings.homes if count is None else int(count)
        if count < 1:
            raise ValueError(f"count={count}: need at least one home")
        return self._pipeline.result("assets").data(np.arange(count, dtype=np.int32)).copy()

    def get_weather_data(self) -> pd.DataFrame:
        """``timestamp, temp_air_c, ghi_w_m2, dni_w_m2, dhi_w_m2, wind_speed_m_s``."""
        return self.get("weather")

    def get_solar_data(self) -> pd.DataFrame:
        """``timestamp, generation_kw_per_kw_installed`` [kW AC per kW DC]."""
        return self.get("solar")

    def get_market_data(self) -> pd.DataFrame:
        """``timestamp, lmp, da_lmp, spin_price, nonspin_price, regup_price, regdown_price``
        [$/MWh, $/MW-h]: real-time and day-ahead LMP, hourly day-ahead AS prices."""
        return self.get("market")

    def generate_load_profiles(self, count: int | None = None) -> pd.DataFrame:
        """Long-format ``home_id, timestamp, load_kw`` for homes ``0 .. count-1``.

        Home ``i`` is the same series whatever ``count`` is. For large fleets use
        :meth:`build`, which streams homes to Parquet instead of holding them.
        """
        count = self.settings.homes if count is None else int(count)
        if count < 1:
            raise ValueError(f"count={count}: need at least one home")
        return self._pipeline.homes(np.arange(count, dtype=np.int32))

    def dispatch(
        self,
        strategy: str = "lp",
        directory: Path | str | None = None,
        *,
        ancillary: bool = True,
        homes_chunk: int = 250,
        workers: int | None = None,
        scheduler: str | None = None,
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
        """The fleet dispatched by ``strategy`` (``none``, ``rule`` or ``lp``), as
        ``vppsim dispatch`` computes it, in memory.

        Parameters
        ----------
        strategy : str
        directory : path, optional
            A dataset built for this study; without it the study is built into a temporary
            folder first.
        ancillary : bool
            Bid AS capacity where the market has AS prices (False: energy only).
        homes_chunk : int
            Homes per chunk.
        workers, scheduler : optional
            Dispatch the chunks on a local Dask cluster of ``workers`` processes, or on the
            cluster whose scheduler is at ``scheduler`` (same results); without either, in
            this process.

        Returns
        -------
        homes, fleet, kpis : pandas.DataFrame
            The long per-home schedules, the fleet's sums and one KPI row per home (the
            columns of ``dispatch/<strategy>/homes``, ``fleet.parquet`` and ``kpis.parquet``).
        summary : dict
            ``summary.json``'s content.
        """
        from vppsim.fleet.run import dispatch_study, read_study

        with contextlib.ExitStack() as stack:
            executor = None
            if workers is not None or scheduler is not None:
                from vppsim.dataset.distributed import dask_executor
                from vppsim.fleet.run import load_dispatch_models

                executor = stack.enter_context(
                    dask_executor(workers, scheduler, prepare=load_dispatch_models)
                )
            if directory is None:
                folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="vppsim-dispatch-"))
                directory = Path(folder) / "dataset"
                self.build(directory)
            return dispatch_study(
                read_study(directory), strategy, None, ancillary, homes_chunk, executor=executor
            )

    def build(self, out_dir: Path | str | None = None, *, force: bool = False) -> BuildResult:
        """Write, validate and atomically commit the whole dataset to ``out_dir``.

        Charts the previous dataset there had are drawn anew; files vppsim did not write
        stop the build unless ``force`` (then they are carried over).
        """
        target = Path(out_dir) if out_dir is not None else Path(self.settings.out)
        return write_dataset(self._pipeline, target, force=force, derived=DERIVED_OUTPUTS)
