"""The PVWatts chain's knobs: the system and model constants of the reference roof system.

Defaults are PVWatts v8's standard module on a fixed roof mount, at the orientation of the
study's reference system (CALIBRATION.md: tilt 20 deg, facing south).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

NOCT_ROOF = 49.0
NOCT_RACK = 45.0
"""Nominal operating cell temperature of PVWatts v8's fixed roof mount and open rack [degC]."""


class SolarParameters(BaseModel):
    """System and model constants of the PVWatts v8 chain
    (:func:`vppsim.solar.physics.pvwatts_ac`) and the reference system's orientation.

    Examples
    --------
    >>> SolarParameters(dc_ac_ratio=1.3, losses_percent=10.0)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dc_ac_ratio: float = Field(
        1.2,
        gt=0.0,
        le=5.0,
        description="DC nameplate over AC rating [1]; AC output is clipped at 1 / dc_ac_ratio "
        "kW per kW DC.",
    )
    inverter_efficiency: float = Field(
        0.96, gt=0.0, le=1.0, description="Nominal inverter efficiency [1]."
    )
    losses_percent: float = Field(
        14.08,
        ge=0.0,
        lt=100.0,
        description="Total DC system losses [%] (PVWatts' default breakdown: soiling, shading, "
        "mismatch, wiring, ...).",
    )
    gamma_pdc: float = Field(
        -0.0037,
        ge=-0.02,
        le=0.0,
        description="Temperature coefficient of DC power [1/degC].",
    )
    albedo: float = Field(0.2, ge=0.0, le=1.0, description="Ground reflectance [1].")
    array_type: Literal["roof", "rack"] = Field(
        "roof",
        description="PVWatts 'fixed roof mount' (NOCT 49 degC) or 'fixed open rack' (NOCT 45 "
        "degC); row self-shading of racks is not modelled.",
    )
    module_efficiency: float = Field(
        0.1913,
        gt=0.0,
        le=0.5,
        description="STC module efficiency [1] of PVWatts v8's standard module (CS1H-320MS); "
        "only the cell-temperature model uses it.",
    )
    transmittance_absorptance: float = Field(
        0.9,
        gt=0.0,
        le=1.0,
        description="Cover transmittance times cell absorptance at normal incidence [1] "
        "(NOCT-SAM).",
    )
    glass_index: float = Field(
        1.526, ge=1.0, le=3.0, description="Refractive index of the cover glass [1]."
    )
    coating_index: float | None = Field(
        1.3,
        ge=1.0,
        le=3.0,
        description="Refractive index of the anti-reflective coating on the beam path [1]; "
        "None for plain glass.",
    )
    reference_tilt: float = Field(
        20.0,
        ge=0.0,
        le=90.0,
        description="Tilt of the reference system (the solar dataset) from horizontal [deg].",
    )
    reference_azimuth: float = Field(
        180.0,
        ge=0.0,
        lt=360.0,
        description="Azimuth of the reference system, clockwise from north [deg] (180: south).",
    )

    @property
    def noct(self) -> float:
        """Nominal operating cell temperature for the array type [degC]."""
        return NOCT_ROOF if self.array_type == "roof" else NOCT_RACK

    @property
    def ac_limit(self) -> float:
        """AC rating per kW of DC [kW/kW]."""
        return 1.0 / self.dc_ac_ratio
