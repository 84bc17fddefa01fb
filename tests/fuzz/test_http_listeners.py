"""The lab's HTTP listeners (the push gateway: h2c APNs + HTTP/1.1 FCM; the Appium endpoint; the hub
API; the wake collector): any bytes, and requests with odd request lines, header bytes and bodies, end
in an HTTP error or a closed connection, never an unhandled exception."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from harness.collector import Collector
from harness.lab.hub.framing import Garbage, JsonStream, loads, parse_http_get
from harness.lab.runner import LabThread
from tests.fuzz.kit import LogWatch, exchange, fuzz_settings, still_serves

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
NESTED = b"[" * 5000 + b"]" * 5000  # issue 21: the hub's JSON parser recursed into a RecursionError
token = st.binary(min_size=1, max_size=12)
header_lines = st.lists(st.tuples(token, st.binary(max_size=30)), max_size=4)
paths = st.sampled_from([b"/", b"/3/device/" + b"a" * 64, b"/v1/projects/courier-lab/messages:send", b"/token",
                         b"/wd/hub/session", b"/session", b"/wake", b"/wakes", b"/?{}"]) | st.binary(max_size=30)
bodies = st.one_of(st.binary(max_size=100), st.just(NESTED), st.just(b'{"message":' * 600))


def http1(method: bytes, path: bytes, headers: list[tuple[bytes, bytes]], body: bytes, length: bytes | None,
          auth: bool) -> bytes:
    length = str(len(body)).encode() if length is None else length
    lines = [method + b" " + path + b" HTTP/1.1", b"Host: x", b"Content-Length: " + length,
             *([b"Authorization: Bearer " + TOKEN] if auth else []), *(k + b": " + v for k, v in headers)]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


TOKEN = b"@TOKEN@"  # replaced by the collector's run token, so requests get past its check
lengths = st.none() | st.sampled_from([b"-1", b"x", b"\xd9\xa3", b"\xb3", b"9" * 5000, b""]) | st.binary(max_size=6)
requests = st.builds(http1, st.sampled_from([b"GET", b"POST", b"DELETE", b"PUT"]) | token, paths, header_lines,
                     bodies, lengths, st.booleans())


def _split(address: str) -> tuple[str, int]:
    host, _, port = address.removeprefix("http://").split("/")[0].rpartition(":")
    return host, int(port)


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    with Collector() as running:
        yield running


def _addresses(lab: LabThread, collector: Collector) -> dict[str, tuple[str, int]]:
    inner = lab.lab
    assert inner.push is not None and inner.appium is not None and inner.hub is not None
    return {"push": (inner.cfg.lab.host, inner.cfg.lab.push_port), "appium": _split(inner.appium.url),
            "hub": _split(inner.hub.address), "collector": _split(collector.url)}


LISTENERS = ["push", "appium", "hub", "collector"]


@pytest.mark.parametrize("listener", LISTENERS)
@fuzz_settings()
@given(data=st.binary(max_size=200))
def test_raw_bytes(fuzz_lab: LabThread, collector: Collector, watch: LogWatch, listener: str, data: bytes) -> None:
    address = _addresses(fuzz_lab, collector)[listener]
    exchange(address, data)
    still_serves(address)


@pytest.mark.parametrize("listener", LISTENERS)
@fuzz_settings()
@given(request=requests)
@example(request=b"POST /v1/projects/p/messages:send HTTP/1.1\r\nHost: x\r\nX-Name: \xff\xfe\r\n"
                 b"Content-Length: 0\r\n\r\n")  # issue 21: header bytes decoded as UTF-8
@example(request=b"POST /wake HTTP/1.1\r\nAuthorization: Bearer @TOKEN@\r\nContent-Length: x\r\n\r\n")
@example(request=b"POST /session HTTP/1.1\r\nContent-Length: \xb3\r\n\r\n")  # found by the 2,000-example run
@example(request=b"POST /session HTTP/1.1\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n")
def test_http1_requests(fuzz_lab: LabThread, collector: Collector, watch: LogWatch, listener: str,
                        request: bytes) -> None:
    address = _addresses(fuzz_lab, collector)[listener]
    exchange(address, request.replace(TOKEN, collector.token.encode()))
    still_serves(address)


@fuzz_settings()
@given(st.binary(max_size=300))
def test_h2_frames_after_the_preface(fuzz_lab: LabThread, collector: Collector, watch: LogWatch, data: bytes) -> None:
    address = _addresses(fuzz_lab, collector)["push"]
    exchange(address, data, prefix=PREFACE)
    still_serves(address)


@fuzz_settings(3)
@given(st.lists(st.binary(max_size=64) | st.just(NESTED[:3000]), max_size=6))
def test_hub_json_stream_takes_any_slices(chunks: list[bytes]) -> None:
    stream = JsonStream()
    for chunk in chunks:
        stream.feed(chunk)


def test_hub_nesting_is_a_parse_error() -> None:
    assert isinstance(loads(NESTED), Garbage)
    assert isinstance(JsonStream().feed(NESTED)[0], Garbage)


@fuzz_settings(3)
@given(st.binary(max_size=200))
def test_hub_http_get_parser(data: bytes) -> None:
    with contextlib.suppress(ValueError):
        parse_http_get(b"GET " + data)
