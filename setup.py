"""The C part of pcapprobe: the packet hot path (pcapprobe/cext/), and the
packages: the top-level folder dissectors/ is installed as pcapprobe.dissectors
(a generic top-level name would collide with other projects).

Everything else is declared in pyproject.toml; setuptools reads both.
"""

import os
import shutil
import sysconfig

from setuptools import Extension, find_namespace_packages, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, ExecError, PlatformError

NEEDS = ("pcapprobe builds a C extension (pcapprobe/cext/) and needs a C compiler and "
         "the Python headers: install gcc and python3-dev (Debian, Ubuntu: apt-get install "
         "gcc python3-dev; Fedora: dnf install gcc python3-devel; Alpine: apk add gcc "
         "musl-dev python3-dev), or install a binary wheel")


class BuildWithAdvice(build_ext):
    """build_ext that says what to install when the compiler or Python.h is
    missing, instead of "[Errno 2] No such file or directory: 'gcc'"."""

    def build_extensions(self) -> None:
        missing = []
        compiler = getattr(self.compiler, "compiler_so", None)
        if compiler and shutil.which(compiler[0]) is None:
            missing.append(f"the C compiler '{compiler[0]}' is not installed")
        include = sysconfig.get_paths()["include"]
        if not os.path.exists(os.path.join(include, "Python.h")):
            missing.append(f"the Python headers ({include}/Python.h) are not installed")
        if missing:
            raise PlatformError(f"{'; '.join(missing)}.\n{NEEDS}")
        try:
            super().build_extensions()
        except (CCompilerError, ExecError, OSError) as exc:
            raise PlatformError(f"{exc}\n{NEEDS}") from None


if __name__ == "__main__":  # setuptools.build_meta runs this file as __main__ too
    setup(
        packages=find_namespace_packages(include=["pcapprobe", "pcapprobe.*"],
                                         exclude=["pcapprobe.cext"]) + ["pcapprobe.dissectors"],
        package_dir={"pcapprobe.dissectors": "dissectors"},
        cmdclass={"build_ext": BuildWithAdvice},
        ext_modules=[
            Extension(
                "pcapprobe._fastpath",
                sources=["pcapprobe/cext/module.c", "pcapprobe/cext/frame.c",
                         "pcapprobe/cext/stream.c", "pcapprobe/cext/scan.c",
                         "pcapprobe/cext/endpoint.c", "pcapprobe/cext/track.c",
                         "pcapprobe/cext/dnative.c", "pcapprobe/cext/bpf.c",
                         "pcapprobe/cext/ip.c", "pcapprobe/cext/fcoe.c", "pcapprobe/cext/rdma.c",
                         "pcapprobe/cext/partition.c", "pcapprobe/cext/nfs4ops.c"],
                depends=["pcapprobe/cext/fastpath.h", "pcapprobe/cext/tcpcore.h"],
                libraries=["z"],  # zlib's crc32: the FC CRC of FCoE frames (fcoe.c), partitions (partition.c)
                extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter",
                                    "-Wno-missing-field-initializers"],
            ),
        ],
    )
