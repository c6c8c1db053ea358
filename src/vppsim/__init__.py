"""vppsim: data and simulation environment for virtual power plants."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vppsim")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

from vppsim.api import DataCollector
from vppsim.config import Settings, load_settings

__all__ = ["DataCollector", "Settings", "__version__", "load_settings"]
