"""The Python API: pcapprobe.run() returns output, status, aggregations, stats."""

from __future__ import annotations

import dataclasses

import pytest

import pcapprobe
from pcapprobe import api
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
    assert result.stats["layers"] == {"link": {"decoded": 19}, "ip": {"decoded": 19}}


def test_stats_layers_count_decoded_and_skipped_with_reasons():
    result = pcapprobe.run(FIXTURES / "bad-short-packets.pcap", local="all",
                           program="tcp:::receive { @ = count(); }")
    assert result.stats["layers"] == {
        "link": {"decoded": 5, "skipped: Ethernet header truncated": 1},
        "ip": {"decoded": 1, "skipped: IPv4 header truncated": 2,
               "skipped: IPv6 header truncated": 1, "skipped: ipv4.bad_version": 1},
        "tcp": {"decoded": 0},
        "udp": {"decoded": 1},
    }


def test_stats_fragments_layer():
    result = pcapprobe.run(FIXTURES / "ip-frag.pcap", local="all",
                           program="udp:::receive { @ = count(); }")
    layers = result.stats["layers"]
    assert layers["fragments"] == {"decoded": 6, "datagrams reassembled": 2,
                                   "skipped: datagram incomplete": 1}
    assert layers["udp"] == {"decoded": 2}


def test_nfs_paths_errors_are_one_line_usage_errors(tmp_path):
    missing = pcapprobe.run(MIXED, program="BEGIN { exit(0); }", nfs_paths=tmp_path / "nope")
    assert missing.status == 2
    assert missing.errors == (f"pcapprobe: --nfs-paths {tmp_path / 'nope'}: cannot open: "
                              "No such file or directory\n")
    bad = tmp_path / "paths"
    bad.write_text("# handles\n0a0b /export\nzz /home\n")
    result = pcapprobe.run(MIXED, program="BEGIN { exit(0); }", nfs_paths=bad)
    assert result.status == 2
    assert result.errors == f"pcapprobe: --nfs-paths {bad}: line 3: 'zz' is not a hex file handle\n"


def test_nfs_paths_error_from_the_translator_is_a_project_error(tmp_path):
    import pytest

    from pcapprobe.errors import UsageError
    from pcapprobe.probes.translators.nfsv3 import PathMap

    bad = tmp_path / "paths"
    bad.write_text("0a0b\n")
    with pytest.raises(UsageError, match=r"^--nfs-paths .*: line 1: no path after the handle$"):
        PathMap().load_file(str(bad))


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


def test_a_misspelt_option_is_a_type_error():
    with pytest.raises(TypeError, match="unexpected keyword argument 'qiuet'"):
        pcapprobe.run(MIXED, program="BEGIN { exit(0); }", qiuet=True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'locale'"):
        api.run(MIXED, program="BEGIN { exit(0); }", locale="all")


@pytest.mark.parametrize(("captures", "program", "local", "status"), [
    (MIXED, "BEGIN { exit(0); }", "auto", 0),
    (MIXED, "BEGIN { exit(3); }", "auto", 3),
    (MIXED, "BEGIN {", "auto", 1),  # compile error
    ("missing.pcap", "BEGIN { exit(0); }", "auto", 1),  # unreadable capture
    (MIXED, "BEGIN { exit(0); }", "nohost", 2),  # usage error
], ids=["success", "exit", "compile-error", "missing-capture", "usage-error"])
def test_status_is_always_a_plain_int(captures, program, local, status):
    result = pcapprobe.run(captures, program=program, local=local)
    assert type(result.status) is int and result.status == status, result.errors


def test_run_result_docstring_describes_every_field():
    doc = api.RunResult.__doc__ or ""
    for f in dataclasses.fields(api.RunResult):
        assert f"\n        {f.name}: " in doc, f.name
