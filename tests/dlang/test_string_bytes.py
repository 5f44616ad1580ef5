"""D strings become output bytes as the wire carried them (issue 11).

Wire strings are decoded as UTF-8 with surrogateescape (XDR strings, iSCSI
keys, stringof of a byte array), so a byte that is not UTF-8 survives as
U+DC80-U+DCFF; every place a D string becomes bytes writes the original
bytes back: a default printa byte dump, printf/trace text, -o files.
"""

from __future__ import annotations

import subprocess
import sys

import pcapprobe
from pcapprobe.dissectors import iscsi
from pcapprobe.dissectors._reader import Reader
from pcapprobe.dlang.runtime.builtins import stringof
from pcapprobe.dlang.runtime.trace import string_bytes, utf8_bytes
from tests.conftest import ROOT

RESUME = "r\u00e9sum\u00e9"


def test_a_string_record_holds_its_utf8_bytes() -> None:
    assert string_bytes(RESUME, 12) == bytes.fromhex("72c3a973756dc3a9") + b"\0" * 4
    assert utf8_bytes("caf\udcff") == b"caf\xff"  # a wire byte that is not UTF-8


def test_wire_strings_round_trip_their_bytes() -> None:
    raw = b"caf\xe9\xff"
    name = Reader(len(raw).to_bytes(4, "big") + raw + b"\0" * 3).xdr_string()
    assert utf8_bytes(name) == raw
    assert utf8_bytes(stringof(memoryview(raw + b"\0junk"))) == raw
    (key, value), = iscsi.parse_keys(b"TargetName=disk\xff\0")
    assert utf8_bytes(value) == b"disk\xff"


def test_default_printa_dumps_the_utf8_bytes() -> None:
    result = pcapprobe.run([], program='BEGIN { @[stringof("' + RESUME + '")] = count(); '
                           'exit(0); }', quiet=True)
    assert "0: 72 c3 a9 73 75 6d c3 a9 00" in result.output


def test_printf_writes_the_original_bytes() -> None:
    # \303\251 is é in UTF-8; the two runs (native-compiled and Python) agree
    program = 'BEGIN { printf("%s|%-8s|\\n", "r\\303\\251sum\\303\\251", "\\377"); exit(0); }'
    out = subprocess.run([sys.executable, "-m", "pcapprobe", "run", "-q", "-n", program],
                         capture_output=True, cwd=ROOT, check=True).stdout
    assert out.startswith(RESUME.encode() + b"|\xff")
