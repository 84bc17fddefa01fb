"""The endpoint's pure parts, table by table: HTTP framing, capabilities, routes, W3C actions."""

from __future__ import annotations

import pytest

from harness.lab.appium._actions import ELEMENT_KEY, gestures
from harness.lab.appium._caps import match_capabilities
from harness.lab.appium._errors import WebDriverError, error_body
from harness.lab.appium._http import HttpError, RequestParser, response_bytes
from harness.lab.appium._routes import match_route

REQUEST = (b"POST /session/abc/execute/sync HTTP/1.1\r\nHost: 127.0.0.1:4724\r\nContent-Type: application/json;"
           b"charset=UTF-8\r\nContent-Length: 47\r\n\r\n" + b'{"script": "mobile: terminateApp", "args": [{}]}'[:47])


def test_a_request_split_byte_by_byte_comes_out_whole() -> None:
    parser = RequestParser()
    out = []
    for i in range(len(REQUEST)):
        out += parser.feed(REQUEST[i:i + 1])
    assert len(out) == 1
    req = out[0]
    assert (req.method, req.path, req.version, req.keep_alive) == ("POST", "/session/abc/execute/sync", "HTTP/1.1",
                                                                     True)
    assert req.headers["content-type"] == "application/json;charset=UTF-8"
    assert req.body == REQUEST.split(b"\r\n\r\n", 1)[1]


def test_pipelined_requests_and_connection_close() -> None:
    two = b"GET /status HTTP/1.1\r\nHost: x\r\n\r\nDELETE /session/s1 HTTP/1.1\r\nConnection: close\r\n\r\n"
    first, second = RequestParser().feed(two)
    assert (first.method, first.path, first.body) == ("GET", "/status", b"")
    assert (second.method, second.keep_alive) == ("DELETE", False)
    assert RequestParser().feed(b"GET /status HTTP/1.0\r\n\r\n")[0].keep_alive is False


@pytest.mark.parametrize(("raw", "status"), [
    (b"BREW /pot HTTP/1.1\r\n\r\n", 400),
    (b"GET /status HTTP/2.0\r\n\r\n", 505),
    (b"POST /session HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
    (b"POST /session HTTP/1.1\r\nContent-Length: ten\r\n\r\n", 400),
    (b"POST /session HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", 413),
    (b"GET /status HTTP/1.1\r\nno colon here\r\n\r\n", 400),
])
def test_requests_a_server_refuses(raw: bytes, status: int) -> None:
    with pytest.raises(HttpError) as err:
        RequestParser().feed(raw)
    assert err.value.status == status


def test_response_framing() -> None:
    data = response_bytes(404, b'{"value":{}}', keep_alive=False)
    head, body = data.split(b"\r\n\r\n")
    assert head.splitlines()[0] == b"HTTP/1.1 404 Not Found"
    assert b"Content-Length: 12" in head and b"Connection: close" in head
    assert body == b'{"value":{}}'


def _caps(always: dict[str, object], first: list[dict[str, object]] | None = None) -> dict[str, object]:
    body: dict[str, object] = {"alwaysMatch": always}
    if first is not None:
        body["firstMatch"] = first
    return {"capabilities": body}


def test_capabilities_are_merged_and_unprefixed() -> None:
    caps = match_capabilities(_caps({"platformName": "Android", "appium:automationName": "UiAutomator2"},
                                    [{"appium:udid": "127.0.0.1:6521", "appium:options": {"noReset": True}}]))
    assert caps == {"platformName": "Android", "automationName": "UiAutomator2", "udid": "127.0.0.1:6521",
                    "noReset": True}


def test_the_first_matching_first_match_entry_wins() -> None:
    caps = match_capabilities(_caps({"platformName": "iOS"}, [{"appium:udid": "x"},
                                                              {"appium:automationName": "XCUITest"}]))
    assert caps["automationName"] == "XCUITest" and "udid" not in caps


@pytest.mark.parametrize(("body", "error", "message"), [
    ({"desiredCapabilities": {"platformName": "Android"}}, "session not created", "W3C capabilities"),
    (_caps({"platformName": "Android", "automationName": "UiAutomator2"}), "invalid argument",
     "All non-standard capabilities should have a vendor prefix. The following capabilities did not have one: "
     "automationName"),
    (_caps({"appium:automationName": "XCUITest"}), "invalid argument", "'platformName' can't be blank"),
    (_caps({"appium:platformName": "iOS"}), "invalid argument", "'automationName' can't be blank"),  # only warned
    (_caps({"platformName": "iOS", "appium:udid": "a"}, [{"appium:udid": "b"}]), "invalid argument",
     "property 'udid' should not exist on both primary ({\"platformName\":\"iOS\",\"udid\":\"a\"}) and secondary "
     "({\"udid\":\"b\"}) object"),
    (_caps({"platformName": "iOS", "appium:options": ["udid"]}), "session not created",
     "The appium:options capability must be an object"),
    (_caps({"platformName": "iOS", "appium:options": {"platformName": "iOS"}}), "session not created",
     "appium:options must only contain vendor-specific capabilties. 'platformName' is unexpected"),
    (_caps({"platformName": "iOS"}, [{"appium:udid": "a"}, {"appium:udid": "b"}]), "invalid argument",
     "Could not find matching capabilities"),
    ({"capabilities": {"firstMatch": {}}}, "invalid argument", "must be a JSON array"),
])
def test_capabilities_appium_refuses(body: object, error: str, message: str) -> None:
    with pytest.raises(WebDriverError) as err:
        match_capabilities(body)
    assert err.value.error == error and message in err.value.message


@pytest.mark.parametrize(("always", "first", "named"), [
    ({"platformName": "Android", "appium:automationName": "UiAutomator2", "udid": "127.0.0.1:6522"}, [{}], "udid"),
    ({"platformName": "Android"}, [{"appium:automationName": "UiAutomator2", "udid": "x", "deviceName": "y"}],
     "udid,deviceName"),  # firstMatch entries count too; the names joined as a JS array prints them
    ({"platformName": "Android", "noReset": True}, [{"noReset": False}, {"udid": "x"}], "noReset,udid"),  # once each
])
def test_a_non_standard_capability_without_a_vendor_prefix_is_refused(always: dict[str, object],
                                                                      first: list[dict[str, object]],
                                                                      named: str) -> None:
    # Appium 2's parseCaps (findNonPrefixedCaps): 400 invalid argument, never a silently ignored udid.
    with pytest.raises(WebDriverError) as err:
        match_capabilities(_caps(always, first))
    assert (err.value.error, err.value.status) == ("invalid argument", 400)
    assert err.value.message == ("All non-standard capabilities should have a vendor prefix. The following "
                                 f"capabilities did not have one: {named}")


def test_standard_capabilities_need_no_prefix_in_any_case() -> None:
    # isStandardCap compares lower-cased names, so "PlatformName" passes the prefix check; it is still not the
    # platformName Appium requires.
    with pytest.raises(WebDriverError, match=r"^'platformName' can't be blank$"):
        match_capabilities(_caps({"PlatformName": "Android", "browserName": "", "appium:automationName": "x"}))


def test_a_prefixed_standard_capability_is_used_unless_the_plain_one_is_given() -> None:
    caps = match_capabilities(_caps({"appium:platformName": "iOS", "appium:automationName": "XCUITest"}))
    assert caps == {"platformName": "iOS", "automationName": "XCUITest"}
    caps = match_capabilities(_caps({"platformName": "Android", "appium:platformName": "iOS",
                                     "appium:automationName": "UiAutomator2"}))
    assert caps["platformName"] == "Android"


def test_options_members_are_promoted_with_the_prefix() -> None:
    caps = match_capabilities(_caps({"platformName": "Android", "appium:options": {
        "automationName": "UiAutomator2", "appium:udid": "127.0.0.1:6521"}}))
    assert caps == {"platformName": "Android", "automationName": "UiAutomator2", "udid": "127.0.0.1:6521"}


def test_error_bodies_carry_the_w3c_code_status_and_appium_wording() -> None:
    err = WebDriverError("session not created", "busy")
    assert err.status == 500
    assert error_body(err) == {"value": {"error": "session not created",
                                         "message": "A new session could not be created. Details: busy",
                                         "stacktrace": "SessionNotCreatedError: A new session could not be "
                                                       "created. Details: busy"}}
    assert WebDriverError("no such element").status == 404
    assert WebDriverError("invalid session id").message == "A session is either terminated or not started"
    assert WebDriverError("unknown error", "x").message.endswith("Original error: x")
    with pytest.raises(ValueError):
        WebDriverError("teapot")


@pytest.mark.parametrize(("method", "path", "expected"), [
    ("GET", "/status", ("status", {})),
    ("GET", "/wd/hub/status", None),
    ("POST", "/session/s1/element/e1/click", ("click", {"sessionId": "s1", "elementId": "e1"})),
    ("GET", "/session/s1/element/e1/attribute/content-desc",
     ("attribute", {"sessionId": "s1", "elementId": "e1", "name": "content-desc"})),
    ("PUT", "/session/s1/source", None),
    ("DELETE", "/session/s1/actions", ("release_actions", {"sessionId": "s1"})),
    ("GET", "/session/s1/orientation", ("orientation", {"sessionId": "s1"})),
    ("GET", "/session/s1/se/log/types", ("log_types", {"sessionId": "s1"})),
])
def test_routes(method: str, path: str, expected: object) -> None:
    assert match_route(method, path) == expected


def test_a_base_path_is_stripped() -> None:
    assert match_route("GET", "/wd/hub/status", "/wd/hub") == ("status", {})


def _touch(*actions: dict[str, object]) -> dict[str, object]:
    return {"actions": [{"type": "pointer", "id": "touch", "parameters": {"pointerType": "touch"},
                         "actions": list(actions)}, {"type": "key", "id": "k", "actions": [{"type": "pause"}]}]}


def test_python_clients_swipe_is_one_swipe_gesture() -> None:
    body = _touch({"type": "pointerMove", "duration": 250, "x": 540, "y": 1600, "origin": "viewport"},
                  {"type": "pointerDown", "button": 0},
                  {"type": "pointerMove", "duration": 150, "x": 540, "y": 300, "origin": "viewport"},
                  {"type": "pointerUp", "button": 0})
    (g,) = gestures(body, lambda _e: (0, 0))
    assert (g.x1, g.y1, g.x2, g.y2, g.is_tap) == (540, 1600, 540, 300, False)
    assert g.duration_s == pytest.approx(0.15) and g.hold_s == 0


def test_a_drag_that_rests_and_a_tap_on_an_element() -> None:
    rest = _touch({"type": "pointerMove", "x": 196, "y": 847}, {"type": "pointerDown", "button": 0},
                  {"type": "pointerMove", "duration": 600, "x": 196, "y": 468}, {"type": "pause", "duration": 500},
                  {"type": "pointerUp", "button": 0})
    (g,) = gestures(rest, lambda _e: (0, 0))
    assert g.hold_s == pytest.approx(0.5) and g.duration_s == pytest.approx(1.1)
    tap = _touch({"type": "pointerMove", "x": 5, "y": -3, "origin": {ELEMENT_KEY: "e7"}},
                 {"type": "pointerDown"}, {"type": "pointerMove", "x": 2, "y": 1, "origin": "pointer"},
                 {"type": "pointerUp"})
    (t,) = gestures(tap, lambda eid: (100, 200) if eid == "e7" else (0, 0))
    assert t.is_tap and (t.x1, t.y1, t.x2, t.y2) == (105, 197, 107, 198)


def test_malformed_actions_are_invalid_arguments() -> None:
    for body in ({"actions": "swipe"}, {"actions": [{"type": "pen", "actions": []}]},
                 _touch({"type": "pointerMove", "origin": "window"})):
        with pytest.raises(WebDriverError) as err:
            gestures(body, lambda _e: (0, 0))
        assert err.value.status == 400
