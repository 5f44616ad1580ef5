"""TCP state machine and tcp probes on the generated fixtures (fixtures/gen/tcp.py)."""

from __future__ import annotations

from collections import Counter

import pytest

from pcapprobe.probes.constants import TH_RST, TH_SYN
from tests.conftest import FIXTURES
from tests.flows.kit import run

CLIENT, SERVER = "10.0.0.1", "10.0.0.2"

ACTIVE_OPEN = [("state-idle", "state-bound"), ("state-bound", "state-syn-sent"),
               ("state-syn-sent", "state-established")]
PASSIVE_OPEN = [("state-listen", "state-syn-received"),
                ("state-syn-received", "state-established")]
ACTIVE_CLOSE = [("state-established", "state-fin-wait-1"),
                ("state-fin-wait-1", "state-fin-wait-2"),
                ("state-fin-wait-2", "state-time-wait")]
PASSIVE_CLOSE = [("state-established", "state-close-wait"),
                 ("state-close-wait", "state-last-ack"), ("state-last-ack", "state-closed")]


def transitions(name: str, local: str) -> list[tuple[str, str]]:
    sink, _ = run(FIXTURES / name, (local,))
    return [(old, new) for _, old, new in sink.states()]


def test_client_side_of_a_whole_connection_and_time_wait_expiry():
    sink, report = run(FIXTURES / "tcp-handshake.pcap", (CLIENT,))
    states = sink.states()
    assert [(o, n) for c, o, n in states if c == 1] == ACTIVE_OPEN + ACTIVE_CLOSE + [
        ("state-time-wait", "state-closed")]
    # time-wait ends 60 s (Solaris tcp_time_wait_interval) after it began
    changes = [f for f in sink.of("tcp:::state-change") if f[2][1]["cs_cid"] == 1]
    assert changes[-1][1] - changes[-2][1] == 60_000_000_000
    assert not report.weirds


def test_server_side_fires_accept_established():
    assert transitions("tcp-handshake.pcap", SERVER) == PASSIVE_OPEN + PASSIVE_CLOSE
    sink, _ = run(FIXTURES / "tcp-handshake.pcap", (SERVER,))
    (est,) = sink.of("tcp:::accept-established")
    assert est[2][3]["tcps_raddr"] == CLIENT and est[2][3]["tcps_lport"] == 22
    assert est[2][4]["tcp_flags"] == 0x10  # the final ACK of the handshake
    assert not sink.of("tcp:::connect-established")


def test_probe_order_for_an_active_open():
    sink, _ = run(FIXTURES / "tcp-handshake.pcap", (CLIENT,))
    assert sink.names()[:7] == [
        "tcp:::state-change", "tcp:::state-change", "tcp:::connect-request", "tcp:::send",
        "tcp:::receive", "tcp:::state-change", "tcp:::connect-established"]


def test_refused_connects_as_in_the_guide_example():
    assert transitions("tcp-refused.pcap", CLIENT) == 2 * [
        ("state-idle", "state-bound"), ("state-bound", "state-syn-sent"),
        ("state-syn-sent", "state-bound"), ("state-bound", "state-idle"),
        ("state-idle", "state-closed")]
    sink, _ = run(FIXTURES / "tcp-refused.pcap")
    refused = sink.of("tcp:::connect-refused")
    assert len(refused) == 2 and all(f[2][4]["tcp_flags"] & TH_RST for f in refused)
    rejected = sink.of("tcp:::accept-refused")
    assert [(f[2][2]["ip_daddr"], f[2][4]["tcp_sport"]) for f in rejected] == [(CLIENT, 23)] * 2
    # the refusing host never had a connection: no state changes for it
    assert {f[2][1]["cs_cid"] for f in sink.of("tcp:::state-change")} == {1, 3}


def test_reset_closes_both_ends():
    assert transitions("tcp-reset.pcap", CLIENT)[-1] == ("state-established", "state-closed")
    assert transitions("tcp-reset.pcap", SERVER)[-1] == ("state-established", "state-closed")


def test_half_close_keeps_receiving_in_fin_wait_2():
    sink, _ = run(FIXTURES / "tcp-halfclose.pcap", (CLIENT,))
    data = [f for f in sink.of("tcp:::receive") if f[2][2]["ip_plength"] > f[2][4]["tcp_offset"]]
    assert len(data) == 3
    assert {TCP_STATE(f[2][3]["tcps_state"]) for f in data} == {"state-fin-wait-2"}
    assert transitions("tcp-halfclose.pcap", CLIENT) == ACTIVE_OPEN + ACTIVE_CLOSE


def TCP_STATE(value: int) -> str:
    from pcapprobe.probes.constants import TCP_STATE_STRING
    return TCP_STATE_STRING[value]


def test_simultaneous_open_is_an_active_open_on_both_sides():
    for local in (CLIENT, SERVER):
        seen = transitions("tcp-simopen.pcap", local)
        assert seen[:4] == [("state-idle", "state-bound"), ("state-bound", "state-syn-sent"),
                            ("state-syn-sent", "state-syn-received"),
                            ("state-syn-received", "state-established")]
    sink, _ = run(FIXTURES / "tcp-simopen.pcap")
    assert len(sink.of("tcp:::connect-established")) == 2
    assert not sink.of("tcp:::accept-established")


def test_midstream_start_fires_no_open_transitions():
    assert transitions("tcp-midstream.pcap", CLIENT) == ACTIVE_CLOSE
    assert transitions("tcp-midstream.pcap", SERVER) == PASSIVE_CLOSE
    sink, _ = run(FIXTURES / "tcp-midstream.pcap", (SERVER,))
    first = sink.of("tcp:::receive")[0][2][3]
    assert first["tcps_state"] == 0 and first["tcps_iss"] == 0 and first["tcps_lport"] == 2049


def test_synack_before_syn_presumes_the_syn():
    assert transitions("tcp-synack-first.pcap", CLIENT) == ACTIVE_OPEN
    assert transitions("tcp-synack-first.pcap", SERVER) == PASSIVE_OPEN
    sink, _ = run(FIXTURES / "tcp-synack-first.pcap", (CLIENT,))
    late_syn = [f for f in sink.of("tcp:::send") if f[2][4]["tcp_flags"] == TH_SYN]
    assert [f[2][3]["tcps_retransmit"] for f in late_syn] == [1]


def test_port_reuse_is_a_new_incarnation_with_a_new_cid():
    sink, _ = run(FIXTURES / "tcp-reuse.pcap", (CLIENT,))
    states = sink.states()
    first, second = sorted({c for c, _, _ in states})
    # the time-wait endpoint is taken over by the new SYN
    assert [(o, n) for c, o, n in states if c == first] == ACTIVE_OPEN + ACTIVE_CLOSE + [
        ("state-time-wait", "state-closed")]
    assert [(o, n) for c, o, n in states if c == second] == ACTIVE_OPEN + PASSIVE_CLOSE
    assert len(sink.of("tcp:::connect-established")) == 2


def test_retransmissions_are_flagged_on_sends_only():
    sink, _ = run(FIXTURES / "tcp-retrans.pcap", (CLIENT,))
    retrans = [(f[2][4]["tcp_seq"] - 1000, f[2][4]["tcp_flags"])
               for f in sink.of("tcp:::send") if f[2][3]["tcps_retransmit"]]
    # SYN, RTO'd first data, fast-retransmitted lost segment, FIN
    assert retrans == [(0, 0x02), (1, 0x18), (1001, 0x10), (5001, 0x11)]
    assert all(f[2][3]["tcps_retransmit"] == 0 for f in sink.of("tcp:::receive"))


def test_reno_model_and_rto():
    sink, _ = run(FIXTURES / "tcp-retrans.pcap", (CLIENT,))
    sends = sink.of("tcp:::send")
    by_seq = {}
    for f in sends:
        by_seq.setdefault((f[2][4]["tcp_seq"], f[2][3]["tcps_retransmit"]), f[2][3])
    mss = 1400  # min(1460 offered, 1400 received)
    assert by_seq[(1001, 0)]["tcps_mss"] == mss
    assert by_seq[(1001, 0)]["tcps_cwnd"] == 4380  # RFC 3390: min(4*1400, max(2800, 4380))
    timeout = by_seq[(1001, 1)]
    # RFC 6298 §5.5 backoff: 1 s doubled by the SYN's retransmission, then by
    # this one (Karn's rule left no valid RTT sample in between)
    assert timeout["tcps_cwnd"] == mss and timeout["tcps_rto"] == 4000
    fast = by_seq[(2001, 1)]
    # flight 4000 at the third duplicate ACK: ssthresh max(2000, 2*mss), cwnd + 3 MSS
    assert fast["tcps_cwnd_ssthresh"] == 2 * mss and fast["tcps_cwnd"] == 5 * mss
    assert fast["tcps_sack_fack"] == 6001 and fast["tcps_sack_snxt"] == 2001


def test_window_scaling_needs_both_syns():
    sink, _ = run(FIXTURES / "tcp-wscale.pcap", (CLIENT,))
    data = [f[2][3] for f in sink.of("tcp:::send")
            if f[2][2]["ip_plength"] > f[2][4]["tcp_offset"]]
    assert [(d["tcps_snd_ws"], d["tcps_rcv_ws"]) for d in data] == [(0, 0), (8, 7)]
    assert data[1]["tcps_rwnd"] == 501 and data[1]["tcps_swnd"] == 65160


def test_ipv6_connection():
    sink, _ = run(FIXTURES / "tcp-ipv6.pcap", ("2001:db8::2",))
    (est,) = sink.of("tcp:::accept-established")
    assert est[2][2]["ip_ver"] == 6 and est[2][3]["tcps_raddr"] == "2001:db8::1"
    assert est[2][3]["tcps_mss"] == 1400


def test_sequence_variables_after_the_handshake():
    sink, _ = run(FIXTURES / "tcp-handshake.pcap", (CLIENT,))
    (est,) = sink.of("tcp:::connect-established")
    s = est[2][3]
    assert (s["tcps_iss"], s["tcps_suna"], s["tcps_snxt"], s["tcps_rnxt"]) == (1000, 1001, 1001,
                                                                                5001)
    data = sink.of("tcp:::send")[2][2][3]  # the first data segment
    assert data["tcps_snxt"] == 1001 + 16 and data["tcps_rack"] == 5001


def test_each_local_endpoint_has_its_own_cid_and_thread():
    sink, _ = run(FIXTURES / "tcp-handshake.pcap")
    threads = Counter((f[2][1]["cs_cid"], f[3]) for f in sink.of("tcp:::send"))
    assert {cid for cid, _ in threads} == {1, 2, 3}
    assert all(thread == ("tcp", cid) for cid, thread in threads)


def test_no_local_host_fires_nothing():
    sink, _ = run(FIXTURES / "tcp-handshake.pcap", ("192.0.2.99",))
    assert sink.firings == []


@pytest.mark.parametrize("local", [CLIENT, SERVER])
def test_receive_and_send_partition_the_segments(local):
    sink, _ = run(FIXTURES / "tcp-retrans.pcap", (local,))
    assert len(sink.of("tcp:::send")) + len(sink.of("tcp:::receive")) == 21
