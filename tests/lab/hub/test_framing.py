"""Framing on the hub API's port, byte by byte (Cambrionix Hub API manual §3.3).

Raw mode: JSON requests back to back with no delimiter, split anywhere by TCP; HTTP mode: one GET with the
JSON in the URL (plain, ``?``-prefixed, %-encoded) or in its body. A failure means a client that works with
a real ``CambrionixApiService`` would get no answer, a wrong one, or a parse error from the lab.
"""

from __future__ import annotations

import json

import pytest

from harness.lab.hub.framing import Garbage, HttpGet, JsonStream, http_json, http_response, parse_http_get

OPEN = b'{"jsonrpc":"2.0","id":1,"method":"cbrx_connection_open","params":["DB0074F5"]}'
SET = b'{"jsonrpc":"2.0","id":2,"method":"cbrx_connection_set","params":[7654,"Port.1.mode","o"]}'
TRICKY = '{"jsonrpc":"2.0","id":"}{\\"[","method":"cbrx_find","params":["caf\u00e9 \\\\\\" }]"]}'.encode()


def feed_all(chunks: list[bytes]) -> tuple[list[object], bytes]:
    stream = JsonStream()
    values = [v for chunk in chunks for v in stream.feed(chunk)]
    return values, stream.pending


@pytest.mark.parametrize(("chunks", "values"), [
    ([OPEN], [json.loads(OPEN)]),
    ([OPEN + SET], [json.loads(OPEN), json.loads(SET)]),
    ([OPEN + b"\r\n  " + SET + b"\n"], [json.loads(OPEN), json.loads(SET)]),
    ([OPEN[:30], OPEN[30:] + SET[:5], SET[5:]], [json.loads(OPEN), json.loads(SET)]),
    ([TRICKY], [json.loads(TRICKY)]),
    ([b"[1, {}]"], [[1, {}]]),
    ([b"17 "], [17]),
    ([b"  \n"], []),
])
def test_raw_stream_cuts_values_wherever_the_reads_split(chunks: list[bytes], values: list[object]) -> None:
    assert feed_all(chunks) == (values, b"")


@pytest.mark.parametrize("payload", [OPEN + SET, TRICKY + OPEN])
def test_raw_stream_one_byte_at_a_time(payload: bytes) -> None:
    values, pending = feed_all([payload[i:i + 1] for i in range(len(payload))])
    decoder, text, expected, pos = json.JSONDecoder(), payload.decode(), [], 0
    while pos < len(text):
        value, pos = decoder.raw_decode(text, pos)
        expected.append(value)
    assert (values, pending) == (expected, b"")


def test_raw_stream_waits_for_the_rest_of_a_value() -> None:
    stream = JsonStream()
    assert stream.feed(OPEN[:-1]) == []
    assert stream.pending == OPEN[:-1]
    assert stream.feed(OPEN[-1:]) == [json.loads(OPEN)]


@pytest.mark.parametrize("garbage", [b"hello", b"{not json}", b"}", b'{"a": \xff}', b"GET"])
def test_raw_garbage_is_reported_and_the_buffer_dropped(garbage: bytes) -> None:
    stream = JsonStream()
    values = stream.feed(OPEN + garbage + SET)
    assert values[0] == json.loads(OPEN)
    assert isinstance(values[1], Garbage) and len(values) == 2
    assert stream.pending == b""
    assert stream.feed(SET) == [json.loads(SET)]  # the connection goes on with the next request


def test_raw_stream_gives_up_on_an_endless_value() -> None:
    stream = JsonStream(limit=64)
    assert stream.feed(b'{"a": "' + b"x" * 40) == []
    values = stream.feed(b"x" * 40)
    assert len(values) == 1 and isinstance(values[0], Garbage)
    assert stream.pending == b""


DISCOVER = '{"jsonrpc":"2.0","id":1,"method":"cbrx_discover","params":["all"]}'
ENCODED = ("%7B%22jsonrpc%22%3A%222.0%22%2C%22id%22%3A1%2C%22method%22%3A%22cbrx_discover%22%2C%22params%22"
           "%3A%5B%22all%22%5D%7D")


@pytest.mark.parametrize(("raw", "target", "json_text"), [
    (f"GET /?{ENCODED} HTTP/1.1\r\nHost: localhost:43424\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n",
     f"/?{ENCODED}", DISCOVER),
    (f"GET /{ENCODED} HTTP/1.1\r\nHost: localhost:43424\r\n\r\n", f"/{ENCODED}", DISCOVER),
    (f"GET /?{DISCOVER} HTTP/1.1\r\nHost: localhost\r\n\r\n", f"/?{DISCOVER}", DISCOVER),
    ('GET /?{"jsonrpc": "2.0", "id": 1} HTTP/1.0\r\n\r\n', '/?{"jsonrpc": "2.0", "id": 1}',
     '{"jsonrpc": "2.0", "id": 1}'),
    (f"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {len(DISCOVER)}"
     f"\r\n\r\n{DISCOVER}", "/", DISCOVER),
])
def test_http_get_takes_the_json_from_the_url_or_the_body(raw: str, target: str, json_text: str) -> None:
    request = parse_http_get(raw.encode())
    assert request is not None and request.target == target
    assert http_json(request) == json_text


@pytest.mark.parametrize("raw", [
    b"GET /?%7B HTTP/1.1\r\nHost: local",
    f"GET / HTTP/1.1\r\nContent-Length: {len(DISCOVER)}\r\n\r\n{DISCOVER[:10]}".encode(),
])
def test_http_get_waits_for_the_whole_request(raw: bytes) -> None:
    assert parse_http_get(raw) is None


@pytest.mark.parametrize("raw", [
    b"POST / HTTP/1.1\r\n\r\n",
    b"GET /\r\n\r\n",
    b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
    b"GET / HTTP/1.1\r\nContent-Length: lots\r\n\r\n",
    b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
])
def test_http_get_rejects_what_is_not_a_get(raw: bytes) -> None:
    with pytest.raises(ValueError):
        parse_http_get(raw)


def test_http_get_with_neither_url_nor_body_has_no_json() -> None:
    assert http_json(HttpGet("/", {}, b"")) == ""


def test_http_response_is_json_with_its_length_and_closes() -> None:
    assert http_response(b'{"a":1}') == (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n"
                                         b"Connection: close\r\n\r\n" + b'{"a":1}')
    assert http_response(b"", 400).startswith(b"HTTP/1.1 400 Bad Request\r\n")
