import os
import stat
from pathlib import Path

import matplotlib.image
import pytest

from vppsim.dataset.build import build_dataset
from vppsim.errors import ConfigError, VppsimError
from vppsim.viz.plots import (
    DPI,
    FIGSIZE,
    INTEGRATED_PNG,
    LOAD_PNG,
    MARKET_PNG,
    SOLAR_PNG,
    load_figure,
    market_figure,
    write_plots,
)
from vppsim.viz.queries import DatasetQueries

from .sources import test_registry


def build(small_settings, datasets: str) -> Path:
    settings = small_settings(datasets=datasets)
    build_dataset(settings, test_registry())
    return Path(settings.out)


def test_four_valid_deterministic_pngs(built, tmp_path):
    paths = write_plots(built)
    names = [MARKET_PNG, SOLAR_PNG, LOAD_PNG, INTEGRATED_PNG]
    assert paths == [built / "plots" / name for name in names]
    assert sorted(p.name for p in (built / "plots").iterdir()) == sorted(names)  # no temp files
    for path in paths:
        image = matplotlib.image.imread(path)
        assert image.shape[:2] == (round(FIGSIZE[1] * DPI), round(FIGSIZE[0] * DPI))
        assert path.stat().st_size > 50_000
        assert image[..., :3].std() > 0.05  # drawn, not blank

    again = write_plots(built, out=tmp_path / "again")
    assert [p.parent for p in again] == [tmp_path / "again"] * 4
    for first, second in zip(paths, again, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_market_only_dataset_draws_only_the_market(small_settings):
    root = build(small_settings, "market")
    assert "solar" not in DatasetQueries(root).datasets
    assert write_plots(root) == [root / "plots" / MARKET_PNG]


def test_nothing_to_draw(small_settings):
    root = build(small_settings, "weather")
    with pytest.raises(VppsimError, match="no market, solar or load data"):
        write_plots(root)
    assert not (root / "plots").exists()


@pytest.mark.parametrize("share", [-0.5, 1.01])
def test_bad_pv_share(built, share):
    with pytest.raises(ConfigError, match=str(share)):
        write_plots(built, pv_share=share)
    assert not (built / "plots").exists()


def test_load_figure_without_weather_leaves_out_the_temperature_panel(built):
    with_weather = load_figure(DatasetQueries(built))
    for path in [built / "weather.csv", built / "parquet" / "weather.parquet"]:
        path.unlink()
    queries = DatasetQueries(built)
    assert "weather" not in queries.datasets
    without = load_figure(queries)
    assert len(without.axes) == len(with_weather.axes) - 1
    titles = [ax.get_title() for ax in without.axes]
    assert not any("temperature" in title for title in titles)
    assert "weather" not in without.texts[-1].get_text()


def test_load_chart_diversity_uses_every_home_and_the_true_factor(built):
    queries = DatasetQueries(built)
    own = queries.home_daily_stats()["peak_kw"]
    fleet_peak = queries.fleet_load()["load_kw"].max()
    figure = load_figure(queries)
    texts = " | ".join(t.get_text() for ax in figure.axes for t in ax.texts)
    assert f"{own.mean():.2f} kW alone (mean own peak)" in texts
    assert f"coincidence factor {fleet_peak / own.sum():.2f}" in texts


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_pngs_get_the_permissions_of_the_umask(built, umask):
    previous = os.umask(umask)
    try:
        paths = write_plots(built)
    finally:
        os.umask(previous)
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path.name
    assert stat.S_IMODE((built / "plots").stat().st_mode) == 0o777 & ~umask


def test_read_only_dataset_is_a_one_line_error(built, monkeypatch):
    if os.geteuid() == 0:  # root writes anywhere: refuse as the kernel would for a user
        real_mkdir = Path.mkdir

        def refuse(self, *args, **kwargs):
            if self.parent == built:
                raise PermissionError(13, "Permission denied", str(self))
            return real_mkdir(self, *args, **kwargs)

        monkeypatch.setattr(Path, "mkdir", refuse)
    built.chmod(0o555)
    try:
        with pytest.raises(ConfigError) as error:
            write_plots(built)
    finally:
        built.chmod(0o755)
    message = str(error.value)
    assert message == f"cannot write the charts to {built / 'plots'}: Permission denied"
    assert "\n" not in message


def test_market_title_names_a_node_only_over_live_prices(built):
    queries = DatasetQueries(built)
    node = queries.manifest["vppsim"]["config"]["market"]["node"]
    title = market_figure(queries).get_suptitle()
    assert title.startswith("Synthetic market prices") and node not in title
    queries.provenance("market")["kind"] = "live"
    assert market_figure(queries).get_suptitle().startswith(f"CAISO market prices at {node}, ")


def test_capacity_prices_are_drawn_on_their_own_axis(built):
    capacity = [
        ax
        for ax in market_figure(DatasetQueries(built)).axes
        if any("reserve" in line.get_label() for line in ax.get_lines())
    ]
    assert [ax.get_ylabel() for ax in capacity] == ["AS price [$/MW-h]"]
    assert not any("LMP" in line.get_label() for line in capacity[0].get_lines())
