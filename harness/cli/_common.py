"""What every command shares: loading the config, exit codes, the lab's state directory."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from harness.config import Config, load_config
from harness.errors import ConfigError, HarnessError

__all__ = ["DevicesOpt", "err_console", "exits", "load", "make_console", "print_error"]


def make_console(stderr: bool = False, markup: bool = True) -> Console:
    """Rich falls back to 80 columns when output is not a terminal; logs and CI want whole lines."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, width=None if stream.isatty() else 160, markup=markup)


err_console = make_console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

DevicesOpt = typer.Option("devices.toml", "--devices", "--config", help="The device pool (devices.toml).")


def exits(fn: F) -> F:
    """Turn the harness's errors into a message and an exit code: 2 for bad input, 1 otherwise."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            print_error(exc)
            raise typer.Exit(2) from None
        except HarnessError as exc:
            print_error(exc)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def print_error(exc: BaseException) -> None:
    """One line on stderr; the message is the user's text (``[[device]] #1``), never rich markup."""
    err_console.print(f"[red]error:[/] {escape(str(exc))}", markup=True, soft_wrap=True)


def load(path: str) -> Config:
    return load_config(path)
