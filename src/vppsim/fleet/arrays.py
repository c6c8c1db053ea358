"""Per-home parameter arrays from whatever holds them (a homes or assets frame, a mapping of
arrays, or a struct-of-arrays such as :class:`vppsim.fleet.assets.Fleet`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def attribute(source: Any, name: str, dtype=np.float64) -> np.ndarray:
    """The per-home array ``name`` of ``source`` as ``dtype`` (H,).

    Parameters
    ----------
    source : pandas.DataFrame, mapping or object
        A frame (column ``name``), a mapping (key ``name``) or any object with the
        attribute ``name``.
    name : str
        Column, key or attribute name.
    dtype : numpy dtype
        Dtype of the result.

    Returns
    -------
    numpy.ndarray
        One-dimensional array, one value per home.
    """
    if isinstance(source, pd.DataFrame):
        return source[name].to_numpy(dtype=dtype)
    if isinstance(source, Mapping):
        return np.asarray(source[name], dtype=dtype).reshape(-1)
    return np.asarray(getattr(source, name), dtype=dtype).reshape(-1)
