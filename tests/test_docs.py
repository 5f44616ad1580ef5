"""docs/providers.md and the README's provider table are generated from the catalog."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pcapprobe.probes import catalog, docs
from tests.conftest import ROOT

REGENERATE = "run: python -m pcapprobe.probes.docs"


def test_providers_md_is_up_to_date() -> None:
    assert (ROOT / "docs" / "providers.md").read_text() == docs.render(), REGENERATE


def test_check_mode_reports_stale_and_fresh_files(tmp_path: Path) -> None:
    out = tmp_path / "providers.md"
    assert docs.main(["--check", "--output", str(out)]) == 1
    assert docs.main(["--output", str(out)]) == 0
    assert docs.main(["--check", "--output", str(out)]) == 0
    out.write_text(out.read_text() + "edited\n")
    assert docs.main(["--check", "--output", str(out)]) == 1


def test_every_probe_and_struct_is_documented() -> None:
    text = docs.render()
    for probe in catalog.all_probes():
        assert f"| `{probe.fullname}` |" in text, probe.fullname
    headings = set(re.findall(r"^### (\S+)$", text, re.M))
    used = {a.base for p in catalog.all_probes() for a in p.args if a.is_struct}
    assert used <= headings
    # each struct once
    assert len(re.findall(r"^### ", text, re.M)) == len(headings)


def test_member_rows_carry_type_doc_and_wire_source() -> None:
    text = docs.render()
    assert ("| `fcx_len` | `uint32_t` | transfer length "
            "| FCP_DATA bytes of the sequence |" in text)
    assert "| `count` | `count4` | bytes written |" in text
    assert docs.from_wire("ipv4info_t", "ipv4_ttl").startswith("IPv4 header field")
    assert docs.from_wire("ipv4info_t", "ipv4_ihl") == "IHL, in bytes"
    assert docs.from_wire("nosuch_t", "x") == ""


def test_readme_provider_section() -> None:
    readme = ROOT / "README.md"
    assert "## Providers" in readme.read_text()
    section = readme.read_text().split("## Providers", 1)[1]
    section = re.split(r"^## ", section, flags=re.M)[0]
    assert docs.readme_table() in section, REGENERATE + " --readme"
    assert "docs/providers.md" in section


def test_update_readme_replaces_only_the_table() -> None:
    before = ("# pcapprobe\n\n## Providers\n\nSee the table.\n\n"
              "| provider | probes |\n|---|---|\n| `old` | `x` |\n"
              "\nMore: docs/providers.md\n"
              "\n## Limits\n\nnone\n")
    after = docs.update_readme(before)
    assert after.startswith("# pcapprobe\n\n## Providers\n\nSee the table.\n\n")
    assert docs.readme_table() in after and "`old`" not in after
    assert after.endswith("\nMore: docs/providers.md\n\n## Limits\n\nnone\n")
    assert docs.update_readme(after) == after
    fresh = docs.update_readme("## Providers\n\nText.\n\n## Next\n")
    assert fresh == "## Providers\n\nText.\n\n" + docs.readme_table() + "\n## Next\n"
    with pytest.raises(ValueError):
        docs.update_readme("# no section\n")


def test_from_wire_names_only_declared_structs_and_members() -> None:
    for key in docs.FROM_WIRE:
        struct, _, member = key.partition(".")
        assert struct in catalog.STRUCTS, key
        assert not member or member in catalog.STRUCTS[struct].members, key
