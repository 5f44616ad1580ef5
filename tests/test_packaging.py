"""What a user meets before the first run: a build without a C compiler, an
installed copy without its C extension, docs generation outside a source tree."""

from __future__ import annotations

import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pcapprobe.probes import docs
from tests.conftest import ROOT

NO_EXTENSION_LINE = ("pcapprobe: pcapprobe's C extension (pcapprobe._fastpath) is not built: "
                     "installing from source needs a C compiler and the Python headers (gcc "
                     "and python3-dev), then reinstall; or install a binary wheel\n")


def test_a_build_without_a_compiler_says_what_to_install(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from setuptools import Distribution, Extension
    from setuptools.errors import PlatformError

    build = runpy.run_path(str(ROOT / "setup.py"), run_name="setup")["BuildWithAdvice"]
    source = tmp_path / "x.c"
    source.write_text("int x;\n")
    monkeypatch.setenv("CC", "no-such-cc")
    cmd = build(Distribution({"ext_modules": [Extension("x", [str(source)])]}))
    cmd.initialize_options()
    cmd.build_temp, cmd.build_lib = str(tmp_path / "t"), str(tmp_path / "l")
    cmd.finalize_options()
    with pytest.raises(PlatformError) as raised:
        cmd.run()
    assert str(raised.value).startswith("the C compiler 'no-such-cc' is not installed.\n")
    assert "install gcc and python3-dev" in str(raised.value)


@pytest.fixture
def without_extension(tmp_path: Path) -> Path:
    """A copy of the package without its built extension, importable from
    ``tmp_path`` by an interpreter started with -S (no site-packages: the
    editable install's finder would find the real one)."""
    shutil.copytree(ROOT / "pcapprobe", tmp_path / "pcapprobe",
                    ignore=shutil.ignore_patterns("*.so", "__pycache__", "cext"))
    return tmp_path


def _python(where: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(where))
    return subprocess.run([sys.executable, "-S", *args], capture_output=True, text=True,
                          cwd=where, env=env)


def test_the_command_without_its_extension_prints_one_line(without_extension: Path) -> None:
    script = without_extension / "bin" / "pcapprobe"  # what pip writes for [project.scripts]
    script.parent.mkdir()
    script.write_text("import sys\nfrom pcapprobe.cli import main\nsys.exit(main())\n")
    for args in ([str(script), "--help"], ["-m", "pcapprobe", "run", "x.pcap"]):
        proc = _python(without_extension, *args)
        assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", NO_EXTENSION_LINE)


def test_an_import_without_the_extension_says_why(without_extension: Path) -> None:
    proc = _python(without_extension, "-c", "import pcapprobe.api")
    assert proc.returncode == 1
    assert proc.stderr.endswith("ImportError: " + NO_EXTENSION_LINE[len("pcapprobe: "):])
    assert "ModuleNotFoundError" not in proc.stderr


def test_docs_are_generated_only_in_a_source_tree(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert docs.in_source_tree()  # this checkout
    installed = tmp_path / "site-packages"  # no pyproject.toml, no docs/ beside the package
    monkeypatch.setattr(docs, "SOURCE_TREE", installed)
    monkeypatch.setattr(docs, "OUTPUT", installed / "docs" / "providers.md")
    monkeypatch.setattr(docs, "README", installed / "README.md")
    assert not docs.in_source_tree()
    assert docs.main([]) == 2
    assert docs.main(["--readme"]) == 2
    assert not (installed / "docs").exists()
    err = capsys.readouterr().err
    assert err.startswith(f"python -m pcapprobe.probes.docs: {installed} is an installed "
                          "pcapprobe, not its source tree:")
    assert len(err.splitlines()) == 2
    assert docs.main(["--output", str(tmp_path / "p.md")]) == 0  # an explicit file is fine
    assert (tmp_path / "p.md").read_text() == docs.render()
