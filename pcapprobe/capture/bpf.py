"""Capture filters (``-f EXPR``): tcpdump's filter language, compiled by libpcap.

The expression is compiled with the system's libpcap (pcap-filter(7)), loaded
with ctypes at run time: ``pcap_open_dead(linktype, snaplen)`` then
``pcap_compile``, once per link type the captures hold.  The compiled classic
BPF program is copied into a ``BpfProgram`` (pcapprobe/cext/bpf.c), whose
interpreter runs it on every record, in the C scanner and in the Python path
alike.  Building pcapprobe needs no libpcap headers; only ``-f`` needs the
library (Debian: libpcap0.8, installed with tcpdump).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

from pcapprobe._fastpath import BpfProgram
from pcapprobe.errors import PcapProbeError, UsageError

__all__ = ["FilterError", "LibpcapMissing", "compile_filter"]

# libpcap's MAXIMUM_SNAPLEN: only the verdict (0 or not) of a program is used,
# and the snapshot length changes nothing else in the code libpcap generates.
SNAPLEN = 262144
PCAP_NETMASK_UNKNOWN = 0xFFFFFFFF
# The names libpcap goes by: the runtime library of Debian's libpcap0.8, other
# distributions' libpcap.so.1, the development symlink.
LIBRARY_NAMES = ("libpcap.so.0.8", "libpcap.so.1", "libpcap.so", "libpcap.dylib")


class FilterError(UsageError):
    """libpcap rejected the expression (``-f EXPR: <libpcap's message>``)."""


class LibpcapMissing(PcapProbeError):
    """-f was given but no libpcap could be loaded."""


class _BpfInsn(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint32)]


class _BpfProgram(ctypes.Structure):
    _fields_ = [("bf_len", ctypes.c_uint), ("bf_insns", ctypes.POINTER(_BpfInsn))]


@cache
def _libpcap() -> ctypes.CDLL:
    """The system's libpcap with the prototypes used here."""
    names = list(LIBRARY_NAMES)
    found = ctypes.util.find_library("pcap")
    if found:
        names.insert(0, found)
    for name in names:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        lib.pcap_open_dead.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.pcap_open_dead.restype = ctypes.c_void_p
        lib.pcap_compile.argtypes = [ctypes.c_void_p, ctypes.POINTER(_BpfProgram),
                                     ctypes.c_char_p, ctypes.c_int, ctypes.c_uint32]
        lib.pcap_compile.restype = ctypes.c_int
        lib.pcap_geterr.argtypes = [ctypes.c_void_p]
        lib.pcap_geterr.restype = ctypes.c_char_p
        lib.pcap_freecode.argtypes = [ctypes.POINTER(_BpfProgram)]
        lib.pcap_freecode.restype = None
        lib.pcap_close.argtypes = [ctypes.c_void_p]
        lib.pcap_close.restype = None
        return lib
    raise LibpcapMissing("-f: libpcap is needed to compile capture filters and was not "
                         "found (Debian/Ubuntu: apt install libpcap0.8; Fedora: libpcap)")


def compile_insns(expr: str, linktype: int) -> list[tuple[int, int, int, int]]:
    """libpcap's optimized classic BPF code for ``expr`` on ``linktype``:
    (code, jt, jf, k) per instruction; FilterError with libpcap's message."""
    lib = _libpcap()
    handle = lib.pcap_open_dead(linktype, SNAPLEN)
    if not handle:
        raise FilterError(f"-f {expr}: libpcap cannot handle link type {linktype}")
    try:
        program = _BpfProgram()
        if lib.pcap_compile(handle, ctypes.byref(program), expr.encode(), 1,
                            PCAP_NETMASK_UNKNOWN) != 0:
            message = (lib.pcap_geterr(handle) or b"syntax error").decode(errors="replace")
            raise FilterError(f"-f {expr}: {message}")
        try:
            return [(i.code, i.jt, i.jf, i.k) for i in program.bf_insns[:program.bf_len]]
        finally:
            lib.pcap_freecode(ctypes.byref(program))
    finally:
        lib.pcap_close(handle)


def compile_filter(expr: str, linktype: int) -> BpfProgram:
    """``expr`` compiled for packets of ``linktype`` and validated."""
    try:
        return BpfProgram(compile_insns(expr, linktype))
    except ValueError as exc:  # libpcap's code always validates: a bug if it does not
        raise FilterError(f"-f {expr}: {exc}") from None
