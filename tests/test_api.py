"""The Python API: pcapprobe.run() returns output, status, aggregations, stats."""

from __future__ import annotations

import pcapprobe
from tests.conftest import FIXTURES

MIXED = FIXTURES / "ip-mixed.pcap"


def test_aggregations_as_plain_data():
    result = pcapprobe.run(MIXED, program="ip:::receive { @[args[2]->ip_saddr] = count(); }",
                           local="all")
    assert result.status == 0
    assert result.aggregations == {"": {("192.0.2.10",): 9, ("198.51.100.7",): 3,
                                        ("203.0.113.99",): 2, ("2001:db8::10",): 3,
                                        ("2001:db8:0:1::7",): 2}}
    assert "192.0.2.10" in result.output
    assert result.stats["frames"] == 19
    assert result.stats["layers"]["ip"] == {}


def test_script_file_macro_args_and_exit_status(tmp_path):
    script = tmp_path / "x.d"
    script.write_text('#pragma D option quiet\nint n;\n'
                      'ip:::send /args[2]->ip_daddr == $$1/ { n++; }\n'
                      'END { printf("%d to %s\\n", n, $$1); exit(n); }\n')
    result = pcapprobe.run([MIXED], script=script, local=["192.0.2.10"], args=["203.0.113.99"])
    assert result.output.startswith("2 to 203.0.113.99\n") and result.status == 2


def test_compile_error_is_status_1_with_dtrace_wording():
    result = pcapprobe.run(MIXED, program="ip:::recieve { @ = count(); }")
    assert result.status == 1
    assert result.errors.startswith("pcapprobe: failed to compile script -n: ") or \
        result.errors.startswith("pcapprobe: invalid probe specifier")
    assert result.output == ""


def test_bad_capture_is_reported_not_raised():
    result = pcapprobe.run(FIXTURES / "bad-garbage.pcap", program="ip::: { @ = count(); }")
    assert result.status == 1 and "not a pcap or pcapng file" in result.errors
    truncated = pcapprobe.run(FIXTURES / "bad-truncated.pcap", program="ip:::send { @ = count(); }",
                              local="all", quiet=True)
    assert truncated.status == 0 and truncated.aggregations[""] == {(): 5}
    assert truncated.stats["weirds"] == {"capture.truncated": 1}


def test_exit_stops_the_capture_early(tmp_path):
    script = tmp_path / "stop.d"
    script.write_text("int n;\nip:::receive { n++; }\nip:::receive /n == 3/ { exit(0); }\n")
    result = pcapprobe.run(MIXED, script=script, local="all", quiet=True)
    assert result.status == 0 and result.stats["frames"] == 3
