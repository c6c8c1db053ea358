"""Run a build that stalls after its first load chunk, so a test can kill it mid-way.

Usage: python -m tests.slow_build OUT MARKER
"""

import sys
from pathlib import Path

from vppsim.cli import exit_on_sigterm
from vppsim.config import load_settings
from vppsim.dataset.build import build_dataset

from .sources import TestLoad, test_registry

if __name__ == "__main__":
    exit_on_sigterm()  # as `vppsim build` does
    out, marker = Path(sys.argv[1]), Path(sys.argv[2])
    TestLoad.delay_after_first_chunk = 120.0
    TestLoad.marker = marker
    settings = load_settings(
        {"start": "2023-08-01", "end": "2023-08-02", "homes": 6, "chunk_homes": 2, "out": out},
        env_file=None,
    )
    build_dataset(settings, test_registry())
