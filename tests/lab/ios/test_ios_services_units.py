"""The pure parts behind the services pymobiledevice3's device suite uses, without sockets: the media
directory's AFC writes, launchd's respawn of a killed daemon, the sysmontap stream on the phone's clock,
and the stackshot parsed by pymobiledevice3's own kcdata parser."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from pymobiledevice3.services.dvt.instruments.core_profile_session_tap import CoreProfileSessionTap

from harness.lab.clock import ManualClock
from harness.lab.ios import IPhoneIdentity, VirtualIPhone, nskeyed
from harness.lab.ios.afc import AfcError, AfcOpcode, AfcPacket, AfcSession
from harness.lab.ios.device import RESPAWN_S, THROTTLE_S
from harness.lab.ios.dtx import I32, DtxMessage, MessageType, encode_aux
from harness.lab.ios.dvt import DvtSession
from harness.lab.ios.dvt_stackshot import stackshot
from harness.lab.ios.dvt_sysmon import PROCESS_ATTRIBUTES, SYSMONTAP
from harness.lab.ios.media import MediaFileSystem

U64 = struct.Struct("<Q")


@pytest.fixture
def phone() -> VirtualIPhone:
    return VirtualIPhone(IPhoneIdentity("iphone-12", "00008101-000A1D2C3E4F001E", "iPhone13,2", "16.7.10"),
                         ManualClock())


def clock(phone: VirtualIPhone) -> ManualClock:
    assert isinstance(phone.clock, ManualClock)
    return phone.clock


# -- the media directory --------------------------------------------------------------------------
def afc(session: AfcSession, op: int, payload: bytes = b"") -> tuple[int, bytes]:
    reply = session.handle(AfcPacket(1, op, payload))
    return struct.unpack_from("<Q", reply, 32)[0], reply[40:]


def status(session: AfcSession, op: int, payload: bytes = b"") -> AfcError:
    kind, body = afc(session, op, payload)
    assert kind == AfcOpcode.STATUS
    return AfcError(U64.unpack(body)[0])


def test_media_directory_starts_as_a_used_phones(phone: VirtualIPhone) -> None:
    media = MediaFileSystem(phone)
    assert {"DCIM", "Downloads", "Books", "iTunes_Control", "PhotoData", "Recordings"} <= set(media.listdir(""))
    photo = media.lookup("DCIM/100APPLE/IMG_0001.HEIC")
    assert photo is not None and not photo.is_dir and media.read("DCIM/100APPLE/IMG_0001.HEIC")[4:12] == b"ftypheic"
    assert "PublicStaging" not in media.listdir("")  # made by the first install over the cable


def test_open_modes_append_and_write_only(phone: VirtualIPhone) -> None:
    media = MediaFileSystem(phone)
    session = AfcSession(media, media)

    def open_(mode: int, path: str) -> int:
        kind, body = afc(session, AfcOpcode.FILE_OPEN, U64.pack(mode) + path.encode() + b"\0")
        assert kind == AfcOpcode.FILE_OPEN_RES
        return int(U64.unpack(body)[0])

    handle = open_(3, "log.txt")  # "w": create, truncate, write only
    assert status(session, AfcOpcode.WRITE, U64.pack(handle) + b"one\n") == AfcError.SUCCESS
    assert status(session, AfcOpcode.READ, struct.pack("<QQ", handle, 4)) == AfcError.PERM_DENIED
    appending = open_(5, "log.txt")  # "a": every write lands at the end
    status(session, AfcOpcode.FILE_SEEK, struct.pack("<QQq", appending, 0, 0))
    assert status(session, AfcOpcode.WRITE, U64.pack(appending) + b"two\n") == AfcError.SUCCESS
    assert media.read("log.txt") == b"one\ntwo\n"
    assert status(session, AfcOpcode.FILE_OPEN, U64.pack(3) + b"no/such/dir/x\0") == AfcError.OBJECT_NOT_FOUND
    assert status(session, AfcOpcode.FILE_OPEN, U64.pack(3) + b"DCIM\0") == AfcError.OBJECT_IS_DIR


def test_rename_and_remove_follow_rename2_and_rmdir(phone: VirtualIPhone) -> None:
    media = MediaFileSystem(phone)
    session = AfcSession(media, media)
    assert status(session, AfcOpcode.MAKE_DIR, b"a/b/c\0") == AfcError.SUCCESS
    assert status(session, AfcOpcode.RENAME_PATH, b"a\0a/b/inside\0") == AfcError.INVALID_ARG
    assert status(session, AfcOpcode.RENAME_PATH, b"a\0DCIM\0") == AfcError.OBJECT_EXISTS  # not empty
    assert status(session, AfcOpcode.RENAME_PATH, b"a\0moved\0") == AfcError.SUCCESS
    assert media.listdir("moved/b") == ["c"] and media.lookup("a") is None
    assert status(session, AfcOpcode.REMOVE_PATH, b"moved\0") == AfcError.DIR_NOT_EMPTY
    assert status(session, AfcOpcode.REMOVE_PATH, b"/\0") == AfcError.PERM_DENIED
    assert status(session, AfcOpcode.REMOVE_PATH, b"../etc\0") == AfcError.PERM_DENIED


def test_a_container_without_a_writer_still_refuses_writes(phone: VirtualIPhone) -> None:
    session = AfcSession(MediaFileSystem(phone))  # read-only, as house_arrest's containers are
    assert status(session, AfcOpcode.MAKE_DIR, b"x\0") == AfcError.OP_NOT_SUPPORTED
    assert status(session, AfcOpcode.FILE_OPEN, U64.pack(3) + b"x\0") == AfcError.OP_NOT_SUPPORTED


# -- launchd ----------------------------------------------------------------------------------------
def springboard(phone: VirtualIPhone) -> list[int]:
    return [pid for pid, name in phone.processes.items() if name == "SpringBoard"]


def test_launchd_restarts_a_killed_daemon_under_a_new_pid(phone: VirtualIPhone) -> None:
    assert phone.kill_daemon(58, 9) and springboard(phone) == []
    clock(phone).advance(RESPAWN_S)
    [first] = springboard(phone)
    assert first > 254  # above every pid in use: the kernel's counter only grows
    assert phone.kill_daemon(first, 15)  # again at once: launchd waits out its 10 s ThrottleInterval
    clock(phone).advance(THROTTLE_S - 0.5)
    assert springboard(phone) == []
    clock(phone).advance(0.5)
    [second] = springboard(phone)
    assert second > first


def test_launchd_itself_and_non_terminating_signals(phone: VirtualIPhone) -> None:
    assert phone.kill_daemon(1, 9) and phone.processes[1] == "launchd"
    assert phone.kill_daemon(58, 17) and springboard(phone) == [58]  # SIGSTOP: still there
    assert not phone.kill_daemon(99_999, 9)


def test_only_launchd_jobs_are_daemons(phone: VirtualIPhone) -> None:
    phone.processes[0] = "kernel"  # as the background log adds it
    phone.processes[777] = "Spotify"  # another app, RunningBoard's (noise.py runs such)
    assert phone.is_launchd_job(58) and phone.is_launchd_job(1)
    assert not phone.is_launchd_job(0) and not phone.is_launchd_job(777) and not phone.is_launchd_job(4242)


# -- sysmontap --------------------------------------------------------------------------------------
def dispatch(ident: int, channel: int, selector: str, *args: Any, reply: bool = False) -> DtxMessage:
    return DtxMessage(MessageType.DISPATCH, ident, 0, channel, reply, aux=encode_aux(list(args)),
                      payload=nskeyed.archive(selector))


def test_sysmontap_samples_every_ur_ms_of_the_phones_clock_until_stopped(phone: VirtualIPhone) -> None:
    phone.processes[0] = "kernel"  # as the background log adds it; not a process sysmontap lists
    session, sent = DvtSession(phone), list[DtxMessage]()
    session.outbox = sent.append
    session.handle(dispatch(1, 0, "_requestChannelWithCode:identifier:", I32(3), nskeyed.archive(SYSMONTAP),
                            reply=True))
    config = {"ur": 500, "procAttrs": ["pid", "name", "cpuUsage"], "sysAttrs": ["physMemSize"]}
    session.handle(dispatch(2, 3, "setConfig:", nskeyed.archive(config)))
    session.handle(dispatch(3, 3, "start"))
    clock(phone).advance(1.0)
    assert len(sent) == 3  # at start, then at 0.5 s and 1.0 s
    first = sent[0]
    assert (first.type, first.conversation_index, first.channel_code) == (MessageType.OBJECT, 0, -3)
    [row] = nskeyed.unarchive(first.payload)
    assert row["Processes"][58] == [58, "SpringBoard", 0.0] and row["System"] == [6 * 1024**3]
    assert 0 not in row["Processes"] and set(row["Processes"]) == set(phone.processes) - {0}
    session.handle(dispatch(4, 3, "stop"))
    clock(phone).advance(5.0)
    assert len(sent) == 3


def test_sysmontap_stops_with_its_channel(phone: VirtualIPhone) -> None:
    session, sent = DvtSession(phone), list[DtxMessage]()
    session.outbox = sent.append
    session.handle(dispatch(1, 0, "_requestChannelWithCode:identifier:", I32(1), nskeyed.archive(SYSMONTAP),
                            reply=True))
    session.handle(dispatch(2, 1, "start"))
    session.handle(dispatch(3, 0, "_channelCanceled:", I32(1)))
    clock(phone).advance(10.0)
    [only] = sent
    [row] = nskeyed.unarchive(only.payload)
    assert row["Processes"][1] == []  # no procAttrs configured: no values
    assert len(PROCESS_ATTRIBUTES) == len(set(PROCESS_ATTRIBUTES))


# -- stackshot ----------------------------------------------------------------------------------------
def test_stackshot_parses_with_pymobiledevice3s_kcdata_parser(phone: VirtualIPhone) -> None:
    phone.processes[0] = "kernel"  # the background log's name for pid 0: still one kernel_task
    shot = CoreProfileSessionTap.parse_stackshot(stackshot(phone))
    assert shot["osversion"].startswith("Darwin Kernel Version 22.6.0; root:xnu-8796")
    tasks = {uid: t["task_snapshot"] for uid, t in shot["task_snapshots"].items()}
    assert (tasks[0]["ts_pid"], tasks[0]["ts_p_comm"]) == (0, "kernel_task")
    assert {t["ts_p_comm"] for t in tasks.values()} == {"kernel_task", *phone.processes.values()} - {"kernel"}
    assert shot["kernel_page_size"] == 16384 and shot["mach_timebase_info"] == {"numer": 125, "denom": 3}
