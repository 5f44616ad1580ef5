"""Seeded fuzzing of the whole pipeline: mutated fixture captures must never
crash a run (issue 2, convention 5).

Every fixture in fixtures/pcaps/ is mutated a few ways (bytes flipped inside
packet data, packets' data cut short with a consistent caplen, the file cut at
a random offset, records duplicated/reordered, garbage records inserted) and
the result goes through ``pcapprobe events`` (every provider) and
``pcapprobe run --local all`` with every implemented provider enabled, and
with only the application providers (the C record scanner's path).  The
run must end with status 0/1, no exception, no "Traceback", and every stderr
line in the ``pcapprobe: ...`` one-line format.

The default is small and bounded (well under 20 s).  For a long offline hunt:

    PCAPPROBE_FUZZ_ITERATIONS=200 PCAPPROBE_FUZZ_SEED=7 \\
        .venv/bin/python -m pytest -q tests/test_fuzz_captures.py

A failure names the seed, fixture and iteration and keeps the mutated capture
in pytest's tmp_path for replay.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import struct
from pathlib import Path

import pytest

from pcapprobe.cli import main
from pcapprobe.env import Environment
from tests.conftest import FIXTURES

ITERATIONS = int(os.environ.get("PCAPPROBE_FUZZ_ITERATIONS", "2"))
SEED = int(os.environ.get("PCAPPROBE_FUZZ_SEED", "20240611"))

PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
PROGRAM = "ip:::,tcp:::,udp:::,iscsi:::,nfsv3::: { @[probeprov, probename] = count(); }"
# without ip/tcp probes the C record scanner takes the data segments of
# application streams (pcapprobe/cext/scan.c): fuzzed too
APPS_ONLY = "iscsi:::,nfsv3::: { @[probeprov, probename] = count(); }"

CAPTURES = sorted(p for p in FIXTURES.iterdir()
                  if p.suffix in (".pcap", ".pcapng", ".gz"))

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",  # microseconds
    b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">",  # nanoseconds
}


# --- classic pcap: records parsed, mutated, rebuilt -------------------------

def parse_pcap(data: bytes) -> tuple[bytes, str, list[list]] | None:
    """(file header, byte order, [[ts_sec, ts_frac, orig_len, data], ...]);
    a trailing partial record is dropped.  None for anything but classic pcap."""
    order = PCAP_MAGICS.get(data[:4])
    if order is None or len(data) < 24:
        return None
    records, off = [], 24
    while off + 16 <= len(data):
        ts_sec, ts_frac, caplen, orig_len = struct.unpack_from(order + "IIII", data, off)
        off += 16
        if off + caplen > len(data):
            break
        records.append([ts_sec, ts_frac, orig_len, data[off:off + caplen]])
        off += caplen
    return data[:24], order, records


def build_pcap(header: bytes, order: str, records: list[list]) -> bytes:
    out = [header]
    for ts_sec, ts_frac, orig_len, body in records:
        out.append(struct.pack(order + "IIII", ts_sec, ts_frac, len(body),
                               max(orig_len, len(body))))
        out.append(body)
    return b"".join(out)


def flip_bytes(rng: random.Random, body: bytes) -> bytes:
    if not body:
        return body
    buf = bytearray(body)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(buf))
        if rng.random() < 0.5:
            buf[i] ^= 1 << rng.randrange(8)
        else:
            buf[i] = rng.choice((0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)))
    return bytes(buf)


def mutate_records(rng: random.Random, records: list[list]) -> tuple[list[list], list[str]]:
    """Apply 1-4 record-level mutations; returns the new records and their names."""
    records = [list(r) for r in records]
    done: list[str] = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(("flip", "flip", "flip", "cut", "cut", "dup", "swap", "garbage"))
        if not records and kind != "garbage":
            kind = "garbage"
        if kind == "flip":
            for _ in range(rng.randint(1, 3)):
                r = rng.choice(records)
                r[3] = flip_bytes(rng, r[3])
        elif kind == "cut":
            r = rng.choice(records)
            r[3] = r[3][:rng.randint(0, len(r[3]))]
        elif kind == "dup":
            r = rng.choice(records)
            records.insert(rng.randint(0, len(records)), list(r))
        elif kind == "swap":
            i, j = rng.randrange(len(records)), rng.randrange(len(records))
            records[i], records[j] = records[j], records[i]
        else:
            like = rng.choice(records) if records else [0, 0, 0, b""]
            size = rng.choice((0, 1, 14, 20, 40, 60, rng.randint(0, 1600)))
            if like[3] and rng.random() < 0.5:
                # a real packet's headers followed by noise: gets further in
                head = like[3][:rng.randint(0, len(like[3]))]
                body = head + rng.randbytes(max(0, size - len(head)))
            else:
                body = rng.randbytes(size)
            records.insert(rng.randint(0, len(records)),
                           [like[0], like[1], len(body), body])
        done.append(kind)
    return records, done


def mutate(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    """One mutated capture from a fixture's bytes (gzip is unpacked first)."""
    packed = data[:2] == b"\x1f\x8b"
    if packed:
        data = gzip.decompress(data)
    what: list[str] = []
    parsed = parse_pcap(data)
    if parsed is not None:
        header, order, records = parsed
        records, what = mutate_records(rng, records)
        data = build_pcap(header, order, records)
    else:
        # pcapng and bad fixtures: flips anywhere after the first block header
        buf = bytearray(data)
        for _ in range(rng.randint(1, 16)):
            if len(buf) > 28:
                buf[rng.randrange(28, len(buf))] ^= 1 << rng.randrange(8)
        data = bytes(buf)
        what.append("rawflip")
    if rng.random() < 0.25 and len(data) > 24:
        data = data[:rng.randint(24, len(data))]
        what.append("filecut")
    if packed and rng.random() < 0.5:
        # damage the compressed stream itself (bad deflate data, CRC, cut)
        buf = bytearray(gzip.compress(data, mtime=0))
        buf[rng.randrange(10, len(buf))] ^= 1 << rng.randrange(8)
        data = bytes(buf)
        what.append("gzipflip")
    return data, "+".join(what)


# --- running pcapprobe in-process ---------------------------------------------

def pcapprobe(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(out, err, io.BufferedReader(io.BytesIO(b"")), show_progress=False)
    status = main(list(args), env)
    return status, out.getvalue(), err.getvalue()


def check(cmd: list[str], where: str) -> None:
    try:
        status, out, err = pcapprobe(*cmd)
    except SystemExit as exc:  # click may exit; only 0/1 are acceptable
        assert exc.code in (0, 1, None), f"{where}: SystemExit({exc.code})"
        return
    except Exception as exc:  # noqa: BLE001 - the point of the test
        raise AssertionError(f"{where}: {type(exc).__name__}: {exc}") from exc
    assert status in (0, 1), f"{where}: status {status}\n{err}"
    assert "Traceback" not in out + err, f"{where}: traceback\n{err}"
    for line in err.splitlines():
        assert line.startswith("pcapprobe: ") and "\n" not in line, \
            f"{where}: stderr line not in 'pcapprobe: ...' form: {line!r}"


@pytest.mark.parametrize("fixture", CAPTURES, ids=lambda p: p.name)
def test_mutated_capture_never_crashes(fixture: Path, tmp_path: Path) -> None:
    original = fixture.read_bytes()
    rng = random.Random(f"{SEED}:{fixture.name}")
    for i in range(ITERATIONS):
        data, what = mutate(rng, original)
        suffix = ".pcapng" if data[:4] == PCAPNG_MAGIC else ".pcap"
        suffix += ".gz" if data[:2] == b"\x1f\x8b" else ""
        cap = tmp_path / f"fuzz-{i}{suffix}"
        cap.write_bytes(data)
        where = f"seed {SEED} {fixture.name} iteration {i} ({what}) -> {cap}"
        check(["events", str(cap), "--local", "all"], "events " + where)
        check(["run", str(cap), "--local", "all", "-q", "-n", PROGRAM], "run " + where)
        check(["run", str(cap), "-q", "-n", APPS_ONLY], "run (apps only) " + where)


# --- the D side: garbage scripts give a compile error, never a traceback ------

GARBAGE_SCRIPTS = {
    "binary": bytes(range(256)) * 4,
    "nul": b"ip:::receive\x00 { @ = count(); }",
    "huge-line": b"ip:::receive { @[" + b"a" * 200_000 + b"] = count(); }",
    "deep-parens": b"BEGIN { x = " + b"(" * 5000 + b"1" + b")" * 5000 + b"; }",
    "long-sum": b"BEGIN { x = 1" + b" + 1" * 500 + b"; }",
    "unterminated-string": b'BEGIN { printf("abc',
    "unterminated-comment": b"BEGIN { /* never closed",
    "unterminated-char": b"BEGIN { x = 'a",
    "bad-utf8": b"BEGIN { \xff\xfe }",
    "only-brace": b"}",
    "empty-predicate": b"ip:::receive / / { }",
    "lone-backslash": b"BEGIN { x = \"\\",
}


@pytest.mark.parametrize("name", sorted(GARBAGE_SCRIPTS))
def test_garbage_script_is_a_compile_error(name: str, tmp_path: Path) -> None:
    script = tmp_path / "garbage.d"
    script.write_bytes(GARBAGE_SCRIPTS[name])
    cap = str(FIXTURES / "ip-mixed.pcap")
    status, out, err = pcapprobe("run", cap, "--local", "all", "-q", "-s", str(script))
    assert status in (1, 2), (status, err)
    assert "Traceback" not in out + err
    assert err.startswith("pcapprobe: "), err
    assert "failed to compile" in err or "syntax error" in err or "error" in err, err


def test_random_garbage_scripts_never_traceback(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    tokens = [b"ip:::receive", b"BEGIN", b"END", b"{", b"}", b"(", b")", b"/", b"*",
              b"@", b"[", b"]", b"=", b";", b",", b"count()", b"printf(", b'"%d"',
              b"args[0]->", b"self->x", b"this->", b"'", b'"', b"/*", b"*/", b"\\",
              b"0x", b"1", b"->", b"?", b":", b"#pragma D option", b"\n", b" "]
    cap = str(FIXTURES / "ip-mixed.pcap")
    script = tmp_path / "g.d"
    for i in range(max(20, ITERATIONS * 5)):
        if rng.random() < 0.2:
            text = rng.randbytes(rng.randint(0, 200))
        else:
            text = b" ".join(rng.choice(tokens) for _ in range(rng.randint(1, 30)))
        script.write_bytes(text)
        try:
            status, out, err = pcapprobe("run", cap, "--local", "all", "-q", "-s", str(script))
        except Exception as exc:  # noqa: BLE001
            raise AssertionError(f"script {text!r}: {type(exc).__name__}: {exc}") from exc
        assert status in (0, 1, 2), (text, status, err)
        assert "Traceback" not in out + err, text


# --- hostile D programs: DTrace's words or correct output, never a traceback --

def hostile_programs(rng: random.Random, count: int) -> list[tuple[str, list[str]]]:
    """Seeded programs that ask for too much: huge printf()/printa() widths
    and precisions, deep ?: and inline chains, huge literals, speculation out
    of order, Python words as names and members, bad option values; each
    with the -x options to run it under."""
    def width() -> str:
        return "%" + rng.choice(("", "-", "0", ".")) + "".join(
            rng.choice("0123456789") for _ in range(rng.randint(1, 30))) + rng.choice("dxs")

    def speculation() -> str:
        actions = ["speculate(s)", "commit(s)", "discard(s)", '@a = count()', 'printf("x")',
                   "exit(0)", "trace(1)", "x = 1"]
        return "; ".join(rng.choice(actions) for _ in range(rng.randint(1, 5)))

    makers = [
        lambda: (f'tcp:::send {{ printf("{width()}\\n", 1); }}', []),
        lambda: (f'tcp:::send {{ @a = count(); printa("{width().replace("%", "%@")}\\n", @a); }}', []),
        lambda: ('tcp:::send { printf("%*d|%.*d\\n", ' f'{rng.randint(-2**40, 2**40)}, 1, '
                 f'{rng.randint(-2**40, 2**40)}, 2); }}', []),
        lambda: ("BEGIN { x = " + "1 ? 2 : " * rng.randint(1, 3000) + "3; }", []),
        lambda: ("BEGIN { x = " + "(" * rng.randint(1, 300) + "1" + ")" * rng.randint(1, 300) + "; }", []),
        lambda: ("\n".join(["inline int a0 = 1;"] + [f"inline int a{i} = a{i - 1} + 1;"
                                                    for i in range(1, rng.randint(2, 1500))])
                 + "\nBEGIN { trace(a1); exit(0); }", []),
        lambda: (f"BEGIN {{ x = {'9' * rng.randint(1, 6000)}; exit(0); }}", []),
        lambda: (f"BEGIN {{ s = speculation(); {speculation()}; }} BEGIN {{ exit(0); }}", []),
        lambda: (f"BEGIN {{ {rng.choice(['from', 'class', 'None', 'lambda', 'print', 'len', 'G', 'W'])}"
                 " = 1; exit(0); }", []),
        lambda: ("nfsv3:::op-rename-start { printf(\"%s\\n\", args[2]->from.name); }", []),
        lambda: ("tcp:::send { @[args[4]->tcp_seq] = count(); a[args[4]->tcp_seq] = 1;"
                 " self->t[args[4]->tcp_ack] = 1; }",
                 ["-x", f"aggsize={rng.randint(0, 300)}", "-x", f"dynvarsize={rng.randint(0, 300)}"]),
        lambda: ("BEGIN { exit(0); }", ["-x", rng.choice(["strsize=abc", "bufsize=-1", "switchrate=fast",
                                                           "bufsize", "nspec=x", "specsize=1q",
                                                           f"bufsize={rng.randint(0, 99)}"])]),
        lambda: ("BEGIN { @a = count(); normalize(@a, 0); exit(0); }", []),
    ]
    return [rng.choice(makers)() for _ in range(count)]


def test_hostile_d_programs_never_traceback(tmp_path: Path) -> None:
    rng = random.Random(f"{SEED}:hostile")
    cap = str(FIXTURES / "nfsv3-tcp.pcap")
    script = tmp_path / "hostile.d"
    for i, (text, options) in enumerate(hostile_programs(rng, max(40, ITERATIONS * 20))):
        script.write_text(text)
        where = f"seed {SEED} program {i} {options} {text[:200]!r}"
        try:
            status, out, err = pcapprobe("run", cap, "--local", "all", "-q", *options, "-s", str(script))
        except Exception as exc:  # noqa: BLE001 - the point of the test
            raise AssertionError(f"{where}: {type(exc).__name__}: {exc}") from exc
        assert status in (0, 1, 2), f"{where}: status {status}\n{err}"
        assert "Traceback" not in out + err, f"{where}\n{err}"
        assert not err or err.startswith("pcapprobe: "), f"{where}\n{err}"
        # widths beyond bufsize (4m) drop the record, never pad
        assert max(map(len, out.split("\n"))) <= 4 << 20, where
