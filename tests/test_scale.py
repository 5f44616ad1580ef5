"""Partitioned runs (pcapprobe/scale) print what one process prints, byte for byte.

Every fixture and shared capture runs one program of every aggregating
function and per-packet output (EVERY_CAPTURE), and every partition-safe
seed script and one-liner runs on captures of its protocols (four of them,
or all with PCAPPROBE_SCALE_FULL=1), with ``jobs=1`` and with 2 and 4
workers and on a Dask LocalCluster; output, errors, status, aggregations and
--stats must be identical (but for the one line of a run that went again in
one process).  A program the analysis rejects must say so in one line and
still print the single-process output.  Dask runs use a real
``distributed.LocalCluster`` (in-process workers) when dask is installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import pcapprobe
from pcapprobe.scale import safety
from pcapprobe.scale.partition import partition_of
from tests import seed_scripts
from tests.conftest import FIXTURES, shared_captures

PROGRAMS = [p for p in seed_scripts.seed_programs()
            if p.name not in ("iscsi/iscsixfer.d", "iscsi/iscsixfersnoop.d")]
CAPTURES = sorted(FIXTURES.glob("*.pcap*")) + shared_captures()

# Which captures carry a provider's protocol (a program on other captures
# prints only its empty END).
_PROVIDER_CAPTURES = {
    "nfsv3": ("nfsv3", "nfsv2", "zeek-nfs", "real-peers/nfsv3"),
    "nfsv4": ("nfsv4",),
    "iscsi": ("iscsi", "iser", "scsi-osd"),
    "ip": ("ip", "link-", "format/", "merge-"),
    "tcp": ("tcp", "real-peers/"),
    "udp": ("udp", "dns"),
}

# One program over every capture: every IP protocol, per packet and aggregated.
EVERY_CAPTURE = (
    "ip:::send, ip:::receive { @pkts[probename, args[2]->ip_saddr, args[2]->ip_daddr] = count(); "
    "@len = quantize(args[2]->ip_plength); } "
    "tcp:::send, tcp:::receive { @bytes[args[2]->ip_saddr] = sum(args[2]->ip_plength); "
    "@avg = avg(args[2]->ip_plength); @sd = stddev(args[2]->ip_plength); } "
    "udp:::receive { printf(\"%d %s %d\\n\", timestamp, args[2]->ip_saddr, args[4]->udp_dport); "
    "@u = lquantize(args[4]->udp_length, 0, 1500, 100); @ll = llquantize(args[4]->udp_length, 10, 0, 4, 10); "
    "@mn = min(args[4]->udp_length); @mx = max(args[4]->udp_length); } "
    "tcp:::state-change { printf(\"%d %s %s\\n\", timestamp, args[3]->tcps_raddr, "
    "tcp_state_string[args[5]->tcps_state]); }")


def _relevant(program: seed_scripts.SeedProgram, capture: Path) -> bool:
    name = "/".join(capture.parts[-2:])
    return any(word in name for word in _PROVIDER_CAPTURES.get(program.provider, ()))


def _run(capture: Path | list[Path], program: seed_scripts.SeedProgram | str, **kw: object
         ) -> pcapprobe.RunResult:
    if isinstance(program, str):
        return pcapprobe.run([str(c) for c in capture] if isinstance(capture, list) else str(capture),
                             program=program, local="all", **kw)
    source = ({"script": str(seed_scripts.program_path(program))} if program.kind == "script"
              else {"program": program.text})
    zdefs = "http*:::" in program.text
    return pcapprobe.run(str(capture), local="all", zdefs=zdefs, **source, **kw)  # type: ignore[arg-type]


FELL_BACK = "pcapprobe: ran again in one process: "


def _same(one: pcapprobe.RunResult, many: pcapprobe.RunResult) -> None:
    """Identical, but for the one line saying a worker's doubt made the run
    go again in one process."""
    assert many.output == one.output
    errors = "".join(line for line in many.errors.splitlines(True)
                     if not line.startswith(FELL_BACK))
    assert len(errors) >= len(many.errors) - 200
    assert errors == one.errors
    assert many.status == one.status
    assert many.stats == one.stats
    assert many.aggregations == one.aggregations


def _is_safe(program: seed_scripts.SeedProgram) -> bool:
    from pcapprobe import api
    from pcapprobe.dlang import compile_program
    import io

    kind = "script" if program.kind == "script" else "program"
    value = str(seed_scripts.program_path(program)) if kind == "script" else program.text
    compiled = compile_program(api.load_sources([(kind, value)]), {"zdefs": True}, [],
                               io.StringIO(), io.StringIO())
    return safety.why_unsafe(compiled) is None


SAFE = [p for p in PROGRAMS if _is_safe(p)]
UNSAFE = [p for p in PROGRAMS if not _is_safe(p)]
# Every relevant capture of each program with PCAPPROBE_SCALE_FULL=1 (the
# whole matrix: ~500 pairs, most of an hour on a loaded 2-core machine);
# else four spread over them, for the suite's time (every capture still runs
# partitioned with EVERY_CAPTURE below).
PER_PROGRAM = None if os.environ.get("PCAPPROBE_SCALE_FULL") else 4


def _spread(items: list[Path], n: int | None) -> list[Path]:
    if n is None or len(items) <= n:
        return items
    return [items[i * len(items) // n] for i in range(n)]


PAIRS = [(c, p) for p in SAFE for c in _spread([c for c in CAPTURES if _relevant(p, c)], PER_PROGRAM)]


@pytest.fixture(scope="module")
def dask_client():  # type: ignore[no-untyped-def]
    """A real LocalCluster of two in-process workers, or None without dask
    (the Dask runs are then left out: the dask extra is optional)."""
    try:
        import distributed
    except ImportError:
        yield None
        return
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _runs(dask_client) -> list[dict]:  # type: ignore[no-untyped-def]
    """--jobs 2, --jobs 4 and, with dask, --dask on the LocalCluster."""
    runs: list[dict] = [{"jobs": 2}, {"jobs": 4}]
    if dask_client is not None:
        runs.append({"dask": dask_client, "jobs": 2})
    return runs


@pytest.mark.parametrize("capture, program", PAIRS,
                         ids=[f"{c.name}-{p.name}" for c, p in PAIRS])
def test_seed_program_partitioned(capture: Path, program: seed_scripts.SeedProgram,
                                  dask_client) -> None:  # type: ignore[no-untyped-def]
    one = _run(capture, program)
    for options in _runs(dask_client):
        _same(one, _run(capture, program, **options))


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda c: "/".join(c.parts[-2:]))
def test_every_capture_partitioned(capture: Path, dask_client) -> None:  # type: ignore[no-untyped-def]
    one = _run(capture, EVERY_CAPTURE)
    for options in _runs(dask_client):
        _same(one, _run(capture, EVERY_CAPTURE, **options))


@pytest.mark.parametrize("program", UNSAFE, ids=lambda p: p.name)
def test_unsafe_program_says_why(program: seed_scripts.SeedProgram) -> None:
    captures = [c for c in CAPTURES if _relevant(program, c) or program.provider in c.name]
    capture = captures[0] if captures else CAPTURES[0]
    one = _run(capture, program)
    many = _run(capture, program, jobs=2)
    assert many.output == one.output
    assert many.status == one.status
    said = [line for line in many.errors.splitlines(True)
            if line.startswith("pcapprobe: running in one process: ")]
    assert len(said) == 1
    assert many.errors.replace(said[0], "") == one.errors


@pytest.mark.parametrize("program, reason", [
    ("tcp:::receive { n++; }", "a global variable written"),
    ("tcp:::receive { a[args[3]->tcps_lport] = 1; }", "a global variable written"),
    ("tcp:::send { @ = count(); } tcp:::receive { printa(@); }", "printa()"),
    ("tcp:::receive /timestamp > 1/ { exit(0); }", "exit()"),
    ("ip:::send { trace(arg0); }", "arg0 (an address of one process)"),
    ("tcp:::send { trace(args[1]->cs_cid); }", "cs_cid numbers the connections"),
    ("BEGIN { @ = count(); }", "an aggregation in BEGIN"),
    ("profile:::tick-1s { trace(1); }", "profile probes"),
    ("tcp:::send { self->s = speculation(); }", "speculation()"),
    ("tcp:::send { trace(rand()); }", "rand()"),
])
def test_analysis_rejects(program: str, reason: str) -> None:
    result = pcapprobe.run(str(FIXTURES / "tcp-handshake.pcap"), program=program, local="all",
                           jobs=2, quiet=True)
    assert result.errors.startswith("pcapprobe: running in one process: ")
    assert reason in result.errors.splitlines()[0]


@pytest.mark.parametrize("program", [
    "tcp:::receive { self->n++; @[self->n] = count(); }",
    "BEGIN { base = 100; } tcp:::receive { @[base + args[4]->tcp_sport] = count(); }",
    "tcp:::receive { this->x = args[2]->ip_plength; @ = sum(this->x); } END { printa(@); trunc(@); }",
    "END { exit(3); } tcp:::send { @ = count(); }",
])
def test_analysis_accepts(program: str) -> None:
    capture = FIXTURES / "tcp-handshake.pcap"
    one = pcapprobe.run(str(capture), program=program, local="all")
    many = pcapprobe.run(str(capture), program=program, local="all", jobs=2)
    assert "running in one process" not in many.errors
    _same(one, many)


def test_unsafe_opt_in() -> None:
    """-x jobs_unsafe partitions anyway: the user takes what comes."""
    result = pcapprobe.run(str(FIXTURES / "tcp-handshake.pcap"), program="tcp:::receive { n++; }",
                           local="all", jobs=2, defines={"jobs_unsafe": True})
    assert "running in one process" not in result.errors
    assert result.status == 0


def _rotated(tmp_path: Path, capture: Path, parts: int) -> Path:
    """``capture`` split into ``parts`` files by time, like a ring buffer."""
    editcap = subprocess.run(["which", "editcap"], capture_output=True, text=True).stdout.strip()
    if not editcap:
        pytest.skip("editcap is not installed (apt-get install wireshark-common)")
    frames = int(subprocess.run(["capinfos", "-c", "-M", "-r", str(capture)], capture_output=True,
                                text=True).stdout.split()[-1])
    out = tmp_path / "ring"
    out.mkdir()
    subprocess.run([editcap, "-F", "pcap", "-c", str(max(1, -(-frames // parts))), str(capture),
                    str(out / "ring.pcap")], check=True)
    return out


def test_rotated_capture_set(tmp_path: Path) -> None:
    """A capture set in 20 rotated files (a directory): the same as the one
    file, in one process and partitioned."""
    from fixtures.gen import nfs_capture_set

    capture = nfs_capture_set.write(tmp_path / "set.pcap", clients=12, operations=400)
    ring = _rotated(tmp_path, capture, 20)
    assert len(list(ring.iterdir())) == 20
    program = ("nfsv3:::op-read-done, nfsv3:::op-write-done { @[probename, args[0]->ci_remote] "
               "= count(); @b[probename] = quantize(args[2]->res_u.ok.count); } "
               "nfsv3:::op-getattr-start { printf(\"%d %s %d\\n\", timestamp, args[0]->ci_remote, "
               "args[1]->noi_xid); }")
    whole = pcapprobe.run(str(capture), program=program, local="all")
    assert whole.output.count("\n") > 100
    one = pcapprobe.run(str(ring), program=program, local="all")
    assert one.output == whole.output
    for jobs in (2, 4):
        _same(one, pcapprobe.run(str(ring), program=program, local="all", jobs=jobs))


def test_partitions_split_host_pairs(tmp_path: Path) -> None:
    """The generated set spreads its clients over the partitions (else the
    tests above would prove nothing about merging)."""
    from pcapprobe.capture import Capture
    from fixtures.gen import nfs_capture_set

    capture = nfs_capture_set.write(tmp_path / "set.pcap", clients=12, operations=50)
    parts = {partition_of(f, 4)[0]
             for f in Capture(str(capture), lambda *a: None).frames()}
    assert parts == {0, 1, 2, 3}


def test_dask_local_cluster(dask_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A real LocalCluster: every safe seed program on the generated set (its
    clients spread over the partitions) and the fixtures of its protocol."""
    if dask_client is None:
        pytest.skip("dask.distributed is not installed (pip install 'pcapprobe[dask]')")
    from fixtures.gen import nfs_capture_set

    capture = nfs_capture_set.write(tmp_path / "set.pcap", clients=8, operations=200)
    for program in SAFE:
        for target in [capture] + [c for c in CAPTURES if _relevant(program, c)][:3]:
            one = _run(target, program)
            _same(one, _run(target, program, dask=dask_client, jobs=4))


def test_cli_jobs_and_dask_local(tmp_path: Path) -> None:
    """``pcapprobe run --jobs 2`` and ``--dask local`` (worker processes) print
    what ``--jobs 1`` prints."""
    from fixtures.gen import nfs_capture_set

    capture = nfs_capture_set.write(tmp_path / "set.pcap", clients=6, operations=100)
    program = "nfsv3:::op-read-done { @[args[0]->ci_remote] = sum(args[2]->res_u.ok.count); }"
    runs = [["--jobs", "1"], ["--jobs", "2"]]
    try:
        import distributed  # noqa: F401
        runs.append(["--dask", "local", "--jobs", "2"])
    except ImportError:
        pass
    outputs = []
    for flags in runs:
        done = subprocess.run([sys.executable, "-m", "pcapprobe", "run", "-q", "--local", "all",
                               *flags, "-n", program, str(capture)], capture_output=True,
                              text=True, timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        assert done.returncode == 0, done.stderr
        outputs.append((done.stdout, done.stderr))
    assert all(o == outputs[0] for o in outputs)


def test_path_learned_in_another_partition(tmp_path: Path) -> None:
    """Client A names a file (MOUNT, LOOKUP); client B, in another partition,
    reads it without a LOOKUP of its own: one process knows B's path from A's
    traffic, so the partitioned run must go again in one process."""
    from fixtures.gen import nfs as gen
    from pcapprobe.capture import Capture

    def run_for(a: str, b: str) -> Path:
        wire, fs, rpc = gen.Wire(), gen.Server(), gen.Rpc()
        gen.udp_exchange(wire, (a, 800), (gen.SERVER, gen.MOUNT_PORT), [rpc.mount(1, fs.mnt("/export"))])
        fh = fs.add(fs.root_fh, "shared.txt", size=1 << 16)
        first = wire.connect((a, 900), (gen.SERVER, gen.NFS_PORT))
        gen.exchange(first, [rpc.nfs(gen.LOOKUP, fs.lookup(fs.root_fh, "shared.txt"))])
        second = wire.connect((b, 901), (gen.SERVER, gen.NFS_PORT))
        gen.exchange(second, [rpc.nfs(gen.READ, fs.read(fh, 0, 4096))])
        path = tmp_path / f"{a}-{b}.pcap"
        path.write_bytes(wire.pcap())
        return path

    a = "198.18.0.1"
    for i in range(2, 60):
        b = f"198.18.0.{i}"
        capture = run_for(a, b)
        parts = {partition_of(f, 2)[0] for f in Capture(str(capture), lambda *x: None).frames()}
        if len(parts) == 2:
            break
    program = "nfsv3:::op-read-start { printf(\"%s %s\\n\", args[0]->ci_remote, args[1]->noi_curpath); }"
    one = pcapprobe.run(str(capture), program=program, local="all", quiet=True)
    assert "/export/shared.txt" in one.output
    many = pcapprobe.run(str(capture), program=program, local="all", quiet=True, jobs=2)
    assert many.output == one.output
    assert many.errors == ("pcapprobe: ran again in one process: an NFS path was learned in one "
                           "partition and used in another\n")


def test_time_wait_ends_at_another_partitions_packet(tmp_path: Path) -> None:
    """A connection's time-wait ends (60 s on the capture clock) at a packet of
    a connection in another partition: the worker that skips that packet
    still runs its clock there, so the state change prints where one process
    prints it."""
    from fixtures.gen import TCP_ACK, TCP_PSH
    from fixtures.gen import nfs as gen
    from pcapprobe.capture import Capture

    def capture_for(b: str) -> Path:
        wire = gen.Wire()
        first = wire.connect(("198.18.0.1", 40000), ("203.0.113.9", 5001))
        second = wire.connect((b, 40001), ("203.0.113.9", 5002))
        first.segment(0, TCP_PSH | TCP_ACK, b"hello")
        first.close()
        for _ in range(4):
            wire.tick(30 * 1_000_000_000)
            second.segment(0, TCP_PSH | TCP_ACK, b"tick")
            second.segment(1, TCP_ACK)
        path = tmp_path / f"{b}.pcap"
        path.write_bytes(wire.pcap())
        return path

    for i in range(2, 60):
        capture = capture_for(f"198.18.0.{i}")
        if len({partition_of(f, 2)[0] for f in Capture(str(capture), lambda *x: None).frames()}) == 2:
            break
    program = ("tcp:::state-change { printf(\"%d %s:%d %s -> %s\\n\", timestamp, args[3]->tcps_raddr, "
               "args[3]->tcps_rport, tcp_state_string[args[5]->tcps_state], "
               "tcp_state_string[args[3]->tcps_state]); } "
               "tcp:::receive { printf(\"%d receive %s\\n\", timestamp, args[2]->ip_saddr); }")
    one = pcapprobe.run(str(capture), program=program, local="all", quiet=True)
    assert "state-time-wait -> state-closed" in one.output
    many = pcapprobe.run(str(capture), program=program, local="all", quiet=True, jobs=2)
    assert many.errors == ""
    assert many.output == one.output


@pytest.mark.parametrize("options", [{"filter": "tcp port 2049"}, {"time_from": "+0.01s"},
                                     {"format": "json"}, {"filter": "tcp", "time_to": "+0.05s"}],
                         ids=["filter", "from", "json", "filter-to"])
def test_selection_and_formats_partitioned(options: dict, tmp_path: Path) -> None:
    """-f, --from/--to (each worker compiles its filter) and --format json."""
    from fixtures.gen import nfs_capture_set

    capture = nfs_capture_set.write(tmp_path / "set.pcap", clients=8, operations=200)
    program = ("tcp:::receive { @[args[2]->ip_saddr] = count(); } "
               "tcp:::send { printf(\"%d %d\\n\", timestamp, args[2]->ip_plength); }")
    one = pcapprobe.run(str(capture), program=program, local="all", **options)
    assert one.output.count("\n") > 20
    _same(one, pcapprobe.run(str(capture), program=program, local="all", jobs=2, **options))
