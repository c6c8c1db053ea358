"""The native vector env of ``vppsim/VPP-v0``: each sub-env is the single environment on its
data (against Gymnasium's own SyncVectorEnv of single envs, autoreset included), forecast
members realise their own prices under the same issued forecasts, and sub-envs that cannot
step together are refused in one line."""

from __future__ import annotations

import json
from dataclasses import replace

import gymnasium
import numpy as np
import pandas as pd
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from gymnasium.vector.utils import batch_space

import vppsim.env
from vppsim.env import gym as vgym
from vppsim.env import vector
from vppsim.env.simulator import Fleet
from vppsim.errors import ConfigError
from vppsim.fleet import run


@pytest.fixture(scope="module")
def data(env_root):
    """Its environment inputs."""
    return vgym.load(env_root)


@pytest.fixture(scope="module")
def members(env_root):
    return pd.read_parquet(env_root / vector.MEMBERS_FILE)


@pytest.fixture(scope="module")
def fewer_batteries(env_root, data):
    """The dataset with a third of its batteries removed: the same homes, other rows."""
    study = run.read_study(env_root)
    enrolled = study.assets.index[study.assets["enrolled"].to_numpy(bool)]
    assets = study.assets.copy()
    assets.loc[enrolled[::3], "battery_energy_kwh"] = 0.0
    out = vgym.from_study(replace(study, assets=assets), data.settings)
    assert out.fleet.homes == data.fleet.homes
    assert 0 < len(out.fleet.battery_rows) < len(data.fleet.battery_rows)
    return out


def _assert_same(a, b, where):
    """Batched observations or infos equal, key by key (nested dicts too)."""
    assert a.keys() == b.keys(), where
    for key in a:
        if isinstance(a[key], dict):
            _assert_same(a[key], b[key], f"{where} {key}")
        else:
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{where} {key}")


def test_each_sub_env_is_the_single_env_on_its_data_autoreset_included(
    data, members, fewer_batteries
):
    datasets = [data, vector.member_data(data, members)[3], fewer_batteries]
    env = vector.VppVectorEnv(datasets)
    sync = SyncVectorEnv([lambda d=d: vgym.VppEnv(d) for d in datasets])
    assert env.metadata["autoreset_mode"] == sync.metadata["autoreset_mode"]
    assert env.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    assert env.single_action_space == sync.single_action_space
    assert env.observation_space == batch_space(env.single_observation_space, 3)
    assert env.observation_space == sync.observation_space
    assert env.action_space.shape == (3, data.fleet.homes, 4)

    observed, info = env.reset(seed=5)
    expected, expected_info = sync.reset(seed=5)
    _assert_same(observed, expected, "reset")
    _assert_same(info, expected_info, "reset info")
    assert env.observation_space.contains(observed)
    env.action_space.seed(2)
    steps = data.fleet.n + 2  # the episode, then the autoreset step and one more
    for k in range(steps):
        actions = env.action_space.sample()
        got = env.step(actions)
        want = sync.step(actions)
        _assert_same(got[0], want[0], f"step {k}")
        for i in (1, 2, 3):
            np.testing.assert_array_equal(got[i], want[i], err_msg=f"step {k} item {i}")
        _assert_same(got[4], want[4], f"step {k} info")
        if k == data.fleet.n - 1:
            assert got[2].all()  # the shared grid ends every sub-env together
            totals = got[4]["settlement_total"]["net"]
            assert len(set(totals.tolist())) == 3  # three different episodes
        if k == data.fleet.n:  # the autoreset step: first observations, no reward
            assert not got[2].any() and not got[1].any()
            assert (got[4]["step"] == 0).all()


def test_each_sub_env_keeps_its_own_day_ahead_position(data, fewer_batteries):
    datasets = [data, fewer_batteries]
    hours = -(-data.fleet.n // 4)
    fleet_award = np.zeros((hours, 4))
    fleet_award[:, 0] = 30.0
    per_home = np.zeros((hours, data.fleet.homes, 4))
    per_home[:, fewer_batteries.fleet.battery_rows, 1] = 2.0
    options = [
        {"as_award_kw": fleet_award},
        {"as_award_kw": per_home, "da_award_kw": [5.0] * hours},
    ]
    env = vector.VppVectorEnv(datasets)
    singles = [vgym.VppEnv(d) for d in datasets]
    env.reset(options=options)
    for single, o in zip(singles, options, strict=True):
        single.reset(options=o)
    rng = np.random.default_rng(4)
    for _ in range(40):
        actions = env.action_space.low + rng.random(env.action_space.shape) * 2
        _, rewards, _, _, info = env.step(actions)
        for i, single in enumerate(singles):
            _, reward, _, _, alone = single.step(actions[i])
            assert rewards[i] == reward
            for line, value in alone["settlement"].items():
                assert info["settlement"][line][i] == value
    assert info["settlement_total"]["as_capacity"][0] > 0
    assert (
        info["settlement_total"]["da_energy"][1] != 0
        and info["settlement_total"]["da_energy"][0] == 0
    )
    with pytest.raises(ConfigError, match="options: need one dict for all or 2"):
        env.reset(options=[{}, {}, {}])


def test_forecast_members_realise_their_own_prices_under_the_issued_forecasts(env_root, members):
    env = gymnasium.make_vec(
        vppsim.env.ENV_ID,
        num_envs=4,
        vectorization_mode="vector_entry_point",
        data=env_root,
        members=True,
    )
    assert isinstance(env, vector.VppVectorEnv)
    stamps = env.envs[0].data.timestamps
    for m, sub in enumerate(env.envs):
        path = members[members["member"] == m].set_index("timestamp").loc[stamps]
        np.testing.assert_array_equal(sub.data.fmm_lmp, path["lmp"].to_numpy(float))
        np.testing.assert_array_equal(sub.data.da_lmp, path["da_lmp"].to_numpy(float))
    observed, _ = env.reset(seed=0)
    actions = np.zeros(env.action_space.shape)
    for _ in range(60):  # to 15:00: tomorrow's day-ahead prices are out
        observed, _, _, _, info = env.step(actions)
    # The same homes, the same actions: the same meter; each member settles at its price.
    meter = info["meter_kw"]
    assert np.all(meter == meter[0])
    lmp = np.array([sub.data.fmm_lmp[59] for sub in env.envs])
    np.testing.assert_allclose(info["settlement"]["rt_imbalance"], meter * lmp * 0.25 / 1000)
    assert len(set(lmp.tolist())) == 4
    # What is issued is the dataset's for every member; what is realised is the member's.
    for key in observed:
        same = all(np.array_equal(observed[key][0], observed[key][i]) for i in range(4))
        assert same == (key not in {"fmm_lmp", "da_lmp"}), key


def test_sub_envs_that_cannot_step_together_are_refused_in_one_line(data, tmp_path, env_root):
    twice = replace(
        data,
        fleet=data.fleet.tiled(2),
        terminal_usd_per_kwh=np.tile(data.terminal_usd_per_kwh, 2),
    )
    with pytest.raises(ConfigError, match=r"^sub-env 1 has 76 enrolled homes, sub-env 0 38:"):
        vector.make_vector_env(data=[data, twice])
    shorter = replace(data, timestamps=data.timestamps + pd.Timedelta(days=1))
    with pytest.raises(ConfigError, match="sub-env 1's grid differs"):
        vector.make_vector_env(data=[data, shorter])
    stricter = replace(data, settings=data.settings.model_copy(update={"reserve_hours": 1.0}))
    with pytest.raises(ConfigError, match=r"^sub-env 1's dispatch settings differ"):
        vector.make_vector_env(data=[data, stricter])
    with pytest.raises(ConfigError, match="mode='bidding': the vector env steps dispatch"):
        vector.make_vector_env(data=data, mode="bidding")
    with pytest.raises(ConfigError, match="members=True: give data as one dataset folder"):
        vector.make_vector_env(data=data, members=True)
    # A suite folder batches its scenarios, cycled to num_envs.
    for name in ("a", "b"):
        (tmp_path / name).symlink_to(env_root, target_is_directory=True)
    scenarios = [{"path": "a"}, {"path": "b"}]
    (tmp_path / "scenarios.json").write_text(json.dumps({"scenarios": scenarios}))
    env = vector.make_vector_env(num_envs=3, data=tmp_path)
    assert [e.data.fleet.homes for e in env.envs] == [38, 38, 38]
    assert env.action_space.shape == (3, 38, 4)


def test_fleet_concat_puts_the_fleets_side_by_side(data, fewer_batteries):
    both = Fleet.concat([data.fleet, fewer_batteries.fleet])
    homes, batteries = data.fleet.homes, len(data.fleet.battery_rows)
    assert both.homes == 2 * homes
    np.testing.assert_array_equal(both.pv_kw[:, homes:], fewer_batteries.fleet.pv_kw)
    np.testing.assert_array_equal(
        both.battery_rows[batteries:], fewer_batteries.fleet.battery_rows + homes
    )
    np.testing.assert_array_equal(
        both.batteries.energy_kwh[batteries:], fewer_batteries.fleet.batteries.energy_kwh
    )
    np.testing.assert_array_equal(
        both.drive.air[:, len(data.fleet.ac_rows) :], fewer_batteries.fleet.drive.air
    )
    with pytest.raises(ConfigError, match="fleets differ in n"):
        Fleet.concat([data.fleet, replace(data.fleet, base_kw=data.fleet.base_kw[:10])])
