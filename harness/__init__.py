"""bgharness: a real-device test harness for mobile background work, with a virtual lab."""

__version__ = "0.1.0"

__all__ = ["__version__"]
