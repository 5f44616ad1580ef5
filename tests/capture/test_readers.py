"""Capture readers: every container format and byte order, gzip, stdin, merge,
and bad files reported as one-line warnings."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest

from fixtures.gen import ethernet, ipv4, pcap_bytes, pcapng_bytes, udp
from fixtures.gen.ip import T0, build, records, ip_packets
from pcapprobe.capture import Capture, Frame, merge, pcap, pcapng
from pcapprobe.capture.pcap import read_pcap
from pcapprobe.capture.pcapng import read_pcapng
from pcapprobe.errors import CaptureError
from tests.conftest import FIXTURES

STEP = 1_250_000


def read(path, stdin=None):
    warnings = []
    cap = Capture(str(path), lambda w, i, r: warnings.append((w, i, r)), stdin)
    return list(cap.frames()), warnings


@pytest.mark.parametrize("name", ["ip-mixed.pcap", "fmt-pcap-ns-be.pcap", "fmt-pcap-us-be.pcap",
                                  "fmt-pcap-ns-le.pcap", "fmt-gzip.pcap.gz"])
def test_classic_pcap_variants_give_identical_frames(name):
    frames, warnings = read(FIXTURES / name)
    assert warnings == []
    assert [f.index for f in frames] == list(range(1, 20))
    # µs files lose the sub-µs part of T0
    resolution = 1 if "ns" in name else 1000
    assert [f.ts_ns for f in frames] == [(T0 + i * STEP) // resolution * resolution for i in range(19)]
    expected = [d for _, d in records(ip_packets())]
    assert [bytes(f.data) for f in frames] == expected
    assert {f.linktype for f in frames} == {1}


@pytest.mark.parametrize("name", ["fmt-pcapng-le.pcapng", "fmt-pcapng-be.pcapng"])
def test_pcapng_interfaces_resolutions_and_block_kinds(name):
    frames, warnings = read(FIXTURES / name)
    assert warnings == []
    assert len(frames) == 19
    by_kind = {i % 5: f for i, f in enumerate(frames)}
    assert by_kind[0].ifname == "eth0" and by_kind[0].linktype == 1
    assert by_kind[1].ifname == "lo0" and by_kind[1].linktype == 0
    assert by_kind[2].ifname is None
    assert by_kind[3].ifname == "eth0"  # obsolete packet block
    assert frames[1].ts_ns == T0 + STEP  # if_tsresol 9: exact ns
    assert frames[0].ts_ns == T0 // 1000 * 1000  # default µs
    # 2^-20 s ticks: within one tick (~954 ns) of the real time
    assert abs(frames[2].ts_ns - (T0 + 2 * STEP)) < 954


def test_pcapng_simple_packet_blocks():
    frames, warnings = read(FIXTURES / "fmt-pcapng-spb.pcapng")
    assert warnings == [] and len(frames) == 4
    assert all(f.ifname == "en1" for f in frames)


def test_stdin_is_read_by_magic():
    data = (FIXTURES / "fmt-gzip.pcap.gz").read_bytes()
    frames, _ = read("-", io.BufferedReader(io.BytesIO(data)))
    assert len(frames) == 19 and frames[0].source == "<stdin>"


def test_merge_interleaves_by_timestamp():
    caps = [Capture(str(FIXTURES / n), lambda *a: None) for n in ("merge-b.pcap", "merge-a.pcap")]
    frames = list(merge(caps))
    assert [f.ts_ns for f in frames] == sorted(f.ts_ns for f in frames)
    assert len(frames) == 19
    assert [f.source.endswith("merge-a.pcap") for f in frames[:4]] == [True, False, True, False]


def test_truncated_file_warns_once_and_keeps_earlier_packets():
    frames, warnings = read(FIXTURES / "bad-truncated.pcap")
    assert len(frames) == 5
    assert warnings == [("capture.truncated", 6,
                         "truncated packet data: record says 54 bytes, file has 29")]


def test_bad_pcapng_block_stops_with_a_warning():
    frames, warnings = read(FIXTURES / "bad-block.pcapng")
    assert len(frames) == 2
    assert [w[0] for w in warnings] == ["capture.bad_block"]


@pytest.mark.parametrize("name,message", [("bad-garbage.pcap", "not a pcap or pcapng file"),
                                          ("does-not-exist.pcap", "No such file")])
def test_unreadable_files_raise_capture_error(name, message):
    with pytest.raises(CaptureError, match=message):
        read(FIXTURES / name)


def test_empty_file_is_an_error(tmp_path):
    (tmp_path / "empty.pcap").write_bytes(b"")
    with pytest.raises(CaptureError, match="empty file"):
        read(tmp_path / "empty.pcap")


@pytest.mark.parametrize("cut", range(0, 120, 7))
def test_every_truncation_point_of_both_formats_is_safe(tmp_path, cut):
    recs = records(ip_packets()[:3])
    for name, data in (("x.pcap", pcap_bytes(recs)),
                       ("x.pcapng", pcapng_bytes([(1, "e", None)], [("epb", 0, t, d) for t, d in recs]))):
        path = tmp_path / name
        path.write_bytes(data[:len(data) - cut])
        try:
            frames, warnings = read(path)
        except CaptureError:
            continue
        assert len(frames) <= 3
        # a cut on a record boundary loses packets silently (nothing is left to see)
        assert (len(frames) == 3 and not warnings) if cut == 0 else (warnings or len(frames) < 3)


def test_generator_is_deterministic_and_matches_committed_fixtures():
    for name, data in build().items():
        assert (FIXTURES / name).read_bytes() == data, name


def test_damaged_gzip_keeps_what_was_read(tmp_path):
    data = (FIXTURES / "fmt-gzip.pcap.gz").read_bytes()
    path = tmp_path / "cut.pcap.gz"
    path.write_bytes(data[: len(data) // 2])
    frames, warnings = read(path)
    assert len(frames) < 19
    assert [w[0] for w in warnings] in (["capture.bad_compression"], ["capture.truncated"])


def test_corrupt_deflate_data_is_a_warning_not_a_crash(tmp_path):
    # found by tests/test_fuzz_captures.py: a flipped byte inside the deflate
    # stream raised zlib.error (neither OSError nor EOFError) out of the reader
    import gzip

    from fixtures.gen import pcap_bytes

    data = pcap_bytes([(T0 + i * STEP, b"".join(b"%06d frame payload " % (i * j) for j in range(50)))
                       for i in range(400)])
    packed = gzip.compress(data, mtime=0)
    path = tmp_path / "bad.pcap.gz"
    for k in range(1, 40):
        damaged = bytearray(packed)
        damaged[len(packed) * k // 40] ^= 0x55
        path.write_bytes(bytes(damaged))
        try:
            frames, warnings = read(path)
        except CaptureError as exc:  # damage inside the first block read
            assert "cannot read" in str(exc)
            continue
        assert len(frames) <= 400
        assert all(w[0] in ("capture.bad_compression", "capture.truncated", "capture.bad_record")
                   for w in warnings), warnings


LIVE_PACKET = ethernet(ipv4("192.0.2.1", "192.0.2.2", 17, udp(1, 2, b"x")))


def _live_pcap() -> tuple[bytes, int, Callable[..., Iterator[Frame]]]:
    data = pcap_bytes([(1_000_000_000, LIVE_PACKET), (2_000_000_000, LIVE_PACKET)])
    return data, len(data) - (16 + len(LIVE_PACKET)), read_pcap


def _live_pcapng() -> tuple[bytes, int, Callable[..., Iterator[Frame]]]:
    data = pcapng_bytes([(1, "eth0", None)], [("epb", 0, 1_000_000_000, LIVE_PACKET),
                                               ("epb", 0, 2_000_000_000, LIVE_PACKET)])
    return data, len(data) - (32 + len(LIVE_PACKET) + (-len(LIVE_PACKET) % 4)), read_pcapng


@pytest.mark.parametrize("make", [_live_pcap, _live_pcapng], ids=["pcap", "pcapng"])
def test_a_live_pipe_is_decoded_as_packets_arrive(
        make: Callable[[], tuple[bytes, int, Callable[..., Iterator[Frame]]]]) -> None:
    """tcpdump -w - | pcapprobe run -: a frame is yielded while the writer is
    still running, and the output is flushed before the reader waits."""
    import os
    import threading

    data, first, read = make()  # ``first``: the bytes up to the second packet
    rfd, wfd = os.pipe()
    os.write(wfd, data[:first])
    waits: list[int] = []
    stream = io.open(rfd, "rb")
    frames = read(stream, "<stdin>", lambda *a: None, stream.close,
                  before_wait=lambda: waits.append(1))
    got: list[int] = []
    reader = threading.Thread(target=lambda: got.append(next(frames).index), daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert got == [1] and waits  # the first frame came without the rest of the file
    os.write(wfd, data[first:])
    os.close(wfd)
    assert [f.index for f in frames] == [2]


@pytest.mark.parametrize("name", ["nfsv3-tcp.pcap", "fmt-pcapng-le.pcapng"])
def test_mapped_pages_are_released_behind_the_reader(name: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain file is one memory map whose pages are given back as reading
    goes on; frames kept from before a release still read their bytes."""
    released: list[int] = []
    done_with = pcap._Mapped.done_with

    def recording(self: pcap._Mapped, pos: int) -> None:
        released.append(pos)
        done_with(self, pos)

    monkeypatch.setattr(pcap, "RELEASE_EVERY", 512)
    monkeypatch.setattr(pcapng, "RELEASE_EVERY", 512)
    monkeypatch.setattr(pcap._Mapped, "done_with", recording)
    path = FIXTURES / name
    frames, warnings = read(path)
    assert released and warnings == []
    data = path.read_bytes()
    for frame in frames:
        assert bytes(frame.data) in data  # still readable, and the file's bytes
    again, _ = read("-", stdin=io.BytesIO(data))  # not mappable: read in chunks
    assert [(f.index, f.ts_ns, bytes(f.data)) for f in frames] == \
        [(f.index, f.ts_ns, bytes(f.data)) for f in again]
