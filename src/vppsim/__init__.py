"""vppsim: data and simulation environment for virtual power plants.

The public names are imported on first use, so ``import vppsim`` stays cheap for a worker
process that needs one model and not the whole pipeline.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vppsim")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

_PUBLIC = {
    "DataCollector": "vppsim.api",
    "Settings": "vppsim.config",
    "load_settings": "vppsim.config",
}

__all__ = ["DataCollector", "Settings", "__version__", "load_settings"]


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'vppsim' has no attribute {name!r}")
