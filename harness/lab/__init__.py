"""The virtual lab: simulated phones reached only over their real wire protocols.

Nothing outside ``harness.lab`` imports the lab except the CLI and the pytest plugin (to start it);
the lab never imports the drivers.
"""
