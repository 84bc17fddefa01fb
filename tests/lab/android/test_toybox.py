"""The lab phone's toybox commands, mksh built-ins and Android tools: real options, output and error texts.

Expected texts follow toybox (toys/posix/wc.c, printf.c, sed.c, find.c; toys/lsb/seq.c, md5sum.c;
toys/other/stat.c, which.c), mksh R59c funcs.c (test, kill, read) and AOSP (service.cpp, Content.java,
screencap.cpp, uiautomator DumpCommand.java).
"""

from __future__ import annotations

import struct
import zlib

import pytest

from harness.lab.android.device import AndroidDevice
from tests.lab.android.test_activity_standins import model_device, sh
from tests.labkit import RunningLab

SH = "/system/bin/sh"


@pytest.fixture(scope="module")
def phone() -> AndroidDevice:
    dev = model_device("pixel-8")
    setup = sh(dev, "cd /data/local/tmp && printf 'alpha beta\\ngamma\\n' > t.txt && mkdir -p d/e && echo 1 > d/one.log"
                    " && echo 22 > d/e/two.log")
    assert setup.code == 0, setup.stderr
    dev.settings["global"]["adb_enabled"] = "1"
    dev.settings["global"]["airplane_mode_on"] = "0"
    return dev


COMMANDS = [
    # wc: 7-wide columns unless one count of stdin or a single file (toybox show_lengths)
    ("echo 'a b c' | wc", "      1       3       6\n", "", 0),
    ("printf 'a\\nb\\n' | wc -l", "2\n", "", 0),
    ("printf 'a\\nb\\n' | wc -lc", "      2       4\n", "", 0),
    ("wc /data/local/tmp/t.txt", "2 3 17 /data/local/tmp/t.txt\n", "", 0),
    ("cd /data/local/tmp; wc -l t.txt d/one.log", "      2 t.txt\n      1 d/one.log\n      3 total\n", "", 0),
    ("wc /nope", "", "wc: /nope: No such file or directory\n", 1),
    # seq
    ("seq 3", "1\n2\n3\n", "", 0),
    ("seq 2 2 7", "2\n4\n6\n", "", 0),
    ("seq 3 -1 1", "3\n2\n1\n", "", 0),
    ("seq -s, 3", "1,2,3\n", "", 0),
    ("seq -w 9 10", "09\n10\n", "", 0),
    ("seq 0.5 1.5", "0.5\n1.5\n", "", 0),
    ("seq 5 1", "", "", 0),
    ("seq", "", 'seq: Needs 1 argument (see "seq --help")\n', 1),
    ("seq x", "", "seq: strtod x: Argument list too long\n", 1),
    # printf: format reuse, escapes, %b, bad numbers
    ("printf '%s=%03d\\n' a 5 b 7", "a=005\nb=007\n", "", 0),
    ("printf '%-4s|%x|%o|%c\\n' ab 255 8 xyz", "ab  |ff|10|x\n", "", 0),
    ("printf '%b' 'a\\tb\\n'", "a\tb\n", "", 0),
    ("printf '%d\\n' abc", "0\n", "printf: bad %d abc\n", 1),
    ("printf '%5.2f%%\\n' 3.14159", " 3.14%\n", "", 0),
    ("printf 'no newline'", "no newline", "", 0),
    # test and [ (mksh built-ins)
    ("[ -d /sdcard ] && echo dir", "dir\n", "", 0),
    ("[ -f /data/local/tmp/t.txt -a -s /data/local/tmp/t.txt ] && echo file", "file\n", "", 0),
    ("test 10 -gt 9 && test abc != abd && echo ok", "ok\n", "", 0),
    ("[ -z '' ] && [ -n x ] && [ ! -e /nope ] && echo ok", "ok\n", "", 0),
    ("[ 1 = 1", "", f"{SH}: [: missing ]\n", 2),
    ("[ 1 -eq 1x ]", "", f"{SH}: 1x: bad number '1x'\n", 2),
    ("x1=1; [ 1 -eq x1 ] && echo arithmetic", "arithmetic\n", "", 0),
    # sed
    ("echo hello | sed s/l/L/g", "heLLo\n", "", 0),
    ("echo hello | sed 's/\\(h\\)\\(e\\)/\\2\\1/'", "ehllo\n", "", 0),
    ("echo hello | sed -E 's/(l+)/[\\1]/'", "he[ll]o\n", "", 0),
    ("printf 'a\\nb\\nc\\n' | sed -n 2p", "b\n", "", 0),
    ("printf 'a\\nb\\nc\\n' | sed '1d;s/c/C/'", "b\nC\n", "", 0),
    ("printf 'a\\nb\\nc\\n' | sed -n '/b/,$p'", "b\nc\n", "", 0),
    ("printf 'a\\nb\\n' | sed -e 's/a/x/' -e 's/b/y/'", "x\ny\n", "", 0),
    ("printf 'a\\nb\\nc\\n' | sed 2q", "a\nb\n", "", 0),
    ("echo x | sed 'k;p'", "", "sed: bad pattern 'k;p'@2 (;)\n", 1),
    ("echo x | sed -z p", "", 'sed: Unknown option \'z\' (see "sed --help")\n', 1),
    ("cp_=/data/local/tmp/s; echo old > $cp_; sed -i s/old/new/ $cp_; cat $cp_", "new\n", "", 0),
    # awk (One True AWK)
    ("printf '1 2\\n3 4\\n' | awk '{print $2, NR, NF}'", "2 1 2\n4 2 2\n", "", 0),
    ("printf 'a:b\\nc:d\\n' | awk -F: '/c/ {print $2}'", "d\n", "", 0),
    ("printf '3\\n4\\n' | awk '{s += $1} END {print s, NR}'", "7 2\n", "", 0),
    ("printf 'x 1\\ny 5\\n' | awk '$2 > 2 {print $1}'", "y\n", "", 0),
    ("awk -v n=4 'BEGIN {printf \"%d-%s\\n\", n * 2, toupper(\"ok\")}'", "8-OK\n", "", 0),
    ("echo 'a b c' | awk '{print $NF; print length($0); print substr($0, 3, 1)}'", "c\n5\nb\n", "", 0),
    ("printf 'k 1\\nk 2\\n' | awk '{t[$1] += $2} END {for (k in t) print k, t[k]}'", "k 3\n", "", 0),
    ("echo 'a,b' | awk -F, '{ if ($1 == \"a\") print \"yes\"; else print \"no\" }'", "yes\n", "", 0),
    # stat, find, md5sum
    ("stat -c '%n %s %F %a' /data/local/tmp/t.txt", "/data/local/tmp/t.txt 17 regular file 666\n", "", 0),
    ("stat -c '%F' /data/local/tmp/d", "directory\n", "", 0),
    ("stat /nope", "", "stat: '/nope': No such file or directory\n", 1),
    ("stat /data/data/com.example.courier/x", "", "stat: '/data/data/com.example.courier/x': Permission denied\n", 1),
    ("find /data -maxdepth 1", "/data\n", "find: '/data': Permission denied\n", 1),
    ("echo /data/local/tmp/d/*.log", "/data/local/tmp/d/one.log\n", "", 0),
    ("echo /data/*", "/data/*\n", "", 0),
    ("[ -w /system/bin ] || [ -r /data/local/tmp/t.txt ] && echo r", "r\n", "", 0),
    ("sed -i s/a/b/ /system/build.prop", "", "sed: /system/build.prop: No such file or directory\n", 1),
    ("find /data/local/tmp/d -name '*.log'", "/data/local/tmp/d/e/two.log\n/data/local/tmp/d/one.log\n", "", 0),
    ("find /data/local/tmp/d -maxdepth 1 -type f", "/data/local/tmp/d/one.log\n", "", 0),
    ("find /data/local/tmp/d -type d", "/data/local/tmp/d\n/data/local/tmp/d/e\n", "", 0),
    ("find /nope", "", "find: '/nope': No such file or directory\n", 1),
    ("echo -n x | md5sum", "9dd4e461268c8034f5c8564e155c67a6  -\n", "", 0),
    ("md5sum /data/local/tmp/d/one.log", "b026324c6904b2a9cb4b88d6d61c81d1  /data/local/tmp/d/one.log\n", "", 0),
    # env, which, kill, read
    ("env -i A=1 B=2", "A=1\nB=2\n", "", 0),
    ("env X=5 sh -c 'echo $X'", "5\n", "", 0),
    ("which ls sh", "/system/bin/ls\n/system/bin/sh\n", "", 0),
    ("which nope", "", "", 1),
    ("kill 99999", "", f"{SH}: kill: 99999: No such process\n", 1),
    ("kill -9 1", "", f"{SH}: kill: 1: Operation not permitted\n", 1),
    ("kill -l 9 15 137", "KILL\nTERM\nKILL\n", "", 0),
    ("kill -NOPE 1", "", f"{SH}: kill: bad signal 'NOPE'\n", 1),
    ("echo 'a b c' | { read x y; echo \"$y|$x\"; }", "b c|a\n", "", 0),
    # basename, dirname, tr, cut, sort, uniq, tee
    ("basename /a/b.txt .txt; basename /a/b/", "b\nb\n", "", 0),
    ("dirname /a/b; dirname a; dirname /a", "/a\n.\n/\n", "", 0),
    ("echo hello | tr a-z A-Z; echo hello | tr -d l; echo aabbcc | tr -s ab", "HELLO\nheo\nabcc\n", "", 0),
    ("echo a:b:c | cut -d: -f2,3; echo abcdef | cut -c2-4; echo nodelim | cut -d: -f2", "b:c\nbcd\nnodelim\n", "", 0),
    ("echo x | cut", "", "cut: no selections\n", 1),
    ("printf 'b\\na\\nc\\na\\n' | sort | uniq -c", "      2 a\n      1 b\n      1 c\n", "", 0),
    ("printf '10\\n9\\n10\\n' | sort -nru", "10\n9\n", "", 0),
    ("printf '1 b\\n2 a\\n' | sort -k 2", "2 a\n1 b\n", "", 0),
    ("printf 'a\\na\\nb\\n' | uniq -d; printf 'a\\na\\nb\\n' | uniq -u", "a\nb\n", "", 0),
    ("cd /data/local/tmp; echo x | tee tee.txt; echo y | tee -a tee.txt >/dev/null; cat tee.txt", "x\nx\ny\n", "", 0),
    ("echo x | tee /system/x", "x\n", "tee: /system/x: Read-only file system\n", 1),
    # Android tools
    ("service check package; service check nope", "Service package: found\nService nope: not found\n", "", 0),
    ("service bogus", "", "service: Unknown command bogus\n", 10),
    ("content query --uri content://settings/global --where \"name='adb_enabled'\"",
     "Row: 0 _id=1, name=adb_enabled, value=1\n", "", 0),
    ("content query --uri content://settings/global/airplane_mode_on --projection name:value",
     "Row: 0 name=airplane_mode_on, value=0\n", "", 0),
    ("content query --uri content://settings/secure --where \"name='nope'\"", "No result found.\n", "", 0),
    ("content insert --uri content://settings/system --bind name:s:x_key --bind value:i:7; settings get system x_key",
     "7\n", "", 0),
    ("uiautomator dump", "UI hierchary dumped to: /sdcard/window_dump.xml\n", "", 0),
    ("screencap -p /system/x.png", "", "Error opening file: /system/x.png (Read-only file system)\n", 1),
]


@pytest.mark.parametrize(("line", "stdout", "stderr", "code"), COMMANDS)
def test_command(phone: AndroidDevice, line: str, stdout: str, stderr: str, code: int) -> None:
    result = sh(phone, line)
    assert (result.stdout, result.stderr, result.code) == (stdout, stderr, code)


def test_service_list_counts_and_numbers_every_service(phone: AndroidDevice) -> None:
    lines = sh(phone, "service list").stdout.splitlines()
    assert lines[0] == f"Found {len(phone.services)} services:"
    assert lines[1].startswith("0\t") and any(line.endswith("\tpackage: [android.content.pm.IPackageManager]")
                                              for line in lines)


def test_kill_list_shows_every_signal_in_columns(phone: AndroidDevice) -> None:
    out = sh(phone, "kill -l").stdout
    lines = out.splitlines()
    assert lines[0] == " 1    HUP Hangup".ljust(40) + "17   CHLD Child exited"
    assert " 9   KILL Killed" in out and max(map(len, lines)) <= 80 and len(lines) == 16


def test_screencap_png_is_a_valid_png(phone: AndroidDevice) -> None:
    assert sh(phone, "screencap -p /sdcard/s.png").code == 0
    data = phone.fs.read("/sdcard/s.png")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1080, 2400)
    idat_len = struct.unpack(">I", data[33:37])[0]
    assert len(zlib.decompress(data[41 : 41 + idat_len])) == height * (1 + 4 * width)


def test_uiautomator_writes_the_hierarchy_xml(phone: AndroidDevice) -> None:
    sh(phone, "uiautomator dump /data/local/tmp/ui.xml")
    xml = phone.fs.read("/data/local/tmp/ui.xml").decode()
    assert xml.startswith("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">")


def test_screencap_to_stdout_through_adb_exec_out(lab: RunningLab) -> None:
    result = lab.adb("pixel-8", "exec-out", "screencap -p | md5sum")
    assert result.code == 0 and len(result.stdout.split()[0]) == 32
