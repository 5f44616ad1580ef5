"""The ``pcapprobe`` command: run, list, events (click).

Every failure is one ``pcapprobe: ...`` line on stderr and an ExitStatus; a
Python traceback means a bug.  Positional arguments of ``run`` are capture files
up to the first that is not one; the rest are the macro arguments $1..$9
(``dtrace -s x.d arg1 arg2``).  An argument is a capture when it is ``-``, names
an existing path (a directory is then an error, not a macro argument), or looks
like a capture path (contains ``/`` or ends in a capture suffix).  A reader
that goes away (``| head``) ends the command quietly with status 0.
"""

from __future__ import annotations

import fnmatch
import functools
import os
from collections.abc import Callable, Sequence
from typing import Any

import click

from pcapprobe import api
from pcapprobe.capture.select import Selection
from pcapprobe.env import Environment
from pcapprobe.errors import PcapProbeError, UsageError, printable
from pcapprobe.events import CountingSink, EventsSink
from pcapprobe.probes import catalog, stability
from pcapprobe.probes.catalog import Probe
from pcapprobe.scale import parse_jobs
from pcapprobe.status import ExitStatus

CONTEXT = {"help_option_names": ["-h", "--help"]}
COUNT_NAME_WIDTH = 14  # list CAPTURE: the NAME column's least width
CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap", ".gz", ".pcap.gz", ".ntar")
LOCAL_HELP = ("Which host the probes run on: 'auto' (the address in the most packets), "
              "'all' (every host; send at the source, receive at the destination) or an "
              "address (repeatable).")


def _selection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """-f, --from, --to: which capture records are read at all (capture/select.py)."""
    for option in reversed((
        click.option("-f", "--filter", "bpf", metavar="EXPR",
                     help="Capture filter in tcpdump syntax (pcap-filter(7)), compiled by "
                          "libpcap: other packets are not read."),
        click.option("--from", "time_from", metavar="TIME",
                     help="Read only packets at or after TIME: epoch seconds, ISO-8601 "
                          "(UTC unless a zone is given) or +OFFSET from the first packet "
                          "(+5s, +1m30s)."),
        click.option("--to", "time_to", metavar="TIME",
                     help="Read only packets before TIME (same forms as --from)."),
    )):
        command = option(command)
    return command


def _env(ctx: click.Context) -> Environment:
    env = ctx.obj.get("env") if isinstance(ctx.obj, dict) else None
    return env if env is not None else Environment()


class PipeClosed(Exception):
    """Standard output's reader went away (``pcapprobe events X | head -1``)."""


def _pipe_safe(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn BrokenPipeError into PipeClosed before click sees it (click would
    exit 1 on EPIPE)."""
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BrokenPipeError:
            raise PipeClosed() from None

    return wrapper


def is_capture_arg(arg: str) -> bool:
    """Whether a positional argument is a capture: ``-``, an existing path, or
    something that looks like a capture path (a missing one is then an error,
    never silently ``$1``)."""
    return (arg == "-" or os.path.exists(arg) or "/" in arg
            or arg.lower().endswith(CAPTURE_SUFFIXES))


def _after_dashes(argv: Sequence[str] | None, args: Sequence[str]) -> int:
    """How many of the positional ``args`` came after ``--`` (all of them
    macro arguments, whatever they look like: ``-- /export/home``)."""
    tokens = list(argv or [])
    if "--" not in tokens:
        return 0
    return min(len(tokens) - tokens.index("--") - 1, len(args))


def _split_positionals(args: Sequence[str], forced: int = 0) -> tuple[list[str], list[str]]:
    """(captures, macro args): captures end at the first argument that is not
    one; the last ``forced`` arguments (after ``--``) are macro arguments."""
    head, tail = list(args[:len(args) - forced]), list(args[len(args) - forced:])
    captures: list[str] = []
    for i, arg in enumerate(head):
        if is_capture_arg(arg):
            captures.append(arg)
        else:
            return captures, head[i:] + tail
    return captures, tail


def _ordered_sources(argv: Sequence[str] | None, scripts: Sequence[str],
                     programs: Sequence[str]) -> list[tuple[str, str]]:
    """-s and -n in command-line order (click keeps each option's own order only)."""
    found: list[tuple[str, str]] = []
    tokens = list(argv or [])
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "--":
            break
        for flag, long, kind in (("-s", "--script", "script"), ("-n", "--program", "program")):
            if tok in (flag, long) and i + 1 < len(tokens):
                found.append((kind, tokens[i + 1]))
                i += 1
            elif tok.startswith(long + "="):
                found.append((kind, tok[len(long) + 1:]))
            elif tok.startswith(flag) and len(tok) > 2 and not tok.startswith("--"):
                found.append((kind, tok[2:]))
        i += 1
    expected = [("script", s) for s in scripts] + [("program", p) for p in programs]
    if sorted(found) == sorted(expected):
        return found
    return expected


def _cpp_args(argv: Sequence[str] | None, defines: Sequence[str], undefs: Sequence[str],
              incdirs: Sequence[str], show_includes: bool) -> list[str]:
    """-D/-U/-I for cpp in command-line order (a -U undoes an earlier -D only)."""
    expected = sorted([f"-D{d}" for d in defines] + [f"-U{u}" for u in undefs] + [f"-I{i}" for i in incdirs])
    found: list[str] = []
    tokens = list(argv or [])
    i = 0
    while i < len(tokens) and tokens[i] != "--":
        tok = tokens[i]
        if tok[:2] in ("-D", "-U", "-I"):
            if len(tok) > 2:
                found.append(tok)
            elif i + 1 < len(tokens):
                found.append(tok + tokens[i + 1])
                i += 1
        i += 1
    ordered = found if sorted(found) == expected else expected
    return ordered + (["-H"] if show_includes else [])


def _parse_x(values: Sequence[str]) -> dict[str, str | bool]:
    opts: dict[str, str | bool] = {}
    for item in values:
        name, eq, value = item.partition("=")
        if not name:
            raise UsageError(f"-x: invalid option '{item}'")
        opts[name] = value if eq else True
    return opts


def _state_size(text: str) -> int:
    from pcapprobe.flows.budget import MIN_STATE_SIZE, format_size, parse_size

    try:
        size = parse_size(text)
    except ValueError as exc:
        raise UsageError(f"--state-size: {exc}") from None
    if size < MIN_STATE_SIZE:
        raise UsageError(f"--state-size: {text} is below the minimum, "
                         f"{format_size(MIN_STATE_SIZE)}")
    return size


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="pcapprobe")
def cli() -> None:
    """Run DTrace D scripts on packet captures (pcap/pcapng)."""


@cli.command("run", context_settings=CONTEXT)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option("-s", "--script", "scripts", multiple=True, metavar="SCRIPT",
              help="D script file to compile and run (repeatable).")
@click.option("-n", "--program", "programs", multiple=True, metavar="PROGRAM",
              help="D program text, like dtrace -n (repeatable).")
@click.option("-q", "quiet", is_flag=True, help="Quiet mode: print only what the program prints.")
@click.option("-Z", "zdefs", is_flag=True, help="Permit probe descriptions that match no probes.")
@click.option("-e", "compile_only", is_flag=True, help="Compile the program and exit.")
@click.option("-x", "xopts", multiple=True, metavar="OPT[=VAL]", help="Set a D option.")
@click.option("-o", "output", metavar="FILE",
              help="Append D output to FILE instead of standard output.")
@click.option("--local", "local", multiple=True, default=("auto",), show_default=True,
              metavar="auto|all|ADDR", help=LOCAL_HELP)
@click.option("--stats", is_flag=True, help="Print per-layer packet counts on stderr.")
@click.option("--nfs-paths", metavar="FILE",
              help="File of 'filehandle path' lines naming NFS files.")
@click.option("--state-size", "state_size", metavar="SIZE",
              help="Memory for protocol state (connections, tasks, paths, fragments), "
                   "like dtrace sizes: 64m, 1g [default: 128m].")
@_selection_options
@click.option("--format", "output_format", type=click.Choice(api.OUTPUT_FORMATS),
              default="text", show_default=True,
              help="D output as dtrace prints it, or as JSON records, one per line "
                   "(bpftrace -f json's shapes).")
@click.option("-C", "cpp", is_flag=True, help="Run the C preprocessor (cpp) on the programs.")
@click.option("-D", "defines", multiple=True, metavar="NAME[=VALUE]", help="cpp: define a macro (with -C).")
@click.option("-U", "undefs", multiple=True, metavar="NAME", help="cpp: undefine a macro (with -C).")
@click.option("-I", "incdirs", multiple=True, metavar="DIR", help="cpp: search DIR for #include files.")
@click.option("-H", "show_includes", is_flag=True, help="cpp: print the name of each included file.")
@click.option("-w", "destructive", is_flag=True, help="Permit destructive actions.")
@click.option("-F", "flowindent", is_flag=True, help="Indent function entry/return output (-x flowindent).")
@click.option("-S", "show_dif", is_flag=True, help="Show the D compiler's intermediate code (none here).")
@click.option("-l", "list_only", is_flag=True, help="List the probes the programs match, like dtrace -l.")
@click.option("--jobs", "jobs", metavar="N",
              help="Workers, each running the flows of one partition, with the same output "
                   "[default: the number of cores, for several captures of 64 MiB "
                   "and more].")
@click.option("--dask", "dask", metavar="tcp://HOST:PORT|local",
              help="Run the partitions on a Dask cluster (pip install 'pcapprobe[dask]'); "
                   "'local' starts one with --jobs workers.")
@click.pass_context
@_pipe_safe
def run_command(ctx: click.Context, args: tuple[str, ...], scripts: tuple[str, ...],
                programs: tuple[str, ...], quiet: bool, zdefs: bool, compile_only: bool,
                xopts: tuple[str, ...], output: str | None, local: tuple[str, ...],
                stats: bool, nfs_paths: str | None, bpf: str | None, time_from: str | None,
                time_to: str | None, output_format: str, cpp: bool, defines: tuple[str, ...],
                undefs: tuple[str, ...], incdirs: tuple[str, ...], show_includes: bool,
                destructive: bool, flowindent: bool, show_dif: bool, list_only: bool,
                state_size: str | None, jobs: str | None, dask: str | None) -> None:
    """Run D SCRIPTs/PROGRAMs over CAPTURE files; trailing ARGS become $1..$9."""
    env = _env(ctx)
    if show_dif:
        raise UsageError("-S: there is no D intermediate code to show (D is compiled to Python)")
    argv = ctx.obj.get("argv") if isinstance(ctx.obj, dict) else None
    captures, macro_args = _split_positionals(args, _after_dashes(argv, args))
    dopts = _parse_x(xopts)
    jobs_unsafe = bool(dopts.pop("jobs_unsafe", False))  # pcapprobe's, not a D option
    if quiet:
        dopts["quiet"] = True
    if zdefs:
        dopts["zdefs"] = True
    if destructive:
        dopts["destructive"] = True
    if flowindent:
        dopts["flowindent"] = True
    options: dict[str, Any] = {}
    if nfs_paths:
        options["nfs_paths"] = nfs_paths
    if state_size is not None:
        options["state_size"] = _state_size(state_size)
    request = api.RunRequest(captures, _ordered_sources(argv, scripts, programs), macro_args,
                             dopts, list(local), compile_only, stats, options,
                             Selection(bpf, time_from, time_to), output_format, interruptible=True,
                             cpp=cpp, cpp_args=_cpp_args(argv, defines, undefs, incdirs, show_includes),
                             jobs=parse_jobs(jobs), dask=dask, jobs_unsafe=jobs_unsafe)
    if list_only:
        if not request.sources:
            ctx.exit(ctx.invoke(list_command, captures=(), provider=None, description=None,
                                verbose=False, local=("auto",)))
        _write_probes(env, api.matched_probes(request, env), None, False)
        ctx.exit(ExitStatus.SUCCESS)
    if output is None:
        ctx.exit(api.execute(request, env).status)
    try:
        out = open(output, "a", encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise PcapProbeError(f"failed to open output file '{output}': {exc.strerror}") from None
    with out:
        status = api.execute(request, Environment(out, env.stderr, env.stdin, env.show_progress)).status
    ctx.exit(status)


def _matches(probe: Probe, description: str) -> bool:
    """dtrace -n matching: missing leading fields match anything; globs allowed."""
    want = description.split(":")
    have = [probe.provider, probe.module, probe.function, probe.name][-len(want):]
    return all(not w or fnmatch.fnmatchcase(h, w) for h, w in zip(have, want))


def _list_probes(provider: str | None, description: str | None) -> list[Probe]:
    probes = _numbered()
    if provider:
        probes = [p for p in probes if fnmatch.fnmatchcase(p.provider, provider)]
    if description:
        probes = [p for p in probes if _matches(p, description)]
    return probes


def _numbered() -> list[Probe]:
    from pcapprobe.dlang.passes.probes import numbered_probes  # the engine's probe IDs

    return numbered_probes()


@cli.command("list", context_settings=CONTEXT)
@click.argument("captures", nargs=-1)
@click.option("-P", "provider", metavar="PROVIDER", help="Only this provider's probes.")
@click.option("-n", "description", metavar="PROBE", help="Only probes matching this description.")
@click.option("-v", "verbose", is_flag=True, help="Also print each probe's argument types.")
@click.option("--local", "local", multiple=True, default=("auto",), show_default=True,
              metavar="auto|all|ADDR", help=LOCAL_HELP)
@_selection_options
@click.pass_context
@_pipe_safe
def list_command(ctx: click.Context, captures: tuple[str, ...], provider: str | None,
                 description: str | None, verbose: bool, local: tuple[str, ...],
                 bpf: str | None, time_from: str | None, time_to: str | None) -> None:
    """List probes like dtrace -l; with CAPTURE files, how often each fires."""
    env = _env(ctx)
    probes = _list_probes(provider, description)
    if not probes:
        what = description or provider or "*"
        env.stderr.write(f"pcapprobe: failed to match {what}: No probe matches description\n")
        ctx.exit(ExitStatus.ERROR)
    counts = None
    if captures:
        sink = CountingSink()
        api.decode_captures(captures, sink, env, local,
                            selection=Selection(bpf, time_from, time_to))
        counts = sink.counts
    _write_probes(env, probes, counts, verbose)


def _write_probes(env: Environment, probes: Sequence[Probe], counts: dict[str, int] | None,
                  verbose: bool) -> None:
    """dtrace -l's table (with -v, each probe's argument types)."""
    # with counts, NAME is as wide as the longest name listed, so COUNT lines up
    width = max([COUNT_NAME_WIDTH] + [len(p.name) for p in probes]) if counts is not None else 0
    head = f"{'ID':>5} {'PROVIDER':>10} {'MODULE':>17} {'FUNCTION':>33} {'NAME':<{width}}"
    env.stdout.write(head + ("" if counts is None else f" {'COUNT':>10}") + "\n")
    listed = set(probes)
    for number, probe in enumerate(_numbered(), 1):
        if probe not in listed:
            continue
        line = (f"{number:>5} {probe.provider:>10} {probe.module:>17} {probe.function:>33} "
                f"{probe.name:<{width}}")
        if counts is not None:
            line += f" {counts.get(probe.fullname, 0):>10}"
        env.stdout.write(line + "\n")
        if verbose:
            if probe.extension:
                env.stdout.write("\n\tpcapprobe extension (not a Solaris probe)\n")
            described, arguments = stability.probe_attributes(probe)
            env.stdout.write(stability.attribute_block("Probe Description Attributes", described))
            env.stdout.write(stability.attribute_block("Argument Attributes", arguments))
            env.stdout.write("\n\tArgument Types\n")
            for i, ctype in enumerate(probe.args):
                env.stdout.write(f"\t\targs[{i}]: {ctype}\n")
            env.stdout.write("" if probe.args else "\t\tNone\n")
            env.stdout.write("\n")


@cli.command("events", context_settings=CONTEXT)
@click.argument("captures", nargs=-1, required=True)
@click.option("-P", "providers", multiple=True, metavar="PROVIDER",
              help="Only this provider's firings (repeatable).")
@click.option("-n", "descriptions", multiple=True, metavar="PROBE",
              help="Only firings of probes matching this description, as list -n "
                   "(repeatable).")
@click.option("--local", "local", multiple=True, default=("auto",), show_default=True,
              metavar="auto|all|ADDR", help=LOCAL_HELP)
@_selection_options
@click.pass_context
@_pipe_safe
def events_command(ctx: click.Context, captures: tuple[str, ...], providers: tuple[str, ...],
                   descriptions: tuple[str, ...], local: tuple[str, ...], bpf: str | None,
                   time_from: str | None, time_to: str | None) -> None:
    """Every probe firing as one JSON object per line (README: events JSON schema)."""
    env = _env(ctx)
    known = {p.provider for p in catalog.all_probes()}
    unknown = [p for p in providers if p not in known]
    if unknown:
        raise UsageError(f"unknown provider '{unknown[0]}' (known: {', '.join(sorted(known))})")
    for description in descriptions:
        if not _list_probes(None, description):
            env.stderr.write(f"pcapprobe: failed to match {description}: "
                             "No probe matches description\n")
            ctx.exit(ExitStatus.ERROR)

    def selected(probe: Probe) -> bool:
        return any(_matches(probe, d) for d in descriptions)

    sink = EventsSink(env.stdout, providers, selected if descriptions else None)
    api.decode_captures(captures, sink, env, local, selection=Selection(bpf, time_from, time_to),
                        watch=sink.watch)


def _silence_stdout() -> None:
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    """Entry point: run the CLI and return its exit status (never a traceback
    for bad input or usage)."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if env is None and hasattr(sys.stderr, "reconfigure"):
        # D errors quote raw bytes as dtrace does (dlang.lexer.first_byte),
        # and D output writes wire bytes that are not UTF-8 as themselves
        # (decoded with surrogateescape, dlang.runtime.trace.utf8_bytes).
        sys.stderr.reconfigure(errors="surrogateescape")
        if hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(errors="surrogateescape")
    env = env or Environment()
    if not args:
        # no command at all: the help on stderr, status 2, as dtrace prints its usage
        with click.Context(cli, info_name="pcapprobe") as ctx:
            env.stderr.write(ctx.get_help() + "\n")
        return ExitStatus.USAGE
    try:
        status = cli.main(args=args, prog_name="pcapprobe", standalone_mode=False,
                          obj={"env": env, "argv": args})
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.UsageError as exc:
        env.stderr.write(f"pcapprobe: {printable(exc.format_message())}\n")
        return ExitStatus.USAGE
    except click.ClickException as exc:
        env.stderr.write(f"pcapprobe: {printable(exc.format_message())}\n")
        return ExitStatus.ERROR
    except click.Abort:
        return ExitStatus.ERROR
    except UsageError as exc:
        env.stderr.write(f"pcapprobe: {printable(str(exc))}\n")
        return ExitStatus.USAGE
    except PcapProbeError as exc:
        env.stderr.write(f"pcapprobe: {printable(str(exc))}\n")
        return ExitStatus.ERROR
    except (PipeClosed, BrokenPipeError):
        # like a tool killed by SIGPIPE, but status 0 and no message; the
        # interpreter's final flush of the dead pipe must not complain either
        if env.stdout is sys.stdout:
            _silence_stdout()
        return ExitStatus.SUCCESS
    except OSError as exc:
        # Every read of an input is reported where it happens (a capture,
        # a script, --nfs-paths): what escapes is the output failing (a
        # full disk, a closed descriptor).
        if env.stdout is sys.stdout:
            _silence_stdout()
        env.stderr.write(f"pcapprobe: failed to write output: "
                         f"{printable(exc.strerror or str(exc))}\n")
        return ExitStatus.ERROR
    except KeyboardInterrupt:
        return ExitStatus.ERROR
    # without standalone mode click returns ctx.exit()'s code instead of raising
    return int(status) if isinstance(status, int) else ExitStatus.SUCCESS
