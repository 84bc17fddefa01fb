"""The app contracts the lab and the harness share: what both sides must agree on, written once.

The lab models a phone running the app under test; the harness reads that phone. Where both must say the same
thing (the probe's line, the probe's ring-buffer file, the geofence test layout and the platforms' region
limits, the fingerprint that names a push token without revealing it), the definition lives here, in a module
that imports nothing else of the harness. ``tests/test_import_contract.py`` lets the lab import this package,
``harness.config`` and ``harness.errors``, and nothing else of the harness.

- ``probe``: the probe line (docs/probe-line.md), its marker, parser and formatter, and the debug trigger;
- ``ring``: the probe's ring-buffer file (name, place per platform, size, one JSON object per line);
- ``geofence``: the probe's geofence test input and layout, and the platforms' documented region limits;
- ``redaction``: the fingerprint a secret is named by in logs, reports and the lab's state.
"""
