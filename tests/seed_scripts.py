"""The seed D scripts and one-liners of ../shared/seed-scripts, split into clauses.

A deliberately small scanner, independent of the D engine, so the catalog can
be checked against what the seed scripts use before (and apart from) the
engine: each clause's probe descriptions, and every ``args[N]->m.m[i]`` chain
and ``argN`` in its predicate and body.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import SEED_SCRIPTS

# Providers the D engine itself supplies (not the catalog's).
ENGINE_PROVIDERS = frozenset({"dtrace", "profile"})
ENGINE_PROBES = frozenset({"BEGIN", "END", "ERROR"})

_CHAIN_RE = re.compile(
    r"\bargs\s*\[\s*(\d+)\s*\]((?:\s*(?:->|\.)\s*\w+|\s*\[[^\]]*\])*)")
_STEP_RE = re.compile(r"\s*(->|\.)\s*(\w+)|\s*\[[^\]]*\]")
_ARGN_RE = re.compile(r"\barg(\d)\b")


@dataclass(frozen=True)
class Chain:
    """``args[index]`` followed by steps: ("->", m), (".", m) or ("[]", "")."""

    index: int
    steps: tuple[tuple[str, str], ...]
    text: str


@dataclass(frozen=True)
class Clause:
    """One probe clause: its descriptions and the chains it reads."""

    descriptions: tuple[str, ...]
    chains: tuple[Chain, ...]
    argn: tuple[int, ...]


@dataclass(frozen=True)
class SeedProgram:
    """A seed script file or one ONE-LINERS.txt line."""

    name: str
    provider: str
    text: str
    kind: str  # "script" (-s) or "program" (-n)


def seed_programs() -> list[SeedProgram]:
    """Every seed script and one-liner (empty when ../shared is absent)."""
    if not SEED_SCRIPTS.is_dir():
        return []
    found = [
        SeedProgram(f"{p.parent.name}/{p.name}", p.parent.name, p.read_text(), "script")
        for p in sorted(SEED_SCRIPTS.glob("*/*.d"))
    ]
    liners = SEED_SCRIPTS / "ONE-LINERS.txt"
    for number, line in enumerate(liners.read_text().splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            provider = re.split(r"[:*]", line.strip(), maxsplit=1)[0]
            name = f"ONE-LINERS.txt:{number}"
            found.append(SeedProgram(name, provider, line, "program"))
    return found


def _strip_comments(text: str) -> str:
    def blank(m: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", m.group())

    text = re.sub(r"/\*.*?\*/", blank, text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def _matching(text: str, start: int, open_: str, close: str) -> int:
    """Index just past the bracket closing the one at ``start`` (strings skipped)."""
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c == '"':
            i += 1
            while i < len(text) and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced brackets")


def clauses(text: str) -> list[Clause]:
    """Split a D program into its probe clauses."""
    text = _strip_comments(text).replace("\\\n", " ")
    text = "\n".join("" if line.lstrip().startswith("#") else line
                     for line in text.splitlines())
    found: list[Clause] = []
    i = 0
    while i < len(text):
        if text[i].isspace() or text[i] == ";":
            i += 1
            continue
        brace = text.find("{", i)
        semicolon = text.find(";", i)
        if semicolon != -1 and (brace == -1 or semicolon < brace):
            i = semicolon + 1  # a declaration: inline, global variable
            continue
        header = text[i:brace]
        end = _matching(text, brace, "{", "}")
        descriptions, _, predicate = header.partition("/")
        body = predicate + text[brace:end]
        chains = tuple(
            Chain(
                int(m[1]),
                tuple(
                    (s[1], s[2]) if s[1] else ("[]", "")
                    for s in _STEP_RE.finditer(m[2])
                ),
                m[0],
            )
            for m in _CHAIN_RE.finditer(body)
        )
        argn = tuple(int(m[1]) for m in _ARGN_RE.finditer(body))
        descs = tuple(d.strip() for d in descriptions.split(",") if d.strip())
        found.append(Clause(descs, chains, argn))
        i = end
    return found


def split_description(desc: str) -> tuple[str, str, str, str]:
    """``name``, ``func:name``... right-aligned into provider:module:function:name."""
    parts = desc.split(":")
    if len(parts) > 4:
        raise ValueError(f"bad probe description {desc!r}")
    return tuple([""] * (4 - len(parts)) + parts)  # type: ignore[return-value]


def matches(desc: str, provider: str, module: str, function: str, name: str) -> bool:
    """DTrace's glob match of a description against one probe (empty = any)."""
    want = split_description(desc)
    have = (provider, module, function, name)
    return all(not w or fnmatch.fnmatchcase(h, w)
               for w, h in zip(want, have, strict=True))


def is_engine_description(desc: str) -> bool:
    """BEGIN/END/ERROR and profile:::tick-N and the like: not catalog probes."""
    prov, _, _, name = split_description(desc)
    return prov in ENGINE_PROVIDERS or (not prov and name in ENGINE_PROBES)


def program_path(program: SeedProgram) -> Path:
    """The file a seed program comes from."""
    return SEED_SCRIPTS / program.name.split(":")[0]
