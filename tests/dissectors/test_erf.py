"""ERF record headers (LINKTYPE_ERF 197) and the ERF link handler."""

from __future__ import annotations

import pytest

import pcapprobe
from pcapprobe.dissectors import erf
from pcapprobe.dissectors._reader import DissectError, Malformed, Truncated
from fixtures.gen import PCAPS, ipv4, udp
from fixtures.gen.infiniband import erf as erf_record
from fixtures.gen.infiniband import erf_records

DATAGRAM = ipv4("192.0.2.1", "192.0.2.2", 17, udp(53, 53, b"x"))


def test_ipv4_record_payload_follows_the_16_byte_header():
    assert erf.decode(memoryview(erf_record(erf.ERF_TYPE_IPV4, DATAGRAM))) == (22, 16)


def test_eth_record_skips_the_two_byte_pad():
    assert erf.decode(memoryview(erf_record(erf.ERF_TYPE_ETH, bytes(14)))) == (2, 18)


def test_extension_headers_are_chained_by_bit_7():
    record = erf_record(erf.ERF_TYPE_ETH, bytes(14), ext_headers=3)
    assert erf.decode(memoryview(record)) == (2, 16 + 3 * 8 + 2)


def test_type_byte_extension_flag_is_not_part_of_the_type():
    record = erf_record(erf.ERF_TYPE_INFINIBAND, bytes(8), ext_headers=1)
    assert record[8] == 0x80 | 21
    assert erf.decode(memoryview(record))[0] == erf.ERF_TYPE_INFINIBAND


def test_endless_extension_chain_is_malformed():
    record = bytearray(erf_record(erf.ERF_TYPE_IPV4, bytes(20 * 8)))
    record[8] |= 0x80
    for i in range(17):
        record[16 + 8 * i] = 0x80
    with pytest.raises(Malformed) as info:
        erf.decode(memoryview(bytes(record)))
    assert info.value.weird == "erf.too_many_ext_headers"


def test_rlen_shorter_than_the_header_is_malformed():
    record = bytearray(erf_record(erf.ERF_TYPE_IPV4, DATAGRAM))
    record[10:12] = (8).to_bytes(2, "big")
    with pytest.raises(Malformed) as info:
        erf.decode(memoryview(bytes(record)))
    assert info.value.weird == "erf.bad_rlen"


def test_type_names_for_skip_reasons():
    assert erf.type_name(24) == "ERF type 24 (RAW_LINK)"
    assert erf.type_name(99) == "ERF type 99"


def test_truncation_sweep():
    for record in erf_records():
        for i in range(len(record)):
            try:
                erf.decode(memoryview(record[:i]))
            except DissectError:
                pass
        with pytest.raises(Truncated):
            erf.decode(memoryview(record[:15]))


def test_fixture_counts_and_skip_reasons():
    result = pcapprobe.run(PCAPS / "ipoib-erf.pcap", local="all",
                           program="ip:::receive { @[args[2]->ip_saddr] = count(); }")
    assert result.status == 0, result.errors
    got = {key[0]: value for key, value in result.aggregations[""].items()}
    assert got == {"10.1.0.1": 2, "10.1.0.2": 1, "fe80::2:c903:0:a": 1,
                   "192.0.2.1": 1, "192.0.2.2": 1, "2001:db8::1": 1}
    link = result.stats["layers"]["link"]
    assert link == {"decoded": 7, "skipped: ERF type 24 (RAW_LINK)": 1,
                    "skipped: InfiniBand RC ACKNOWLEDGE": 1,
                    "skipped: InfiniBand UD SEND_ONLY to QP0 (SMP)": 1,
                    "skipped: InfiniBand UD SEND_ONLY to QP1 (MAD)": 1,
                    "skipped: ethertype 0x0806": 1}
    assert result.stats["weirds"] == {}
