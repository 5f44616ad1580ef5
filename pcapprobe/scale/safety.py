"""Whether a compiled D program gives the same output partitioned by flow.

A partitioned run (docs/architecture.md "Scale-out") gives every worker the
packets of some flows; each runs the program's probe clauses on them and the
parent merges aggregations and output.  That is exact only when nothing a
clause does on one flow can be seen by a clause on another flow.  The
analysis here is deliberately conservative: it accepts a program only when
every construct it uses is known to be flow-local, and otherwise names the
first reason (one line on stderr, and the run goes on in one process).

What the static analysis cannot see is checked at run time by the workers
(evictions, drops, sessions and file handle paths shared across partitions:
``pcapprobe.scale.worker``).
"""

from __future__ import annotations

from typing import Any

from pcapprobe.dlang import ast
from pcapprobe.dlang.passes.compile import _children

# Providers whose state lives with a host pair (pcapprobe.scale.partition):
# IP and its fragments, TCP connections and their cids' clocks (run on every
# worker), UDP, ONC RPC (NFS, MOUNT), iSCSI sessions (checked across workers).
FLOW_PROVIDERS = frozenset({"ip", "tcp", "udp", "nfsv3", "nfsv4", "iscsi"})

# Why the other providers are not partitioned (yet).
PROVIDER_REASONS = {
    "profile": "profile probes fire on the clock of the whole capture",
    "fc": "Fibre Channel state (exchanges, --local auto) is not partitioned by I_T nexus",
    "srp": "SRP channels over RDMA are not partitioned by QP pair",
    "io": "io devices are numbered across every flow of a host",
    "scsi": "the scsi provider fires from transports that are not partitioned",
}

# Actions and subroutines whose effect reaches beyond the firing's flow: the
# run's aggregations (printa, trunc, ...), the run itself (exit, setopt),
# speculation buffers, and sequences shared by every firing (rand, strtok).
SHARED_STATE_CALLS = frozenset(
    "exit printa trunc clear normalize denormalize setopt speculation speculate commit "
    "discard rand strtok freopen ftruncate system raise stop panic breakpoint copyout "
    "copyoutstr chill".split())

# Members numbered or learned across flows.
#  cs_cid: connections numbered in the order the whole capture opens them.
CROSS_FLOW_MEMBERS = {
    "cs_cid": "cs_cid numbers the connections of the whole capture",
}
# NFS file handle paths are learned from any flow (MOUNT and LOOKUP on one
# connection, READ on another): partitioned runs check at the end that no
# handle one worker named was resolved by another (worker.PathWatch).
PATH_MEMBERS = frozenset({"noi_curpath", "nci_curpath"})

# D options that keep state across firings.
CROSS_FIRING_OPTIONS = {"flowindent": "-x flowindent indents across every firing"}


def why_unsafe(program: Any) -> str | None:
    """None when ``program`` (an engine ``Program``) may run partitioned by
    flow with the same output; else the reason, for one stderr line."""
    for option, reason in CROSS_FIRING_OPTIONS.items():
        if program.options.get(option):
            return reason
    for enabling in program.all_enablings:
        probe = enabling.probe
        special = probe.provider == "dtrace" and probe.name in ("BEGIN", "END")
        if probe.provider == "dtrace" and probe.name == "END":
            continue  # runs once, on the merged state
        if not special and probe.provider != "dtrace" and probe.provider not in FLOW_PROVIDERS:
            return PROVIDER_REASONS.get(
                probe.provider, f"the {probe.provider} provider is not partitioned by flow")
        reason = _clause_reason(enabling.clause, begin=special)
        if reason is not None:
            return f"{reason} in a clause of {probe.provider}:::{probe.name}"
        if not special:
            for arg, members in enabling.members.items():
                if members is None:
                    return (f"args[{arg}] of {probe.provider}:::{probe.name} is used whole "
                            "(an address of one process)")
                for member in sorted(members):
                    if member in CROSS_FLOW_MEMBERS:
                        return CROSS_FLOW_MEMBERS[member]
    return None


def reads_paths(program: Any) -> bool:
    """Whether a clause reads an NFS path (the workers then watch the path map)."""
    return any(member in PATH_MEMBERS
               for enabling in program.all_enablings
               for members in enabling.members.values() if members
               for member in members)


def _clause_reason(clause: ast.Clause, begin: bool) -> str | None:
    """The first construct of a BEGIN (``begin``) or probe clause that reaches
    beyond one flow, or None."""
    nodes: list[ast.Node] = []
    if clause.predicate is not None:
        nodes.append(clause.predicate)
    nodes.extend(clause.body or ())
    while nodes:
        node = nodes.pop()
        if isinstance(node, ast.AggStmt):
            if begin:
                return "an aggregation in BEGIN (it would be counted once per worker)"
        elif isinstance(node, ast.Call):
            if node.name in ("speculation", "speculate", "commit", "discard"):
                return f"{node.name}()"
            if node.name in SHARED_STATE_CALLS and not begin:
                return f"{node.name}()"
        elif isinstance(node, ast.AggName) and not begin:
            return f"@{node.name} read back"
        elif isinstance(node, ast.Ident) and not begin and _is_arg_n(node.name):
            return f"{node.name} (an address of one process)"
        elif isinstance(node, (ast.Assign, ast.IncDec)) and not begin:
            target = node.target if isinstance(node, ast.Assign) else node.operand
            if _writes_global(target):
                return "a global variable written"
        nodes.extend(_children(node))
    return None


def _is_arg_n(name: str) -> bool:
    return len(name) == 4 and name.startswith("arg") and name[3].isdigit()


def _writes_global(target: ast.Node) -> bool:
    """Whether an assignment target is global storage: a variable, an
    associative array element, a member of either, or memory through a
    pointer (self-> and this-> are a flow's and a firing's own)."""
    node = target
    while True:
        if isinstance(node, ast.VarRef):
            return False
        if isinstance(node, (ast.Index, ast.Member)):
            node = node.base
        elif isinstance(node, ast.Cast):
            node = node.operand
        else:
            return True  # an identifier, or *pointer
