"""Hypothesis strategies for plist values and lockdown-shaped requests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from harness.lab.ios.lockdownd import LockdownSession

REQUESTS = ["QueryType", "GetValue", "SetValue", "StartSession", "StopSession", "ValidatePair", "Pair", "Unpair",
            "StartService", "Goodbye"]
_KEYS = ["Request", "Key", "Domain", "Value", "HostID", "SessionID", "PairRecord", "Service", "Label",
         "ProtocolVersion"]

scalars = st.one_of(st.text(max_size=20), st.integers(-(2**63), 2**64 - 1), st.booleans(), st.binary(max_size=20),
                    st.floats(allow_nan=False))
values: st.SearchStrategy[Any] = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)
requests = st.dictionaries(st.sampled_from(_KEYS), values, max_size=5).flatmap(
    lambda body: st.one_of(st.just(body), st.sampled_from(REQUESTS).map(lambda name: {**body, "Request": name})))

__all__ = ["REQUESTS", "LockdownSession", "requests", "values"]
