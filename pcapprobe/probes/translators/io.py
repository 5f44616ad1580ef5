"""io provider: the I/O a SCSI initiator or an NFS client issues, seen on the wire.

On Solaris io:::start and io:::done fire in the host that issues an I/O: in
``bdev_strategy``/``biodone`` for a disk (an sd instance on an iSCSI, FC or SRP
LUN) and in the NFS client's ``nfs3_bio`` for file reads and writes
(illumos io.d translates the ``buf_t`` into bufinfo_t, devinfo_t and
fileinfo_t).  A capture shows those I/Os as requests and their answers, so
this provider fires from the initiator's / client's point of view:

* SCSI block I/O (any transport that uses the shared SCSI command model,
  ``dissectors/scsi.py``): ``start`` at a READ/WRITE(6/10/12/16/32), WRITE
  SAME(10/16) or COMPARE AND WRITE command, ``done`` at the PDU carrying its
  status.  SYNCHRONIZE CACHE and UNMAP fire nothing: Solaris's sd issues them
  through its own uscsi path (DKIOCFLUSHWRITECACHE, DKIOCFREE), which no io
  probe sees.
* NFS client file I/O: ``start`` at a READ or WRITE call, ``done`` at its
  reply; ``wait-start``/``wait-done`` around a stable (FILE_SYNC/DATA_SYNC)
  WRITE, the one I/O whose issuing thread the protocol shows waiting for its
  completion (an UNSTABLE write is the client's write-behind: B_ASYNC).

What the wire cannot show has a fixed, documented value (README "io"): the
process is unknown, so ``execname`` is the initiator's / client's address and
``pid`` 0; a D "thread" is that host; b_addr, b_iodone and b_bufsize are 0.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from pcapprobe.dissectors import scsi
from pcapprobe.probes.constants import B_FLAGS

if TYPE_CHECKING:
    from pcapprobe.pipeline import RunContext

Fire = Callable[[int, tuple, Hashable], None]

PROVIDER = "io"
B_BUSY, B_ERROR = B_FLAGS["B_BUSY"], B_FLAGS["B_ERROR"]
B_PAGEIO, B_READ = B_FLAGS["B_PAGEIO"], B_FLAGS["B_READ"]
B_WRITE, B_ASYNC = B_FLAGS["B_WRITE"], B_FLAGS["B_ASYNC"]
DEV_BSIZE = 512  # b_blkno counts 512-byte blocks whatever the LUN's block size
SD_MAJOR = 32  # Solaris /etc/name_to_major: "sd 32"
SD_PARTITION_BITS = 6  # sd: 64 minor nodes per instance; slice 0 ("a") is minor 0
NBITSMINOR64 = 32  # dev_t of a 64-bit kernel: major << 32 | minor
NFS_FS = "nfs3"  # the vnode ops name Solaris's NFSv3 client registers (fi_fs)
NONE = "<none>"
UNKNOWN = "<unknown>"
EIO = 5
# NFS3ERR_* that Solaris's geterrno3() maps to a different errno (Solaris values);
# the others (PERM, NOENT, IO, NXIO, ACCES, ... ROFS, MLINK) are the errno itself.
_NFS3_ERRNO = {63: 78, 66: 93, 69: 49, 70: 151}  # NAMETOOLONG, NOTEMPTY, DQUOT, STALE
_NFS3_ERRNO_MAX = 71  # NFS3ERR_REMOTE; the 100xx codes are EIO (not errnos)
NFS3_STABLE_UNSTABLE = 0

# CDB opcodes that move blocks through sd's strategy routine (SBC-3 §5), with
# whether the data goes to the device; READ/WRITE(6/10/12/16) come from
# scsi.block_io, the others are decoded here.
_WRITE_SAME_10, _WRITE_SAME_16, _COMPARE_AND_WRITE = 0x41, 0x93, 0x89
_READ_32, _WRITE_32 = 0x0009, 0x000B  # variable-length CDB service actions (SBC-3 §5.12)
_READ_CAPACITY_10, _SERVICE_ACTION_IN_16, _READ_CAPACITY_16 = 0x25, 0x9E, 0x10


class Host:
    """An initiator or NFS client: the D thread of its io firings, named by its
    address (``execname``), with its devices numbered as its kernel would."""

    __slots__ = ("execname", "disks", "mounts")

    def __init__(self, address: str) -> None:
        self.execname = address
        self.disks: dict[Hashable, Device] = {}
        self.mounts: dict[Hashable, Device] = {}

    def __repr__(self) -> str:
        return f"Host({self.execname})"


class Device:
    """devinfo_t of one sd instance or NFS mount, and what its I/Os share."""

    __slots__ = ("dev_major", "dev_minor", "dev_instance", "dev_name", "dev_statname",
                 "dev_pathname", "edev", "block_size")

    def __init__(self, name: str, major: int, minor: int, instance: int, pathname: str) -> None:
        self.dev_name = name
        self.dev_major = major
        self.dev_minor = minor
        self.dev_instance = instance
        self.dev_statname = f"{name}{instance}"
        self.dev_pathname = pathname
        self.edev = major << NBITSMINOR64 | minor
        self.block_size = 0  # 0: not learned (READ CAPACITY), 512 assumed


class BufInfo:
    """bufinfo_t of one I/O at one firing."""

    __slots__ = ("b_flags", "b_bcount", "b_blkno", "b_lblkno", "b_resid", "b_error", "b_edev")

    b_addr = 0  # kernel addresses: not on the wire
    b_iodone = 0
    b_bufsize = 0

    def __init__(self, flags: int, bcount: int, blkno: int, resid: int, error: int,
                 edev: int) -> None:
        self.b_flags = flags
        self.b_bcount = bcount
        self.b_blkno = self.b_lblkno = blkno
        self.b_resid = resid
        self.b_error = error
        self.b_edev = edev


class FileInfo:
    """fileinfo_t: "<none>" for block I/O, the NFS file's path otherwise."""

    __slots__ = ("fi_name", "fi_dirname", "fi_pathname", "fi_offset", "fi_fs", "fi_mount")

    def __init__(self, pathname: str, offset: int, fs: str, mount: str) -> None:
        self.fi_pathname = pathname
        if pathname in (NONE, UNKNOWN):
            self.fi_name = self.fi_dirname = pathname
        else:
            self.fi_name = posixpath.basename(pathname) or pathname
            self.fi_dirname = posixpath.dirname(pathname) or "."
        self.fi_offset = offset
        self.fi_fs = fs
        self.fi_mount = mount


NO_FILE = FileInfo(NONE, -1, NONE, NONE)


class Request:
    """An I/O between its start and its done."""

    __slots__ = ("host", "device", "buf", "file", "capacity", "waits")

    def __init__(self, host: Host, device: Device | None, buf: BufInfo | None,
                 file: FileInfo = NO_FILE, capacity: bool = False, waits: bool = False) -> None:
        self.host = host
        self.device = device
        self.buf = buf  # None: a READ CAPACITY, read for the block size only
        self.file = file
        self.capacity = capacity
        self.waits = waits


def _block_command(cdb: bytes) -> tuple[int, int, bool] | None:
    """(LBA, blocks, is_write) of a command that moves blocks, else None."""
    try:
        rw = scsi.block_io(cdb)
    except scsi.Truncated:
        return None
    if rw is not None:
        if rw.is_read or rw.is_write:
            return rw.lba, rw.blocks, rw.is_write
        return None  # VERIFY, WRITE AND VERIFY: sd's uscsi path as well
    opcode = cdb[0] if cdb else -1
    if opcode == _WRITE_SAME_10 and len(cdb) >= 10:
        return int.from_bytes(cdb[2:6], "big"), int.from_bytes(cdb[7:9], "big"), True
    if opcode == _WRITE_SAME_16 and len(cdb) >= 16:
        return int.from_bytes(cdb[2:10], "big"), int.from_bytes(cdb[10:14], "big"), True
    if opcode == _COMPARE_AND_WRITE and len(cdb) >= 16:
        return int.from_bytes(cdb[2:10], "big"), cdb[13], True
    if opcode == scsi.SCSI_OP_VARIABLE_LENGTH and len(cdb) >= 32:
        action = int.from_bytes(cdb[8:10], "big")
        if action in (_READ_32, _WRITE_32):
            return (int.from_bytes(cdb[12:20], "big"), int.from_bytes(cdb[28:32], "big"),
                    action == _WRITE_32)
    return None


def _is_read_capacity(cdb: bytes) -> bool:
    return bool(cdb) and (cdb[0] == _READ_CAPACITY_10 or (
        cdb[0] == _SERVICE_ACTION_IN_16 and len(cdb) > 1
        and cdb[1] & 0x1F == _READ_CAPACITY_16))


def _block_length(cdb: bytes, data: bytes | memoryview, offset: int) -> int | None:
    """LOGICAL BLOCK LENGTH of READ CAPACITY(10) (bytes 4-7) or (16) (bytes 8-11)."""
    start = 4 if cdb[0] == _READ_CAPACITY_10 else 8
    if offset > start or offset + len(data) < start + 4:
        return None
    length = int.from_bytes(data[start - offset : start - offset + 4], "big")
    return length if length and length % DEV_BSIZE == 0 else None


def nfs_errno(status: int) -> int:
    """The errno Solaris's NFSv3 client gives a failed READ/WRITE (geterrno3)."""
    if status > _NFS3_ERRNO_MAX:
        return EIO
    return _NFS3_ERRNO.get(status, status)


class IoProvider:
    """Per run: the hosts, their devices, and the io handlers."""

    def __init__(self, ctx: RunContext) -> None:
        self.fire_start = ctx.handler(PROVIDER, "start")
        self.fire_done = ctx.handler(PROVIDER, "done")
        self.fire_wait_start = ctx.handler(PROVIDER, "wait-start")
        self.fire_wait_done = ctx.handler(PROVIDER, "wait-done")
        self.listening = any((self.fire_start, self.fire_done, self.fire_wait_start,
                              self.fire_wait_done))
        # --local ADDR picks the hosts whose I/O is shown; otherwise every one.
        self.only = ctx.local.addrs if ctx.local.explicit else None
        self.hosts: dict[str, Host] = {}
        self.counts = ctx.report.layer("io")

    def host(self, address: str) -> Host | None:
        """The host issuing I/O from ``address`` (None: not one --local shows)."""
        host = self.hosts.get(address)
        if host is None:
            if self.only is not None and address not in self.only:
                return None
            host = self.hosts[address] = Host(address)
        return host

    # SCSI initiators ------------------------------------------------------

    def scsi_command(self, initiator: str, target: Hashable, lun: int, cdb: bytes,
                     pathname: Callable[[], str], ts_ns: int) -> Request | None:
        """A SCSI command from ``initiator`` to LUN ``lun`` of ``target``; the
        Request its status must be given to (None: no block I/O, nothing to learn).
        ``pathname`` makes the device's dev_pathname when it is first seen."""
        rw = _block_command(cdb)
        capacity = rw is None and _is_read_capacity(cdb)
        if rw is None and not capacity:
            return None
        host = self.host(initiator)
        if host is None:
            return None
        device = self._disk(host, (target, lun), pathname)
        if capacity:
            return Request(host, device, None, capacity=True)
        lba, blocks, write = rw  # type: ignore[misc]
        block_size = device.block_size or DEV_BSIZE
        if not device.block_size:
            self.counts["I/Os sized with 512-byte blocks (no READ CAPACITY seen)"] += 1
        buf = BufInfo(B_BUSY | (B_WRITE if write else B_READ), blocks * block_size,
                      lba * block_size // DEV_BSIZE, 0, 0, device.edev)
        request = Request(host, device, buf)
        self.counts["block I/Os"] += 1
        if self.fire_start is not None:
            self.fire_start(ts_ns, (buf, device, NO_FILE), host)
        return request

    def _disk(self, host: Host, key: Hashable, pathname: Callable[[], str]) -> Device:
        device = host.disks.get(key)
        if device is None:
            instance = len(host.disks)
            device = host.disks[key] = Device("sd", SD_MAJOR, instance << SD_PARTITION_BITS,
                                              instance, pathname())
        return device

    def scsi_data_in(self, request: Request, cdb: bytes, data: bytes | memoryview,
                     offset: int) -> None:
        """Data the device returned: READ CAPACITY's data gives the block size."""
        if request.capacity and request.device is not None:
            length = _block_length(cdb, data, offset)
            if length is not None:
                request.device.block_size = length

    def scsi_status(self, request: Request, status: int, residual: int, ts_ns: int) -> None:
        """The command's status (SAM-5 §5.3) and underflow residual in bytes."""
        buf = request.buf
        if buf is None:
            return
        if status == 0:
            flags, resid, error = buf.b_flags, min(residual, buf.b_bcount), 0
        else:  # sd fails the buf with EIO, nothing transferred
            flags, resid, error = buf.b_flags | B_ERROR, buf.b_bcount, EIO
        self._done(request, BufInfo(flags, buf.b_bcount, buf.b_blkno, resid, error, buf.b_edev),
                   ts_ns)

    def _done(self, request: Request, buf: BufInfo, ts_ns: int) -> None:
        if self.fire_done is not None:
            self.fire_done(ts_ns, (buf, request.device, request.file), request.host)
        if request.waits and self.fire_wait_done is not None:
            self.fire_wait_done(ts_ns, (buf, request.device, request.file), request.host)

    # NFS clients ----------------------------------------------------------

    def nfs_call(self, client: str, server: str, export: str | None, path: str, offset: int,
                 count: int, write: bool, stable: int, ts_ns: int,
                 fs: str = NFS_FS) -> Request | None:
        """A READ or WRITE call of ``client`` on the file at ``path`` (exported
        from ``export`` when known; ``fs`` the client's vnode ops name); the
        Request its reply must be given to.  ``stable`` 0 is UNSTABLE (v3 and v4)."""
        host = self.host(client)
        if host is None:
            return None
        device = host.mounts.get((server, export))
        if device is None:
            # Solaris numbers NFS mounts from 1 (nfs_minor), its major is
            # assigned at boot (getudev): not on the wire, 0 here.
            instance = len(host.mounts) + 1
            device = host.mounts[(server, export)] = Device("nfs", 0, instance, instance,
                                                            "<nfs>")
        flags = B_PAGEIO | (B_WRITE if write else B_READ)
        waits = write and stable != NFS3_STABLE_UNSTABLE
        if write and not waits:
            flags |= B_ASYNC
        buf = BufInfo(flags, count, offset // DEV_BSIZE, 0, 0, device.edev)
        file = FileInfo(path, offset, fs, export if export is not None else UNKNOWN)
        request = Request(host, device, buf, file, waits=waits)
        self.counts["NFS I/Os"] += 1
        args = (buf, device, file)
        if self.fire_start is not None:
            self.fire_start(ts_ns, args, host)
        if waits and self.fire_wait_start is not None:
            self.fire_wait_start(ts_ns, args, host)
        return request

    def nfs_reply(self, request: Request, status: int, count: int, ts_ns: int) -> None:
        """The reply: NFS3_OK with the bytes read or written, or a failure."""
        buf = request.buf
        assert buf is not None
        if status == 0:
            flags, resid, error = buf.b_flags, max(buf.b_bcount - count, 0), 0
        else:
            flags, resid, error = buf.b_flags | B_ERROR, buf.b_bcount, nfs_errno(status)
        self._done(request, BufInfo(flags, buf.b_bcount, buf.b_blkno, resid, error, buf.b_edev),
                   ts_ns)


def provider(ctx: RunContext) -> IoProvider | None:
    """The run's IoProvider when some io probe is enabled (kept in ``ctx.apps``)."""
    io = ctx.apps.get(PROVIDER)
    if io is None:
        io = ctx.apps[PROVIDER] = IoProvider(ctx)
    return io if io.listening else None
