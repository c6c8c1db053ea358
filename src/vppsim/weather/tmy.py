"""Read the NREL typical-meteorological-year files used as calibration references."""

from __future__ import annotations

import gzip
import io
import tempfile
from pathlib import Path

import pandas as pd
import pvlib

TMY_COLUMNS = ["ghi", "dni", "dhi", "temp_air", "wind_speed"]


def read_tmy(path: Path | str) -> tuple[pd.DataFrame, dict]:
    """Read a TMY3 (``.csv``) or TMY2 (``.tm2``) file, optionally gzipped.

    Parameters
    ----------
    path : path
        The file; ``.gz`` files are decompressed in memory.

    Returns
    -------
    data : pandas.DataFrame
        8,760 hourly rows indexed by the hour-*ending* local standard time as the file
        gives it, with ``ghi, dni, dhi`` [W/m2], ``temp_air`` [degC], ``wind_speed`` [m/s].
    metadata : dict
        At least ``latitude``, ``longitude`` [deg], ``altitude`` [m], ``TZ`` [h from UTC]
        and ``name``.
    """
    path = Path(path)
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    stem = path.name.removesuffix(".gz")
    if stem.endswith(".tm2"):
        # pvlib's TMY2 reader takes a file name only.
        with tempfile.NamedTemporaryFile(suffix=".tm2") as handle:
            handle.write(raw)
            handle.flush()
            data, meta = pvlib.iotools.read_tmy2(handle.name)
        data = data.rename(
            columns={
                "GHI": "ghi",
                "DNI": "dni",
                "DHI": "dhi",
                "DryBulb": "temp_air",
                "Wspd": "wind_speed",
            }
        )
        # TMY2 stores temperature in tenths of a degree and wind in tenths of m/s.
        data["temp_air"] = data["temp_air"] / 10.0
        data["wind_speed"] = data["wind_speed"] / 10.0
        # pvlib labels TMY2 rows by the hour's start; TMY3 (and this function) by its end.
        data.index = data.index + pd.Timedelta(hours=1)
        meta = {**meta, "name": meta["City"].strip()}
    else:
        data, meta = pvlib.iotools.read_tmy3(io.StringIO(raw.decode("utf-8")), map_variables=True)
        meta = {**meta, "name": str(meta["Name"]).strip('"')}
    return data[TMY_COLUMNS].astype(float), meta
