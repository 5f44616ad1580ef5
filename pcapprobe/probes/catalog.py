"""The probe catalog: every provider, probe and argument struct, declared once.

Structs are declared as C text copied from the provider documents (the seeds are
the specification), parsed here once at import time.  The catalog is the single
source for the D engine's type checks, for ``pcapprobe list`` and for the
README's provider tables.

Runtime convention for argument values (what translators hand the engine):
integer types are Python ``int``; ``string`` is ``str``; a pointer to a struct
is any object whose attributes carry the member names (``None`` for NULL), so a
translator may compute members lazily with properties; ``uint8_t *`` arrays are
``bytes``; nested (non-pointer) struct members are objects too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

# D integer types: name -> (size in bytes, signed).
INTEGER_TYPES: dict[str, tuple[int, bool]] = {
    "char": (1, True),
    "signed char": (1, True),
    "unsigned char": (1, False),
    "short": (2, True),
    "unsigned short": (2, False),
    "int": (4, True),
    "unsigned": (4, False),
    "unsigned int": (4, False),
    "long": (8, True),
    "unsigned long": (8, False),
    "long long": (8, True),
    "unsigned long long": (8, False),
    "int8_t": (1, True),
    "int16_t": (2, True),
    "int32_t": (4, True),
    "int64_t": (8, True),
    "uint8_t": (1, False),
    "uint16_t": (2, False),
    "uint32_t": (4, False),
    "uint64_t": (8, False),
    "uintptr_t": (8, False),
    "intptr_t": (8, True),
    "size_t": (8, False),
    "ssize_t": (8, True),
    "off_t": (8, True),
    "offset_t": (8, True),
    "uint_t": (4, False),
    "bool_t": (4, True),
    "offset3": (8, False),
    "count3": (4, False),
    "uid_t": (4, False),
    "gid_t": (4, False),
    "ipaddr_t": (4, False),
    "netstackid_t": (4, True),
    "hrtime_t": (8, True),
    "dev_t": (8, False),
    "caddr_t": (8, False),
    "boolean_t": (4, True),
    "pid_t": (4, True),
    "zoneid_t": (4, True),
}


@dataclass(frozen=True, slots=True)
class CType:
    """A parsed D type: a base name, pointer depth and optional array length."""

    base: str
    pointers: int = 0
    array: int | None = None

    @property
    def is_string(self) -> bool:
        return self.base == "string" and self.pointers == 0 and self.array is None

    @property
    def is_integer(self) -> bool:
        return self.base in INTEGER_TYPES and self.pointers == 0 and self.array is None

    @property
    def is_struct(self) -> bool:
        return self.base in STRUCTS

    def __str__(self) -> str:
        text = self.base + (" " + "*" * self.pointers if self.pointers else "")
        return text + (f"[{self.array}]" if self.array is not None else "")


@dataclass(frozen=True, slots=True)
class Member:
    """One struct member: its name, type and the document's comment."""

    name: str
    ctype: CType
    doc: str = ""


@dataclass(slots=True)
class StructType:
    """A struct or union declared in a provider document."""

    name: str
    members: dict[str, Member] = field(default_factory=dict)
    union: bool = False
    doc: str = ""

    def member(self, name: str) -> Member | None:
        return self.members.get(name)


@dataclass(frozen=True, slots=True)
class Probe:
    """One probe: its four-part name and the types of args[0..n]."""

    provider: str
    module: str
    function: str
    name: str
    args: tuple[CType, ...]
    doc: str = ""
    extension: bool = False  # pcapprobe's own: the provider's document has no such probe

    @property
    def fullname(self) -> str:
        return f"{self.provider}:{self.module}:{self.function}:{self.name}"


STRUCTS: dict[str, StructType] = {}
PROVIDERS: dict[str, dict[str, Probe]] = {}

_TYPE_RE = re.compile(r"^\s*(?P<base>[A-Za-z_][\w ]*?)\s*(?P<stars>\**)\s*$")
_MEMBER_RE = re.compile(
    r"(?P<type>[A-Za-z_][\w ]*?[\s*]+)(?P<name>[A-Za-z_]\w*)\s*(\[(?P<n>\d+)\])?\s*;"
    r"[ \t]*(/\*(?P<doc>.*?)\*/)?",
    re.S,
)
_BLOCK_RE = re.compile(
    r"typedef\s+(?P<kind>struct|union)\s+\w*\s*\{(?P<body>.*?)\}\s*(?P<name>\w+)\s*;",
    re.S,
)


def parse_type(text: str) -> CType:
    """Parse a type name such as ``uint8_t *`` or ``conninfo_t *``."""
    match = _TYPE_RE.match(text)
    if match is None:
        raise ValueError(f"bad type {text!r}")
    base = " ".join(match["base"].split())
    return CType(base, len(match["stars"]))


def declare(text: str) -> list[StructType]:
    """Declare every ``typedef struct/union {...} name;`` block in C text.

    Member comments are kept as documentation; nested blocks must be declared
    before the blocks that use them.
    """
    declared = []
    for block in _BLOCK_RE.finditer(text):
        struct = StructType(block["name"], union=block["kind"] == "union")
        for m in _MEMBER_RE.finditer(block["body"]):
            ctype = parse_type(m["type"])
            if m["n"] is not None:
                ctype = CType(ctype.base, ctype.pointers, int(m["n"]))
            doc = " ".join((m["doc"] or "").split())
            struct.members[m["name"]] = Member(m["name"], ctype, doc)
        if block["name"] in STRUCTS:
            raise ValueError(f"struct {block['name']} declared twice")
        STRUCTS[block["name"]] = struct
        declared.append(struct)
    if not declared:
        raise ValueError("no typedef block found")
    return declared


def provider(
    name: str, probes: Iterable[tuple[str, str, str, str]], doc: str = "",
    extension: bool = False,
) -> dict[str, Probe]:
    """Declare a provider's probes as (module, function, name, "type, type, ...");
    ``extension``: probes pcapprobe adds to the provider's document."""
    table = PROVIDERS.setdefault(name, {})
    for module, function, probe_name, args in probes:
        ctypes = tuple(parse_type(a) for a in args.split(",") if a.strip())
        for ctype in ctypes:
            if ctype.base not in STRUCTS and ctype.base not in INTEGER_TYPES and ctype.base not in ("string", "void"):
                raise ValueError(f"{name}:::{probe_name}: unknown type {ctype}")
        table[probe_name] = Probe(name, module, function, probe_name, ctypes, doc, extension)
    return table


def all_probes() -> list[Probe]:
    """Every declared probe, in declaration order, pcapprobe's extensions last
    (so the documented probes keep their IDs)."""
    load()
    probes = [p for table in PROVIDERS.values() for p in table.values()]
    return [p for p in probes if not p.extension] + [p for p in probes if p.extension]


def load() -> None:
    """Import every provider's declarations (explicit list, no magic)."""
    from pcapprobe.probes import declarations  # noqa: F401
