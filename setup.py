"""The C part of pcapprobe: the packet hot path (pcapprobe/cext/).

Everything else is declared in pyproject.toml; setuptools reads both.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "pcapprobe._fastpath",
            sources=["pcapprobe/cext/module.c", "pcapprobe/cext/frame.c",
                     "pcapprobe/cext/stream.c", "pcapprobe/cext/scan.c",
                     "pcapprobe/cext/endpoint.c", "pcapprobe/cext/track.c",
                     "pcapprobe/cext/dnative.c", "pcapprobe/cext/bpf.c"],
            depends=["pcapprobe/cext/fastpath.h", "pcapprobe/cext/tcpcore.h"],
            libraries=["z"],  # zlib's crc32: the FC CRC of FCoE frames (scan.c)
            extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter",
                                "-Wno-missing-field-initializers"],
        ),
    ],
)
