"""The order of a clause's speculation actions, checked as libdtrace checks
it (dt_cc.c dt_stmt_append): speculate() first and once, then data; no
aggregation and no exit() after it; commit() once, before any data or
aggregation, and nothing recording data after it.

dtrace checks the clause's whole action list each time it appends a
statement, so the error reported is at the first statement that makes the
list wrong, with the first rule the list breaks there; one forward pass
finds the same.  Actions are what the statements record: an aggregation,
speculate(), commit(), discard() (which records nothing), and the other
actions (printf(), trace(), exit(), normalize() ...), which record data;
an expression statement (an assignment, a subroutine call) records nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pcapprobe.dlang import ast
from pcapprobe.dlang.diagnostics import (
    D_AGG_COMM,
    D_AGG_SPEC,
    D_COMM_COMM,
    D_COMM_DREC,
    D_DREC_COMM,
    D_EXIT_SPEC,
    D_SPEC_COMM,
    D_SPEC_DREC,
    D_SPEC_SPEC,
    DCompileError,
)

Fail = Callable[[str, str, ast.Node], DCompileError]


def action_kind(statement: ast.Node, actions: frozenset[str]) -> str | None:
    """"agg", "speculate", "commit", "discard", "exit", "data", or None for a
    statement that records nothing."""
    if isinstance(statement, ast.AggStmt):
        return "agg"
    if isinstance(statement, ast.ExprStmt) and isinstance(statement.expr, ast.Call):
        name = statement.expr.name
        if name in ("speculate", "commit", "discard", "exit"):
            return name
        if name in actions:
            return "data"
    return None


def check_order(body: Sequence[ast.Node], actions: frozenset[str], fail: Fail) -> None:
    """Raise dtrace's error for the first statement out of order."""
    commit = speculate = datarec = False
    for statement in body:
        kind = action_kind(statement, actions)
        if kind is None:
            continue
        if kind == "agg" and commit:
            # found from the commit() by its look-ahead, before anything else
            raise fail(D_AGG_COMM, "aggregating actions may not follow commit( )", statement)
        if kind == "commit":
            if commit:
                raise fail(D_COMM_COMM, "commit( ) may not follow commit( )", statement)
            if datarec:
                raise fail(D_COMM_DREC, "commit( ) may not follow data-recording action(s)", statement)
            commit = True
        elif kind == "speculate":
            if speculate:
                raise fail(D_SPEC_SPEC, "speculate( ) may not follow speculate( )", statement)
            if commit:
                raise fail(D_SPEC_COMM, "speculate( ) may not follow commit( )", statement)
            if datarec:
                raise fail(D_SPEC_DREC, "speculate( ) may not follow data-recording action(s)", statement)
            speculate = True
        elif kind == "agg":
            if speculate:
                raise fail(D_AGG_SPEC, "aggregating actions may not follow speculate( )", statement)
            datarec = True
        elif kind != "discard":
            if speculate and kind == "exit":
                raise fail(D_EXIT_SPEC, "exit( ) may not follow speculate( )", statement)
            if commit:
                raise fail(D_DREC_COMM, "data-recording actions may not follow commit( )", statement)
            if not speculate:
                datarec = True
