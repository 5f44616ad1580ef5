"""The pcapprobe(1) manual page, generated from the click commands.

``python -m pcapprobe.manpage man/pcapprobe.1`` (in the source tree) rewrites
the page; tests/test_manpage.py fails when the committed page is not what the
commands generate.  The page is installed as share/man/man1/pcapprobe.1.
Each command's synopsis, description and options come from click (the same
text as ``--help``); the sections around them are written here.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import click

from pcapprobe.cli import cli

DESCRIPTION = """\
pcapprobe reads packet captures (pcap, pcapng, gzip; - is standard input; a
directory stands for the captures in it, merged by time) and turns them into
the probe firings Solaris DTrace's network and storage providers (ip, tcp,
udp, iscsi, nfsv3, ...) would have produced on the capturing host.  It runs
unchanged D scripts on them and prints what dtrace(1M) would print.
"""

EXIT_STATUS = """\
0 on success or the value given to exit(); 1 on a D compile error or an
unreadable capture; 2 on a usage error (a bad -f expression, a bad --from
or --to time, a bad --nfs-paths file).  A reader of standard output
that goes away ends the run quietly with status 0.
"""

EXAMPLES = [
    ("Run a shipped seed script on an NFS capture:",
     "pcapprobe run trace.pcap -s nfsv3io.d"),
    ("Count IP packets per source, only TCP to port 2049, in the first minute:",
     "pcapprobe run trace.pcap -f 'tcp port 2049' --to +1m "
     "-n 'ip:::receive { @[args[2]->ip_saddr] = count(); }'"),
    ("Aggregations as JSON records:",
     "pcapprobe run trace.pcap --format json -s iscsiwho.d"),
    ("Every nfsv3 read as JSON, with the frame that fired it:",
     "pcapprobe events trace.pcap -n 'nfsv3:::op-read-*'"),
    ("The probes, and how often each fires in a capture:",
     "pcapprobe list -v -P tcp; pcapprobe list trace.pcap"),
]

SEE_ALSO = "dtrace(1M), tcpdump(1), pcap-filter(7), tshark(1), bpftrace(8)"


def escape(text: str) -> str:
    """Text as roff shows it literally: backslashes, hyphens and a leading
    control character escaped."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join("\\&" + line if line.startswith((".", "'")) else line
                     for line in text.split("\n"))


def _package_version() -> str:
    try:
        return version("pcapprobe")
    except PackageNotFoundError:
        return "unknown"


def _command(name: str, command: click.Command) -> list[str]:
    ctx = click.Context(command, info_name=f"pcapprobe {name}", **command.context_settings)
    usage = " ".join(command.collect_usage_pieces(ctx))
    lines = [".SS " + escape(f"pcapprobe {name}"),
             ".B " + escape(f"pcapprobe {name}"), escape(usage), ".PP",
             escape(command.help or "")]
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx) if isinstance(param, click.Option) else None
        if record is None:
            continue
        opts, help_text = record
        lines += [".TP", ".B " + escape(opts), escape(help_text)]
    return lines


def render() -> str:
    """The whole page, in man(7) macros."""
    out = [f'.TH PCAPPROBE 1 "" "pcapprobe {escape(_package_version())}" "User Commands"',
           ".SH NAME", "pcapprobe \\- run DTrace D scripts on packet captures",
           ".SH SYNOPSIS"]
    for name in cli.commands:
        out += [".B " + escape(f"pcapprobe {name}"), escape("..."), ".br"]
    out += [".SH DESCRIPTION", escape(DESCRIPTION.rstrip("\n")),
            ".SH COMMANDS"]
    for name, command in cli.commands.items():
        out += _command(name, command)
    out += [".SH EXIT STATUS", escape(EXIT_STATUS.rstrip("\n")), ".SH EXAMPLES"]
    for text, example in EXAMPLES:
        out += [".PP", escape(text), ".IP", ".nf", escape(example), ".fi"]
    out += [".SH SEE ALSO", escape(SEE_ALSO), ""]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python -m pcapprobe.manpage OUTPUT"
                         "  (man/pcapprobe.1; - for stdout)\n")
        return 2
    page = render()
    if argv[0] == "-":
        sys.stdout.write(page)
    else:
        Path(argv[0]).write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
