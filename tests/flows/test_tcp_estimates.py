"""The tcp provider estimates cwnd/ssthresh/rto/SACK only when a D clause may
read them (``Program.members_read``, ``translators.tcp.estimates_read``)."""

from __future__ import annotations

import io

from pcapprobe.capture import Capture
from pcapprobe.dlang import Source, compile_program
from pcapprobe.flows.tcp import TcpLayer
from pcapprobe.pipeline import LocalHosts, Pipeline, RunContext
from pcapprobe.report import Report
from tests.conftest import FIXTURES

CLIENT = "10.0.0.1"
RETRANS = 'tcp:::send /args[3]->tcps_retransmit/ { printf("%d\\n", args[4]->tcp_seq); }'


def run_d(text: str) -> tuple[str, TcpLayer]:
    out = io.StringIO()
    program = compile_program([Source("-n", text, kind="program")], {"quiet": True}, [], out, io.StringIO())
    pipeline = Pipeline(RunContext(program, Report(io.StringIO()), LocalHosts((CLIENT,))))
    layer = next(f.__self__ for f in pipeline.layers.finishers if isinstance(getattr(f, "__self__", None), TcpLayer))
    program.begin(0)
    pipeline.run(Capture(str(FIXTURES / "tcp-retrans.pcap"), lambda *a: None).frames(), program)
    pipeline.finish()
    program.end()
    return out.getvalue(), layer


def test_estimates_are_skipped_when_no_clause_reads_them() -> None:
    out, layer = run_d(RETRANS + " tcp:::receive { @[args[4]->tcp_dport] = count(); }")
    assert layer.fire.estimate is False
    # the state machine and retransmission detection still run
    assert out.split()[:4] == ["1000", "1001", "2001", "6001"]
    assert out.split()[4:] == ["40040", "8"]  # the receives, by port


def test_reading_cwnd_gets_the_reno_estimate() -> None:
    # as tests/flows/test_tcp_states.py test_reno_model_and_rto: the fast
    # retransmission of seq 2001 sees cwnd = ssthresh + 3 MSS = 5 * 1400
    text = RETRANS.replace('"%d\\n", args[4]->tcp_seq', '"%d %d %d\\n", args[4]->tcp_seq, args[3]->tcps_cwnd, args[3]->tcps_sack_fack')
    out, layer = run_d(text)
    assert layer.fire.estimate is True
    assert "2001 7000 6001" in out.splitlines()


def test_a_whole_tcpsinfo_argument_counts_as_reading_everything() -> None:
    _, layer = run_d("tcp:::state-change /args[3] != NULL/ { trace(args[3]->tcps_state); }")
    assert layer.fire.estimate is True
