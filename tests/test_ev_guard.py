"""The env's guards, the device kernels and the dispatch LP are one physics: the LP's
schedule replayed through the env clips nothing (the AC guard's comfort floor stops at the
unit's capacity), and the EV guard's just-in-time floor never asks above the charger (a need
the window cannot hold is the session's shortfall, not a clip)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from vppsim.env import agents
from vppsim.env.score import ScoringEnv, Task, score
from vppsim.env.simulator import Fleet, FleetSimulator
from vppsim.fleet import run
from vppsim.fleet.dispatch import EVSessions, HomeAssets, HomeSeries
from vppsim.fleet.dispatch_spec import DispatchSettings

DT_H = 0.25
CHARGER_KW = 7.2


@pytest.fixture(scope="module")
def study(env_root):
    return run.read_study(env_root)


def test_the_lps_schedule_replayed_clips_nothing(study):
    task = Task.from_study(study)
    assert any(s.ev is not None for s in task.chunk.series)
    assert any(s.thermal is not None for s in task.chunk.series)
    env = ScoringEnv(task)
    result = score(env, agents.perfect_foresight(env))
    assert result.share == pytest.approx(100.0, abs=1e-6)
    # Where full cooling cannot hold the ceiling the AC guard asks for the unit's capacity,
    # as the LP runs it: no comfort clip and no capacity clip either.
    assert result.guard_clips == 0, result.clips_by_kind
    # Sessions cut by the period's end need more than their window holds: the guard's
    # floor charges them at the charger's power, as the LP does, and reports no shortfall.
    assert result.ev_unmet_kwh < 1e-9


def test_the_lps_schedule_replayed_clips_nothing_where_the_ac_stays_with_the_home(study):
    alone = Task.from_study(
        replace(study, assets=study.assets.assign(thermostat_dr_enrolled=False))
    )
    env = ScoringEnv(alone)
    result = score(env, agents.perfect_foresight(env))
    assert result.share == pytest.approx(100.0, abs=1e-6)
    assert result.guard_clips == 0, result.clips_by_kind


def one_car(energy_kwh: float, arrival: int, departure: int, n: int, plugged: np.ndarray):
    """A fleet of one home with one EV session and no other device."""
    limit = CHARGER_KW * plugged
    car = EVSessions(
        arrival=np.array([arrival]),
        departure=np.array([departure]),
        energy_kwh=np.array([energy_kwh]),
        charger_kw=np.array([CHARGER_KW]),
        limit_kw=limit,
        unmanaged_kw=np.zeros(n),
        leaves=np.array([departure < n]),
    )
    series = HomeSeries(np.zeros(n), np.zeros(n), car)
    fleet = Fleet.from_homes(
        np.array([0]), [series], [HomeAssets(export_limit_kw=10.0)], DispatchSettings(), DT_H
    )
    return FleetSimulator(fleet)


def run_car(sim: FleetSimulator, share: float) -> tuple[np.ndarray, dict[str, int]]:
    powers, clips = [], {"ev need": 0, "ev limit": 0}
    for _ in range(sim.fleet.n):
        result = sim.step(np.array([[0.0, share, 0.0, 0.0]]))
        powers.append(result.ev_kw[0])
        for kind in clips:
            clips[kind] += result.clipped[kind]
    return np.array(powers), clips


def test_a_need_beyond_the_window_charges_at_the_charger_without_clips():
    # Plugged in for half of interval 1 and all of 2-3 until the grid's end: 7.2 kW x
    # 0.625 h = 4.5 kWh fit, the session needs 10 kWh (its remainder is the next period's).
    plugged = np.array([0.0, 0.5, 1.0, 1.0])
    sim = one_car(10.0, 1, 4, 4, plugged)
    powers, clips = run_car(sim, 0.0)
    assert np.allclose(powers, CHARGER_KW * plugged)
    # The aggregator asked for nothing: every interval the guard raised is an "ev need",
    # none is the kernel cutting the guard's own floor.
    assert clips == {"ev need": 3, "ev limit": 0}
    assert sim.ev_need_kwh()[0] == pytest.approx(10.0 - 4.5)
    # The charger's full power is what the guard wants; the kernel cuts it only where the
    # car is away (interval 0) or plugged in for half the interval (1).
    sim.reset()
    powers, clips = run_car(sim, 1.0)
    assert np.allclose(powers, CHARGER_KW * plugged)
    assert clips == {"ev need": 0, "ev limit": 2}


def test_the_floor_is_just_in_time_and_a_setpoint_above_the_need_is_clipped():
    # 3.6 kWh needed over intervals 0-3 (7.2 kWh of room) and the aggregator asks nothing:
    # nothing until the last two intervals, then the charger (3.6 kWh / 0.25 h = 14.4 kW
    # would be needed in one interval, 7.2 kW fits in two).
    plugged = np.ones(4)
    sim = one_car(3.6, 0, 4, 6, np.concatenate([plugged, np.zeros(2)]))
    powers, clips = run_car(sim, 0.0)
    assert np.allclose(powers, [0.0, 0.0, 7.2, 7.2, 0.0, 0.0])
    assert clips == {"ev need": 2, "ev limit": 0}
    assert sim.ev_need_kwh()[0] == 0.0
    # Full power from the start meets the need in two intervals; the next two ask above the
    # need (nothing left) and the last two with the car away: the kernel's clips, counted.
    sim.reset()
    powers, clips = run_car(sim, 1.0)
    assert np.allclose(powers, [7.2, 7.2, 0.0, 0.0, 0.0, 0.0])
    assert clips == {"ev need": 0, "ev limit": 4}
