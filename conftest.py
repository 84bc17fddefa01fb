"""Root conftest: the harness's pytest plugin (also registered by the package's pytest11 entry point
under the same name, so it is loaded once either way)."""

pytest_plugins = ["harness.plugin"]
