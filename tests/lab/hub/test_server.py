"""The hub API's TCP port with real sockets: raw JSON-RPC, the HTTP GET form, and clients that misbehave.

The raw client is written the way Cambrionix's examples talk to ``CambrionixApiService``: JSON written to
the socket with no delimiter, replies accumulated until they json-parse. HTTP goes through ``curl`` and
urllib. A failure means a real hub client could not drive the lab's hub, or one bad client could take the
hub API down for the others.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from harness.lab.hub import CambrionixHub, CambrionixService, HubServer, UsbDevice
from harness.usbhub import CambrionixClient, HubPort

HUB = "DB0074F5"
UDID = "00008101001A2B3C4D5E001E"


class RunningHub:
    """A ``HubServer`` on port 0 on its own event loop thread."""

    def __init__(self) -> None:
        self.hub = CambrionixHub(HUB)
        self.hub.plug(1, UsbDevice(1452, 4776, "Apple Inc.", "iPhone", UDID, battery=lambda: (80, True)))
        self.server = HubServer(CambrionixService([self.hub]))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="hub-api", daemon=True)

    def start(self) -> RunningHub:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def connect(self) -> RawClient:
        return RawClient(socket.create_connection(("127.0.0.1", self.server.port), timeout=5))

    def url(self, path: str) -> str:
        return f"http://{self.server.address}{path}"


class RawClient:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = ""

    def send(self, *requests: dict[str, Any] | bytes) -> None:
        self.sock.sendall(b"".join(r if isinstance(r, bytes) else json.dumps(r).encode() for r in requests))

    def replies(self, count: int) -> list[dict[str, Any]]:
        """Read until ``count`` JSON objects have come, parsing them back to back as they accumulate."""
        decoder = json.JSONDecoder()
        replies: list[dict[str, Any]] = []
        while len(replies) < count:
            self.buffer = self.buffer.lstrip()
            try:
                value, end = decoder.raw_decode(self.buffer)
            except json.JSONDecodeError:
                chunk = self.sock.recv(65536)
                assert chunk, f"the hub closed the connection after {len(replies)} of {count} replies"
                self.buffer += chunk.decode()
                continue
            replies.append(value)
            self.buffer = self.buffer[end:]
        return replies

    def nothing_more(self, wait_s: float = 0.3) -> bool:
        """No byte (and no close) comes within ``wait_s``: the hub sends nothing unasked."""
        if self.buffer.strip():
            return False
        self.sock.settimeout(wait_s)
        try:
            self.sock.recv(65536)  # a reply, or b"" for a close: either is something
            return False
        except TimeoutError:
            return True
        finally:
            self.sock.settimeout(5)

    def close(self) -> None:
        self.sock.close()


def rpc(request_id: int, method: str, *params: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)}


@pytest.fixture
def running() -> Iterator[RunningHub]:
    hub = RunningHub().start()
    try:
        yield hub
    finally:
        hub.stop()


def test_one_socket_carries_a_whole_conversation(running: RunningHub) -> None:
    client = running.connect()
    client.send(rpc(1, "cbrx_connection_open", HUB))
    [opened] = client.replies(1)
    handle = opened["result"]
    for request_id, (method, *params) in enumerate([
        ("cbrx_connection_set", handle, "Port.1.mode", "o"),
        ("cbrx_connection_get", handle, "Port.1.Flags"),
        ("cbrx_find", "iPhone"),
        ("cbrx_connection_close", handle),
    ], start=2):
        client.send(rpc(request_id, method, *params))
        [reply] = client.replies(1)
        assert reply["id"] == request_id and "result" in reply, reply
    assert running.hub.mode(1) == "o"
    client.close()


def test_two_requests_in_one_send_get_two_replies_in_order(running: RunningHub) -> None:
    client = running.connect()
    client.send(rpc(1, "cbrx_discover", "local"), rpc(2, "cbrx_hub_get", HUB, "Port.1.SerialNumber"))
    assert client.replies(2) == [{"jsonrpc": "2.0", "id": 1, "result": [HUB]},
                                 {"jsonrpc": "2.0", "id": 2, "result": UDID}]
    client.close()


def test_a_request_split_across_two_sends_is_answered_once_whole(running: RunningHub) -> None:
    client = running.connect()
    request = json.dumps(rpc(7, "cbrx_hub_get", HUB, "nrOfPorts")).encode()
    client.send(request[:25])
    assert client.nothing_more()  # half a request: the hub waits for the rest
    client.send(request[25:])
    assert client.replies(1) == [{"jsonrpc": "2.0", "id": 7, "result": 15}]
    client.close()


def test_a_notification_is_carried_out_and_not_answered(running: RunningHub) -> None:
    client = running.connect()
    client.send({"jsonrpc": "2.0", "method": "cbrx_hub_set", "params": [HUB, "Port.1.mode", "c"]},
                rpc(3, "cbrx_hub_get", HUB, "Port.1.Mode"))
    assert client.replies(1) == [{"jsonrpc": "2.0", "id": 3, "result": "c"}]
    assert client.nothing_more()
    client.close()


def test_garbage_gets_a_parse_error_and_the_connection_goes_on(running: RunningHub) -> None:
    client = running.connect()
    client.send(b"{this is not json}")
    assert client.replies(1) == [{"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}]
    client.send(rpc(4, "cbrx_apiversion"))
    assert client.replies(1) == [{"jsonrpc": "2.0", "id": 4, "result": [3, 9]}]
    client.close()


def test_bad_clients_do_not_take_the_server_down(running: RunningHub) -> None:
    half = running.connect()
    half.send(b'{"jsonrpc":"2.0","id":1,"meth')
    half.sock.shutdown(socket.SHUT_WR)  # gone mid-request
    assert half.sock.recv(100) == b""
    half.close()
    binary = running.connect()
    binary.send(bytes(range(256)))
    assert binary.replies(1)[0]["error"]["code"] == -32700
    binary.close()
    with socket.create_connection(("127.0.0.1", running.server.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nthis is no header\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 400 ")
    with socket.create_connection(("127.0.0.1", running.server.port), timeout=5) as sock:
        sock.sendall(b"GET /")
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(100) == b""
    client = running.connect()
    client.send(rpc(5, "cbrx_discover", "local"))
    assert client.replies(1)[0]["result"] == [HUB]
    client.close()


DISCOVER = {"jsonrpc": "2.0", "id": 1, "method": "cbrx_discover", "params": ["all"]}


def http_get(url: str, body: bytes | None = None) -> tuple[int, str, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method="GET")
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.headers["Content-Type"], json.loads(response.read())


@pytest.mark.parametrize("form", ["/?{}", "/{}"])
def test_http_get_with_the_json_in_the_url(running: RunningHub, form: str) -> None:
    status, content_type, reply = http_get(running.url(form.format(urllib.parse.quote(json.dumps(DISCOVER)))))
    assert (status, content_type, reply["id"]) == (200, "application/json", 1)
    assert reply["result"][HUB]["nrOfPorts"] == 15


def test_http_get_with_the_json_in_the_body(running: RunningHub) -> None:
    _, _, reply = http_get(running.url("/"), json.dumps(rpc(9, "cbrx_hub_get", HUB, "Port.1.Flags")).encode())
    assert reply == {"jsonrpc": "2.0", "id": 9, "result": "A S"}


def test_http_get_with_a_bad_json_is_a_parse_error(running: RunningHub) -> None:
    _, _, reply = http_get(running.url("/?%7Bnope"))
    assert reply == {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_switches_a_port_off_and_on(running: RunningHub) -> None:
    def curl(request: dict[str, Any]) -> dict[str, Any]:
        url = running.url("/?" + urllib.parse.quote(json.dumps(request)))
        done = subprocess.run(["curl", "-sS", "-i", url], capture_output=True, timeout=10, check=True)
        head, _, body = done.stdout.decode().partition("\r\n\r\n")
        assert head.startswith("HTTP/1.1 200 OK") and "Content-Type: application/json" in head
        reply: dict[str, Any] = json.loads(body)
        return reply

    assert curl(rpc(1, "cbrx_hub_set", HUB, "Port.1.mode", "o"))["result"] is True
    assert curl(rpc(2, "cbrx_find", UDID))["result"] == {}
    assert curl(rpc(3, "cbrx_hub_set", HUB, "Port.1.mode", "s"))["result"] is True
    assert curl(rpc(4, "cbrx_find", UDID))["result"][UDID]["HostPort"] == 1


def test_the_harness_client_drives_the_lab_hub(running: RunningHub) -> None:
    """``harness.usbhub``'s client, one socket per call as the vendor's wrapper does, against the lab's hub."""
    client = CambrionixClient(running.server.address, "iphone-12", timeout_s=5)
    port = client.find(UDID)
    assert port == HubPort(HUB, 1)
    client.set_mode(port, "o")
    assert (client.mode(port), client.flags(port)) == ("o", {"D", "O"})
    assert client.find(UDID) is None
    client.set_mode(port, "s")
    assert (client.mode(port), client.flags(port)) == ("s", {"A", "S"})
    assert client.find(UDID) == port
