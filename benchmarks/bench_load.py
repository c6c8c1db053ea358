"""Time the residential load generator: its rate, a 100,000-home streamed build, richardsonpy.

    python benchmarks/bench_load.py                       # everything, defaults below
    python benchmarks/bench_load.py --rate-homes 200 10000 --stream-homes 0   # rates only
    python benchmarks/bench_load.py --stream-homes 100000 --stream-mode build

1. Generation rate: home-intervals per second of ``simulate_load`` alone (homes drawn and
   weather simulated beforehand and timed apart), August 2023 at 15 min, best of
   ``--repeat``, for each ``--rate-homes`` (generated in chunks of ``--chunk`` homes, as the
   build does).
2. Streaming: a fresh process generates ``--stream-homes`` homes x one month and writes
   long-format Parquet parts (``home_id int32, timestamp timestamp[us, UTC], load_kw
   float32``, zstd, one part per chunk); the parent reports its wall time and its peak
   RSS (``os.wait4``). ``build`` mode runs ``build_dataset`` with ``datasets=load,
   formats=parquet, weather_source=synthetic``: the load source, the writer, homes.parquet
   and validation, as ``vppsim build`` does (with ``default_registry()``).
   ``writer`` mode generates the same parts and writes them straight from numpy with
   pyarrow: the floor under the build's own conversion and validation.
3. richardsonpy (RWTH-EBC; occupancy plus appliance and lighting load of one household at
   1-min, a whole year per call), if installed: ``--richardson-homes`` households x one
   year on the same synthetic irradiance, scaled to home-intervals per second, and the
   ratio to vppsim's 200-home rate. It is a benchmark-only dependency.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from vppsim.grid import build_grid
from vppsim.seeds import Stream, stream_rng
from vppsim.weather.synthetic import simulate_weather

LAT, LON, TZ, INTERVAL = 34.05, -118.24, "America/Los_Angeles", 15
START, END = dt.date(2023, 8, 1), dt.date(2023, 8, 31)
SEED = 42


def study_weather(start: dt.date, end: dt.date) -> tuple[pd.DatetimeIndex, pd.DataFrame]:
    grid = build_grid(start, end, TZ, INTERVAL)
    return grid, simulate_weather(grid, LAT, LON, TZ, INTERVAL, stream_rng(SEED, Stream.WEATHER))


def chunks(homes: int, size: int):
    for first in range(0, homes, size):
        yield np.arange(first, min(first + size, homes), dtype=np.int32)


# ---------------------------------------------------------------------------------- rate


def generation_rate(homes: int, chunk: int, repeat: int, grid, weather) -> dict:
    """Best-of-``repeat`` seconds to draw the homes and to generate their load."""
    from vppsim.load.homes import draw_homes
    from vppsim.load.model import simulate_load
    from vppsim.load.parameters import LoadParameters

    parameters = LoadParameters()
    ids = list(chunks(homes, chunk))
    draw_times, load_times = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        tables = [draw_homes(SEED, part, parameters) for part in ids]
        draw_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        for table in tables:
            load = simulate_load(table, weather, grid, TZ, INTERVAL, SEED, parameters)
            assert load.shape == (len(table), len(grid)) and load.dtype == np.float32
            del load
        load_times.append(time.perf_counter() - start)
    return {"draw": min(draw_times), "load": min(load_times)}


# ----------------------------------------------------------------------------- streaming

CHILD_WRITER = "writer"
CHILD_BUILD = "build"


def build_registry():
    """The datasets vppsim ships (the load dataset and the weather it reads)."""
    from vppsim.registry import default_registry

    return default_registry()


def child_writer(homes: int, chunk: int, out: Path) -> dict:
    """Generate each chunk and write it straight from numpy with pyarrow (no pandas)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from vppsim.load.homes import draw_homes
    from vppsim.load.model import simulate_load
    from vppsim.load.parameters import LoadParameters

    clock = time.perf_counter()
    grid, weather = study_weather(START, END)
    seconds = {"weather": time.perf_counter() - clock, "generate": 0.0, "write": 0.0}
    parameters = LoadParameters()
    stamps = grid.asi8 // 1000  # [us]
    schema = pa.schema(
        [
            pa.field("home_id", pa.int32(), nullable=False),
            pa.field("timestamp", pa.timestamp("us", tz="UTC"), nullable=False),
            pa.field("load_kw", pa.float32(), nullable=False),
        ]
    )
    rows = size = parts = 0
    for part, ids in enumerate(chunks(homes, chunk)):
        clock = time.perf_counter()
        table = draw_homes(SEED, ids, parameters)
        load = simulate_load(table, weather, grid, TZ, INTERVAL, SEED, parameters)
        seconds["generate"] += time.perf_counter() - clock
        clock = time.perf_counter()
        columns = [
            pa.array(np.repeat(ids, len(grid))),
            pa.array(np.tile(stamps, len(ids)), type=pa.timestamp("us", tz="UTC")),
            pa.array(np.ascontiguousarray(load, dtype=np.float32).reshape(-1)),
        ]
        path = out / f"parquet/load/part-{part:05d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_arrays(columns, schema=schema), path, compression="zstd")
        seconds["write"] += time.perf_counter() - clock
        rows += len(ids) * len(grid)
        size += path.stat().st_size
        parts += 1
        del columns, load, table
    return {"seconds": seconds, "rows": rows, "bytes": size, "parts": parts}


def child_build(homes: int, chunk: int, out: Path) -> dict:
    """``build_dataset``: the load source, the writer, homes.parquet and validation."""
    from vppsim.config import load_settings
    from vppsim.dataset.build import build_dataset

    settings = load_settings(
        {
            "homes": homes,
            "chunk_homes": chunk,
            "datasets": "load",
            "formats": "parquet",
            "weather_source": "synthetic",
            "load_source": "synthetic",
            "start": START,
            "end": END,
            "seed": SEED,
            "out": out,
        },
        env_file=None,
    )
    result = build_dataset(settings, build_registry())
    resources = result.manifest.resources
    load = [r for r in resources if r.name.startswith("load_part_")]
    return {
        "rows": sum(r.rows for r in load),
        "bytes": sum(r.size for r in resources),
        "parts": len(load),
    }


def run_child(mode: str, homes: int, chunk: int) -> tuple[float, float, int, dict | str]:
    """Run one streamed generation in a fresh process: wall [s], its peak RSS [MiB] from
    ``os.wait4``, exit code, and the child's JSON summary (or its last stderr line)."""
    workdir = Path(tempfile.mkdtemp(prefix="vppsim-bench-load-"))
    out = workdir / "data"
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode]
    command += ["--stream-homes", str(homes), "--chunk", str(chunk), "--out", str(out)]
    try:
        with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
            start = time.perf_counter()
            process = subprocess.Popen(command, stdout=stdout, stderr=stderr)
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - start
            process.returncode = os.waitstatus_to_exitcode(status)
            stdout.seek(0)
            stderr.seek(0)
            text, errors = stdout.read().decode(), stderr.read().decode(errors="replace")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    peak = usage.ru_maxrss / 1024  # Linux: KiB
    lines = text.strip().splitlines()
    if process.returncode != 0 or not lines:
        last = errors.strip().splitlines()
        return wall, peak, process.returncode, last[-1] if last else "no output"
    return wall, peak, process.returncode, json.loads(lines[-1])


# ---------------------------------------------------------------------------- richardsonpy


def richardson_rate(households: int, seed: int) -> dict | None:
    """Seconds for ``households`` richardsonpy households x one year (2023) at 1 min on the
    synthetic irradiance of the site, or None if richardsonpy is not installed."""
    try:
        import richardsonpy.classes.electric_load as electric_load
        import richardsonpy.classes.occupancy as occupancy
    except ImportError:
        return None
    import random

    grid, weather = study_weather(dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    # richardsonpy sums direct and diffuse into one global irradiance [W/m2] for lighting;
    # 15-min GHI held over each minute; 365 days x 1,440 minutes.
    ghi = np.repeat(weather["ghi_w_m2"].to_numpy(), INTERVAL)
    assert ghi.size == 365 * 1440
    zeros = np.zeros_like(ghi)
    random.seed(seed)  # richardsonpy draws from the stdlib's global generator
    occupants = [1 + (home % 5) for home in range(households)]
    first_day = dt.date(2023, 1, 1).isoweekday()
    start = time.perf_counter()
    energy = []
    for count in occupants:
        occupancy_profile = occupancy.Occupancy(number_occupants=count, initial_day=first_day)
        load = electric_load.ElectricLoad(
            occ_profile=occupancy_profile.occupancy,
            total_nb_occ=count,
            q_direct=ghi,
            q_diffuse=zeros,
            timestep=60,
            initial_day=first_day,
        )
        energy.append(float(np.sum(load.loadcurve)) / 60 / 1000)  # W-min -> kWh
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "households": households,
        "minutes": ghi.size,
        "intervals_15min": len(grid),
        "annual_kwh": energy,
    }


# ---------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate-homes", type=int, nargs="*", default=[200, 10_000])
    parser.add_argument("--stream-homes", type=int, default=100_000, help="0 skips streaming")
    parser.add_argument("--stream-mode", choices=["build", "writer", "both"], default="both")
    parser.add_argument("--chunk", type=int, default=2_000, help="homes per chunk / part")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--richardson-homes", type=int, default=3, help="0 skips richardsonpy")
    parser.add_argument("--child", choices=[CHILD_WRITER, CHILD_BUILD], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        work = child_writer if args.child == CHILD_WRITER else child_build
        print(json.dumps(work(args.stream_homes, args.chunk, args.out)))
        return 0

    try:
        from vppsim.load.homes import draw_homes
        from vppsim.load.model import simulate_load
    except ImportError as exc:
        print(f"the load model is not importable: {exc}")
        return 1
    del draw_homes, simulate_load

    grid, weather = study_weather(START, END)
    steps = len(grid)
    print(
        f"generation alone: Aug 2023, {steps:,} intervals of {INTERVAL} min, best of {args.repeat}"
    )
    print(
        f"{'homes':>8} {'draw_homes [s]':>15} {'simulate_load [s]':>18} "
        f"{'home-intervals/s':>17} {'homes x month/s':>16}"
    )
    rates = {}
    for homes in args.rate_homes:
        timing = generation_rate(homes, args.chunk, args.repeat, grid, weather)
        rates[homes] = homes * steps / timing["load"]
        print(
            f"{homes:>8,} {timing['draw']:>15.3f} {timing['load']:>18.3f} "
            f"{rates[homes]:>17,.0f} {homes / timing['load']:>16,.0f}"
        )

    if args.stream_homes:
        modes = {"both": [CHILD_BUILD, CHILD_WRITER], "writer": [CHILD_WRITER]}.get(
            args.stream_mode, [CHILD_BUILD]
        )
        if CHILD_BUILD in modes:
            print("build mode: build_dataset with default_registry()")
        print(
            f"\nstreamed to Parquet: {args.stream_homes:,} homes x Aug 2023, chunks of "
            f"{args.chunk:,} homes, a fresh process each"
        )
        print(f"{'mode':>7} {'wall [s]':>9} {'peak RSS [MiB]':>15} {'rows':>14} {'MB':>8}  detail")
        for mode in modes:
            wall, peak, code, summary = run_child(mode, args.stream_homes, args.chunk)
            if code != 0:
                print(f"{mode:>7} {wall:>9.1f} {peak:>15.1f}  failed ({code}): {summary}")
                continue
            detail = (
                ", ".join(f"{k} {v:.1f} s" for k, v in summary["seconds"].items())
                if "seconds" in summary
                else "build_dataset incl. validation and homes.parquet"
            )
            print(
                f"{mode:>7} {wall:>9.1f} {peak:>15.1f} {summary['rows']:>14,} "
                f"{summary['bytes'] / 1e6:>8.0f}  {summary['parts']} parts; {detail}"
            )

    if args.richardson_homes:
        print()
        result = richardson_rate(args.richardson_homes, SEED)
        if result is None:
            print("richardsonpy not installed (pip install richardsonpy): comparison skipped")
        else:
            n, seconds = result["households"], result["seconds"]
            per_home = seconds / n
            minute_rate = n * result["minutes"] / seconds
            quarter_rate = n * result["intervals_15min"] / seconds
            print(
                f"richardsonpy: {n} households x one year (2023) at 1 min in {seconds:.1f} s "
                f"({per_home:.1f} s per household-year; "
                f"{', '.join(f'{e:,.0f}' for e in result['annual_kwh'])} kWh/year)"
            )
            print(
                f"  {minute_rate:,.0f} 1-min home-intervals/s = "
                f"{quarter_rate:,.0f} 15-min home-intervals/s of output"
            )
            reference = 200 if 200 in rates else next(iter(rates), None)
            if reference is not None:
                ratio = rates[reference] / quarter_rate
                print(
                    f"  vppsim at {reference} homes: {rates[reference]:,.0f} 15-min "
                    f"home-intervals/s = {ratio:,.0f}x richardsonpy's 15-min output rate "
                    f"({rates[reference] / minute_rate:,.1f}x its 1-min rate)"
                )
                days = (END - START).days + 1
                print(
                    f"  {reference} homes x Aug 2023 with richardsonpy: "
                    f"{reference * per_home / 60:,.1f} min (it simulates whole years), "
                    f"{reference * per_home * days / 365:,.0f} s pro rata for {days} days; "
                    f"vppsim: {reference * steps / rates[reference]:.3f} s"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
