"""The probe catalog against the seed documents and the seed D scripts.

Every type a probe or struct names is declared; every probe the seed documents
name is declared (and nothing else); the structs of the fc, srp, nfsv4 and io
providers have the members and types the documents print; and every
``args[N]->member`` chain in every seed script and one-liner resolves in the
struct of each probe its clause names.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pcapprobe.probes import catalog, constants
from pcapprobe.probes.catalog import CType
from tests import seed_scripts
from tests.conftest import ROOT, SHARED

catalog.load()

SEEDS = SHARED / "seeds"
DECLARATIONS = ROOT / "pcapprobe" / "probes" / "declarations"
ALL_PROVIDERS = ("ip", "tcp", "udp", "iscsi", "nfsv3", "nfsv4", "fc", "srp", "io")

# Where a misprint in the seed documents was repaired (see each module's
# docstring): printed name -> declared name (None: deliberately not declared).
PROBE_ERRATA: dict[str, dict[str, str | None]] = {
    "nfsv3": {"op-mknod-done-": "op-mknod-done", "op-renamestart": "op-rename-start"},
    "nfsv4": {
        "op-remove-don": "op-remove-done",
    },
}

# Structs whose seed text this area owns or shares, checked member by member.
CHECKED_STRUCTS = (
    "conninfo_t",
    "scsicmd_t",
    "xferinfo_t",
    "nfsv4opinfo_t",
    "nfsv4cbinfo_t",
    "fc_port_info_t",
    "fc_xferinfo_t",
    "srp_portinfo_t",
    "srp_logininfo_t",
    "srp_taskinfo_t",
    "bufinfo_t",
    "devinfo_t",
    "fileinfo_t",
)
# (struct, member) -> why the declaration differs from one printing of it.
MEMBER_ERRATA = {
    ("xferinfo_t", "xfer_type"): "srp prints uint8_t, iscsi uint32_t: one shared type",
}

# Providers whose declarations need another module's structs first.
DEPENDS_ON = {"fc": "scsi", "srp": "scsi", "iscsi": "scsi"}

# Types declared by another provider's module, for a clear skip meanwhile.
DECLARED_BY = {"cred_t": "nfsv3", "scsicmd_t": "scsi", "xferinfo_t": "scsi"}


def require_provider(name: str) -> None:
    """Skip until the provider's declarations exist; fail if they exist unloaded."""
    if name in catalog.PROVIDERS:
        return
    needs = DEPENDS_ON.get(name)
    if needs and not (DECLARATIONS / f"{needs}.py").exists():
        pytest.skip(f"the {name} provider waits for declarations/{needs}.py")
    if (DECLARATIONS / f"{name}.py").exists():
        pytest.fail(f"declarations/{name}.py exists but declarations/__init__.py "
                    f"does not import it")
    pytest.skip(f"the {name} provider's declarations (declarations/{name}.py) "
                f"are not written yet")


def require_seeds() -> None:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is absent: conformance needs the shared folder")


def known(ctype: CType) -> bool:
    return (ctype.base in catalog.STRUCTS or ctype.base in catalog.INTEGER_TYPES
            or ctype.base in ("string", "void"))


def test_every_probe_argument_type_is_declared() -> None:
    for probe in catalog.all_probes():
        for i, ctype in enumerate(probe.args):
            assert known(ctype), f"{probe.fullname} args[{i}]: {ctype}"


def test_every_struct_member_type_is_declared() -> None:
    missing = {
        f"{struct.name}.{member.name}: {member.ctype}": member.ctype.base
        for struct in catalog.STRUCTS.values()
        for member in struct.members.values()
        if not known(member.ctype)
    }
    pending = {where: base for where, base in missing.items()
               if base in DECLARED_BY
               and not (DECLARATIONS / f"{DECLARED_BY[base]}.py").exists()}
    assert sorted(set(missing) - set(pending)) == []
    if pending:
        waiting = {f"{b} (declarations/{DECLARED_BY[b]}.py)" for b in pending.values()}
        pytest.skip("waiting for " + ", ".join(sorted(waiting)))


def test_struct_arguments_are_pointers() -> None:
    for probe in catalog.all_probes():
        for i, ctype in enumerate(probe.args):
            if ctype.is_struct:
                assert ctype.pointers == 1, f"{probe.fullname} args[{i}] is {ctype}"


def test_catalog_rejects_duplicates_and_unknown_types() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        catalog.declare("typedef struct x { int a; } bufinfo_t;")
    with pytest.raises(ValueError, match="unknown type"):
        catalog.provider("nosuch", [("m", "f", "p", "conninfo_t *, nosuch_t *")])
    catalog.PROVIDERS.pop("nosuch", None)


def _seed_text() -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(SEEDS.glob("*.txt")))


def _documented_probes(provider: str) -> set[str]:
    # Some listings run probe names together ("iscsi:::scsi-commandiscsi:::...").
    text = re.sub(rf"(?<=[a-z])(?={provider}\*?:::)", " ", _seed_text())
    names = set()
    for m in re.finditer(rf"\b{provider}\*?:::([a-z][a-z0-9-]*)(\*?)", text):
        if not m[2]:
            names.add(m[1])
    return names


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
def test_catalog_declares_exactly_the_documented_probes(provider: str) -> None:
    require_seeds()
    require_provider(provider)
    errata = PROBE_ERRATA.get(provider, {})
    documented = {errata.get(n, n) for n in _documented_probes(provider)} - {None}
    # pcapprobe's extensions are not in the documents (and marked so)
    declared = {name for name, probe in catalog.PROVIDERS[provider].items()
                if not probe.extension}
    assert sorted(documented - declared) == [], "documented but not declared"
    # Some tables list bare names (tcp's "connect-request"): any mention counts.
    text = _seed_text()
    corrected = {v for v in errata.values() if v}
    undocumented = [n for n in sorted(declared - documented - corrected)
                    if not re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text)]
    assert undocumented == [], "declared but not in the documents"


def _documented_structs() -> list[tuple[str, dict[str, str]]]:
    found = []
    for block in catalog._BLOCK_RE.finditer(_seed_text()):
        members = {}
        for m in catalog._MEMBER_RE.finditer(block["body"]):
            ctype = catalog.parse_type(m["type"])
            if m["n"] is not None:
                ctype = CType(ctype.base, ctype.pointers, int(m["n"]))
            members[m["name"]] = str(ctype)
        found.append((block["name"], members))
    return found


@pytest.mark.parametrize("name", CHECKED_STRUCTS)
def test_struct_has_the_documented_members(name: str) -> None:
    require_seeds()
    printings = [members for block, members in _documented_structs() if block == name]
    assert printings, f"{name} is not printed in the seed documents"
    if name not in catalog.STRUCTS:
        pytest.skip(f"{name} is not declared yet")
    struct = catalog.STRUCTS[name]
    for members in printings:
        for member, ctype in members.items():
            if (name, member) in MEMBER_ERRATA:
                continue
            assert member in struct.members, f"{name}.{member} missing"
            assert str(struct.members[member].ctype) == ctype, f"{name}.{member}"


def test_struct_members_carry_the_documents_comments() -> None:
    for name in CHECKED_STRUCTS:
        struct = catalog.STRUCTS.get(name)
        for member in struct.members.values() if struct else ():
            assert member.doc, f"{name}.{member.name} has no doc comment"


def test_io_flag_inlines() -> None:
    assert constants.B_FLAGS["B_READ"] == constants.B_READ == 0x40
    assert constants.B_FLAGS["B_WRITE"] == constants.B_WRITE == 0x100
    flags = list(constants.B_FLAGS.values())
    assert all(f & (f - 1) == 0 for f in flags) and len(set(flags)) == len(flags)
    # Every flag the io document describes.
    assert {"B_DONE", "B_ERROR", "B_PAGEIO", "B_PHYS", "B_READ", "B_WRITE",
            "B_ASYNC"} <= set(constants.B_FLAGS)


def test_nfsv4_probe_shapes() -> None:
    require_provider("nfsv4")
    nfsv4 = catalog.PROVIDERS["nfsv4"]
    assert [str(a) for a in nfsv4["op-read-done"].args] == [
        "conninfo_t *", "nfsv4opinfo_t *", "READ4res *"]
    assert len(nfsv4["op-restorefh-start"].args) == 2
    assert str(nfsv4["cb-recall-start"].args[1]) == "nfsv4cbinfo_t *"
    assert str(nfsv4["op-open-downgrade-done"].args[2]) == "OPEN_DOWNGRADE4res *"


def test_fc_and_io_probe_shapes() -> None:
    require_provider("io")
    io_args = ["bufinfo_t *", "devinfo_t *", "fileinfo_t *"]
    assert all([str(a) for a in p.args] == io_args
               for p in catalog.PROVIDERS["io"].values())
    require_provider("fc")
    fc = catalog.PROVIDERS["fc"]
    assert str(fc["xfer-start"].args[4]) == "fc_xferinfo_t *"
    assert str(fc["rport-login-end"].args[3]) == "int"
    assert str(fc["rscn-receive"].args[2]) == "int"
    assert len(fc["link-up"].args) == 1


# --- the seed scripts -------------------------------------------------------

PROGRAMS = seed_scripts.seed_programs()


def _resolve(probe: catalog.Probe, chain: seed_scripts.Chain) -> str | None:
    """None if the chain type-checks on this probe, else what is wrong."""
    if chain.index >= len(probe.args):
        return f"{probe.fullname} has no args[{chain.index}]"
    ctype = probe.args[chain.index]
    for op, member in chain.steps:
        if op == "[]":
            if ctype.pointers == 0 and ctype.array is None:
                return f"{ctype} is not indexable"
            ctype = CType(ctype.base, max(ctype.pointers - (ctype.array is None), 0))
            continue
        struct = catalog.STRUCTS.get(ctype.base)
        want_pointers = 1 if op == "->" else 0
        if struct is None or ctype.pointers != want_pointers or ctype.array is not None:
            return f"{op}{member} applied to {ctype}"
        if member not in struct.members:
            return f"{struct.name} has no member {member}"
        ctype = struct.members[member].ctype
    return None


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_seed_program_uses_only_declared_probes_and_members(
        program: seed_scripts.SeedProgram) -> None:
    require_provider(program.provider)
    probes = catalog.all_probes()
    checked = 0
    for clause in seed_scripts.clauses(program.text):
        matched = []
        for desc in clause.descriptions:
            if seed_scripts.is_engine_description(desc):
                continue
            hits = [p for p in probes if seed_scripts.matches(
                desc, p.provider, p.module, p.function, p.name)]
            prov = seed_scripts.split_description(desc)[0]
            if prov.startswith(("http", "cifs")):
                # The README's -Z example: providers that do not exist.
                assert hits == [], desc
                continue
            assert hits, f"{desc} matches no probe"
            matched += hits
        for probe in matched:
            for chain in clause.chains:
                problem = _resolve(probe, chain)
                assert problem is None, f"{chain.text} on {probe.fullname}: {problem}"
                checked += 1
            for n in clause.argn:
                assert n < len(probe.args), f"arg{n} on {probe.fullname}"
    if any(c.chains for c in seed_scripts.clauses(program.text)):
        assert checked, "no args[] chain was checked"


def test_seed_scripts_are_present_or_skip() -> None:
    if not seed_scripts.SEED_SCRIPTS.is_dir():
        pytest.skip("../shared/seed-scripts is absent")
    providers = {p.provider for p in PROGRAMS}
    assert providers <= set(ALL_PROVIDERS)
    assert len(PROGRAMS) >= 40


def test_scanner_on_a_known_program() -> None:
    text = ('#pragma D option quiet\ninline int N = 1;\n/* args[9]->x */\n'
            'srp:::scsi-command, fc:::xfer-start\n'
            '/scsiop[args[2]->ic_cdb[0]] != NULL/\n'
            '{ printf("%s}", args[0]->ci_remote); @[arg2] = sum(args[4]->fcx_len); };\n'
            'END { trace("{"); }')
    found = seed_scripts.clauses(text)
    assert [c.descriptions for c in found] == [
        ("srp:::scsi-command", "fc:::xfer-start"), ("END",)]
    assert [c.text for c in found[0].chains] == [
        "args[2]->ic_cdb[0]", "args[0]->ci_remote", "args[4]->fcx_len"]
    assert found[0].chains[0].steps == (("->", "ic_cdb"), ("[]", ""))
    assert found[0].argn == (2,)
    assert seed_scripts.matches("iscsi*:::", "iscsi", "m", "f", "x")
    assert seed_scripts.matches("BEGIN", "dtrace", "", "", "BEGIN")
    assert not seed_scripts.matches("nfsv4:::op-*", "nfsv3", "m", "f", "op-read-done")


def test_program_path() -> None:
    for program in PROGRAMS:
        assert isinstance(seed_scripts.program_path(program), Path)
        assert seed_scripts.program_path(program).is_file()
