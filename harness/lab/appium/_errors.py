"""W3C WebDriver errors as an Appium 2 server reports them.

The error codes and HTTP statuses are the W3C table (https://www.w3.org/TR/webdriver/#errors); the class
names and default messages are Appium's (``@appium/base-driver`` ``lib/protocol/errors.js``), which send
``{"value": {"error", "message", "stacktrace"}}``. A plain error thrown inside a driver reaches the client
as ``unknown error`` with "Original error:" (``protocol.js`` wraps anything that is not a ProtocolError);
session-creation refusals a driver raises on purpose are ``session not created`` with "Details:".
"""

from __future__ import annotations

from typing import Any

__all__ = ["WebDriverError", "error_body"]

# error code → (HTTP status, Appium class name, Appium's default message)
_TABLE: dict[str, tuple[int, str, str]] = {
    "invalid argument": (400, "InvalidArgumentError",
                         "The arguments passed to the command are either invalid or malformed"),
    "invalid selector": (400, "InvalidSelectorError", "Argument was an invalid selector (e.g. XPath/CSS)."),
    "invalid session id": (404, "NoSuchDriverError", "A session is either terminated or not started"),
    "no such element": (404, "NoSuchElementError",
                        "An element could not be located on the page using the given search parameters."),
    "stale element reference": (404, "StaleElementReferenceError", "An element command failed because the "
                                "referenced element is no longer attached to the DOM."),
    "no such alert": (404, "NoAlertOpenError", "An attempt was made to operate on a modal dialog when one was "
                      "not open."),
    "unknown command": (404, "UnknownCommandError", "The requested resource could not be found, or a request "
                        "was received using an HTTP method that is not supported by the mapped resource"),
    "unknown method": (405, "UnknownMethodError",
                       "The requested command matched a known URL but did not match an method for that URL"),
    "session not created": (500, "SessionNotCreatedError", "A new session could not be created."),
    "unknown error": (500, "UnknownError", "An unknown server-side error occurred while processing the command."),
    "unsupported operation": (500, "UnsupportedOperationError",
                              "A server-side error occurred. Command cannot be supported."),
}


class WebDriverError(Exception):
    """An error the endpoint answers with; ``detail`` follows Appium's wrapping for the code."""

    def __init__(self, error: str, detail: str | None = None) -> None:
        if error not in _TABLE:
            raise ValueError(f"not a W3C error code the lab uses: {error!r}")
        status, cls, default = _TABLE[error]
        if detail is None:
            message = default
        elif error == "session not created":
            message = f"{default} Details: {detail}"
        elif error == "unknown error":
            message = f"{default} Original error: {detail}"
        else:
            message = detail
        super().__init__(message)
        self.error = error
        self.status = status
        self.cls = cls
        self.message = message


def error_body(err: WebDriverError) -> dict[str, Any]:
    """The JSON body; ``stacktrace`` starts like a JS ``err.stack`` (class, message), without frames."""
    return {"value": {"error": err.error, "message": err.message, "stacktrace": f"{err.cls}: {err.message}"}}
