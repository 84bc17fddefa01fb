"""Ctrl-C during a repro is noted apart from its KeyboardInterrupt, which Python only prints when it lands in a
finalizer (``Exception ignored in: <socket ...>``): the runs stop after the current one either way."""

from __future__ import annotations

import gc
import os
import signal

import pytest

from harness.repro._repro import _ctrl_c_noted


class _Finalized:
    """An object whose finalizer sends SIGINT to this process: the handler runs inside ``__del__``."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the swallowed interrupt itself
def test_a_ctrl_c_swallowed_by_a_finalizer_is_still_noted() -> None:
    before = signal.getsignal(signal.SIGINT)
    if not callable(before):
        pytest.skip("this process ignores SIGINT")
    with _ctrl_c_noted() as pressed:
        obj = _Finalized()
        del obj  # no KeyboardInterrupt reaches this frame: Python prints "Exception ignored in ..." and goes on
        gc.collect()
        assert pressed == [True]
    assert signal.getsignal(signal.SIGINT) is before


def test_a_ctrl_c_still_raises_keyboard_interrupt() -> None:
    if not callable(signal.getsignal(signal.SIGINT)):
        pytest.skip("this process ignores SIGINT")
    with _ctrl_c_noted() as pressed, pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
    assert pressed == [True]
