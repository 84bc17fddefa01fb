"""The lab phone's mksh: command substitution, control flow, functions, arithmetic, heredocs and mksh's errors.

Table-driven against one model phone (no socket), plus the real ``adb shell`` for the lines the harness sends.
Expected texts are mksh R59c's (syn.c, lex.c, expr.c, funcs.c; see harness/lab/android/shell/parse.py).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.lab.android.device import AndroidDevice
from harness.lab.android.shell.parse import ShellSyntaxError, parse, parse_script
from tests.lab.android.test_activity_standins import model_device, sh
from tests.labkit import RunningLab

SH = "/system/bin/sh"


@pytest.fixture(scope="module")
def phone() -> AndroidDevice:
    return model_device("pixel-8")


LANGUAGE = [
    # command substitution, backticks, nesting, quoting
    ("echo $(echo a b)", "a b\n", 0),
    ("echo `echo back`", "back\n", 0),
    ('echo "$(echo a; echo b)"', "a\nb\n", 0),
    ("echo $(echo $(echo deep))", "deep\n", 0),
    ("x=$(false); echo $?", "1\n", 0),
    ("v='1  2'; for x in $v; do echo \"[$x]\"; done", "[1]\n[2]\n", 0),
    ('v="1  2"; echo "$v"', "1  2\n", 0),
    ("echo '$(not run)'", "$(not run)\n", 0),
    # if / elif / else, && and ||, !
    ("if true; then echo y; fi", "y\n", 0),
    ("if false; then echo y; elif false; then echo z; else echo w; fi", "w\n", 0),
    ("if false; then :; fi; echo $?", "0\n", 0),
    ("! true; echo $?", "1\n", 0),
    ("false || echo b && echo c", "b\nc\n", 0),
    # loops, break, continue
    ("for i in a b c; do echo $i; done", "a\nb\nc\n", 0),
    ("for i in 1 2 3 4; do [ $i = 2 ] && continue; [ $i = 4 ] && break; echo $i; done", "1\n3\n", 0),
    ("for i in 1 2; do for j in a b; do [ $j = b ] && break 2; echo $i$j; done; done", "1a\n", 0),
    ("i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo $i", "3\n", 0),
    ("i=3; until [ $i -eq 0 ]; do echo $i; i=$((i-1)); done", "3\n2\n1\n", 0),
    ("printf 'x\\ny\\n' | while read l; do echo \"<$l>\"; done", "<x>\n<y>\n", 0),
    ("for i in $(seq 3); do echo $i; done | wc -l", "3\n", 0),
    # case
    ("case foo.txt in *.log) echo log;; *.txt|x) echo txt;; esac", "txt\n", 0),
    ("case abc in 'a'*) echo quoted-prefix;; esac", "quoted-prefix\n", 0),
    ("case '*' in \\*) echo star;; *) echo other;; esac", "star\n", 0),
    ("case x in y) echo y;; esac; echo $?", "0\n", 0),
    # functions, $#, $@, $1, return, shift, local scope of positional parameters
    ('f() { echo "$#:$1:$@"; return 3; }; f a "b c"; echo $?', "2:a:a b c\n3\n", 0),
    ('f() { for a in "$@"; do echo "<$a>"; done; }; f "x y" z', "<x y>\n<z>\n", 0),
    ("f() { shift; echo $*; }; f 1 2 3", "2 3\n", 0),
    ("function g { echo g$1; }; g 1", "g1\n", 0),
    ("f() { echo in; }; f | cat", "in\n", 0),
    ("set -- a b; echo $# $2", "2 b\n", 0),
    ("set -e; false; echo not", "", 1),
    ("set -e; if false; then :; fi; false || echo tested; ! true; echo still", "tested\nstill\n", 0),
    ("set -o errexit; f() { return 2; }; f; echo not", "", 2),
    ("set -e; set +e; false; echo on", "on\n", 0),
    ("set -- -e; false; echo $1", "-e\n", 0),
    ("x=g; f() { local x=l y; echo $x; y=2; }; f; echo $x ${y:-unset}", "l\ng unset\n", 0),
    ("cd /data/local/tmp; pwd", "/data/local/tmp\n", 0),
    # arithmetic (32-bit, C operators)
    ("echo $((1 + 2 * 3)) $((7 / 2)) $((7 % 3)) $((-7 / 2))", "7 3 1 -3\n", 0),
    ("x=5; echo $((x += 2)) $x $((x > 6 ? 1 : 0))", "7 7 1\n", 0),
    ("echo $((2147483647 + 1)) $((0x10)) $((010)) $((1 << 4))", "-2147483648 16 10 16\n", 0),
    ("i=1; echo $((i++)) $i $((++i))", "1 2 3\n", 0),
    # [[ ]]: no splitting, patterns after ==, && and || inside
    ('x="a b"; [[ $x == a* ]] && echo glob', "glob\n", 0),
    ('[[ abc == "a*" ]] || echo literal', "literal\n", 0),
    ("[[ -d /sdcard && 1 -lt 2 || -z x ]] && echo and-or", "and-or\n", 0),
    ("[[ x < y ]] && [[ b != a? ]] && echo cmp", "cmp\n", 0),
    # parameter expansion
    ("echo ${NOPE:-def} ${#PATH} ${NOPE+set}", "def 3\n", 0),
    ("x=abc.tar.gz; echo ${x%.gz} ${x%%.*} ${x#*.} ${x##*.}", "abc.tar abc tar.gz gz\n", 0),
    ("echo ${u:=filled}; echo $u", "filled\nfilled\n", 0),
    # heredocs
    ("cat <<EOF\nhi $PATH\n$((1+1))\nEOF", "hi /sb\n2\n", 0),
    ("cat <<'EOF'\nhi $PATH\nEOF", "hi $PATH\n", 0),
    ("cat <<-EOF\n\tindented\n\tEOF", "indented\n", 0),
    ("cat <<EOF | wc -l\na\nb\nEOF", "2\n", 0),
    # groups, subshells, redirections
    ("{ echo a; echo b; } | wc -l", "2\n", 0),
    ("x=1; (x=2; echo $x); echo $x", "2\n1\n", 0),
    ("cd /sdcard && pwd_is=$(ls -d .); echo ok", "ok\n", 0),
    ("for i in 1 2; do echo $i; done > /data/local/tmp/o; cat /data/local/tmp/o", "1\n2\n", 0),
    ("echo err >&2 2>/dev/null; echo out", "out\n", 0),
    ("x=1 sh -c 'echo $x'; echo ${x:-unset}", "1\nunset\n", 0),
    ("exit 3; echo not", "", 3),
    ("f() { exit 4; }; f; echo not", "", 4),
    ("echo $(exit 5); echo $?", "\n0\n", 0),
]


@pytest.mark.parametrize(("line", "stdout", "code"), LANGUAGE)
def test_language(phone: AndroidDevice, line: str, stdout: str, code: int) -> None:
    result = sh(phone, f"PATH=/sb; {line}")
    assert (result.stdout, result.code) == (stdout, code), result.stderr


ERRORS = [
    ("fi", "syntax error: unexpected 'fi'"),
    ("if true; then echo", "syntax error: unmatched 'if'"),
    ("for i in 1; do echo", "syntax error: unmatched 'for'"),
    ("echo a; then", "syntax error: unexpected 'then'"),
    ("if then fi", "syntax error: unexpected 'then'"),
    ("echo >", "syntax error: unexpected EOF"),
    ("echo a |", "syntax error: unexpected EOF"),
    ("; echo", "syntax error: unexpected ';'"),
    ("case x in a) echo", "syntax error: unmatched 'case'"),
    ("{ echo a", "syntax error: unmatched '{'"),
    ("[[ a == b", "syntax error: unexpected EOF"),
    ("if [[ a == b; then :; fi", "syntax error: unexpected operator/operand ';'"),
    ("echo 'open", "no closing quote"),
    ('echo "open', "no closing quote"),
    ("cat <<EOF\nno end", "here document 'EOF' unclosed"),
]


@pytest.mark.parametrize(("line", "message"), ERRORS)
def test_syntax_errors_are_mksh_texts(phone: AndroidDevice, line: str, message: str) -> None:
    result = sh(phone, line)
    assert (result.stdout, result.stderr, result.code) == ("", f"{SH}: {message}\n", 1)


RUNTIME_ERRORS = [
    ("echo $((1/0)); echo after", f"{SH}: 1/0: zero divisor\n", 1),
    ("echo $((1 +)); echo after", f"{SH}: 1 +: unexpected 'end of expression'\n", 1),
    ("echo ${NOPE:?}; echo after", f"{SH}: NOPE: parameter null or not set\n", 1),
    ("echo ${NOPE:?gone}", f"{SH}: NOPE: gone\n", 1),
    ("nosuch; echo $?", f"{SH}: nosuch: inaccessible or not found\n", 0),
    ("break; echo $?", f"{SH}: break: can't break\n", 0),
    ("cat < /nope", f"{SH}: can't open /nope: No such file or directory\n", 1),
    ("echo > /nodir/x", f"{SH}: can't create /nodir/x: No such file or directory\n", 1),
]


@pytest.mark.parametrize(("line", "stderr", "code"), RUNTIME_ERRORS)
def test_runtime_errors_are_mksh_texts(phone: AndroidDevice, line: str, stderr: str, code: int) -> None:
    result = sh(phone, line)
    assert (result.stderr, result.code) == (stderr, code)


def test_keyword_error_no_longer_runs_the_rest_of_the_line(phone: AndroidDevice) -> None:
    result = sh(phone, "if echo ran; then")
    assert result.stdout == "" and "unmatched 'if'" in result.stderr


def test_parse_is_cached_and_reentrant() -> None:
    assert parse("echo $(echo a)") is parse("echo $(echo a)")
    with pytest.raises(ShellSyntaxError):
        parse("done")


_PIECES = st.sampled_from([*"ab ;|&<>()'\"\\$`{}#=\n*?!-:%0", "if", "then", "fi", "do", "done", "for", "in", "case",
                           "esac", "${", "$(", "$((", "))", "<<", "EOF", ";;", "&&", "||", "function", "f()", "[[",
                           "]]"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=20).map("".join))
def test_any_text_parses_or_is_a_syntax_error(text: str) -> None:
    try:
        parse_script(text)
    except ShellSyntaxError as exc:
        assert str(exc)  # every refusal has mksh's text to print


# Through the real adb client and adbd: the lines harness code and people send.
ADB = [
    ("for i in $(seq 3); do echo $i; done | wc -l", "3\n", "", 0),
    ("if [ -d /sdcard ]; then echo dir; else echo none; fi", "dir\n", "", 0),
    ("n=$(getprop ro.product.manufacturer); echo ${#n} $((1+1))", "6 2\n", "", 0),
    ("fi", "", f"{SH}: syntax error: unexpected 'fi'\n", 1),
    ("f() { return 7; }; f; echo $?", "7\n", "", 0),
]


@pytest.mark.parametrize(("command", "stdout", "stderr", "code"), ADB)
def test_through_adb(lab: RunningLab, command: str, stdout: str, stderr: str, code: int) -> None:
    result = lab.shell("pixel-8", command)
    assert (result.stdout, result.stderr, result.code) == (stdout, stderr, code)
