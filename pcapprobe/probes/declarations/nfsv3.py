"""The nfsv3 provider (Solaris 11.3 DTrace guide, "nfsv3 Provider"; RFC 1813).

nfsv3opinfo_t is copied from the guide (its closing ``nfsv4opinfo_t`` is a
misprint: Solaris's nfs.d names it ``nfsv3opinfo_t``).  ``cred_t`` keeps the
Solaris member names of the credential fields an NFS server fills from
AUTH_SYS; nfsv4 shares it.  args[2] is the RFC 1813 §3.3 argument or result
of the procedure with Solaris's union layout (``status`` and ``res_u.ok`` /
``res_u.fail``) and rpcgen's shape for ``opaque x<>`` (``x.data_len``,
``x.data_val``), which is what the guide's scripts read.  Deliberate
departures from the guide's probe table, misprints there: ``op-mknod-done``
(printed ``op-mknod-done-``) and ``op-rename-start`` (``op-renamestart``).
op-null-* have no args[2].
"""

from pcapprobe.probes.catalog import INTEGER_TYPES, declare, provider

# RFC 1813 §2.5 scalar typedefs (enums are signed 32-bit ints in D).
INTEGER_TYPES.update(
    {
        "uint32": (4, False),
        "uint64": (8, False),
        "fileid3": (8, False),
        "cookie3": (8, False),
        "size3": (8, False),
        "mode3": (4, False),
        "uid3": (4, False),
        "gid3": (4, False),
        "nfsstat3": (4, True),
        "ftype3": (4, True),
        "stable_how": (4, True),
        "createmode3": (4, True),
        "time_how": (4, True),
        "bool_t": (4, True),
    }
)

declare(
    """
typedef struct cred {
        uid_t cr_uid;           /* effective user id */
        gid_t cr_gid;           /* effective group id */
        uid_t cr_ruid;          /* real user id */
        gid_t cr_rgid;          /* real group id */
        uid_t cr_suid;          /* saved user id */
        gid_t cr_sgid;          /* saved group id */
        uint32_t cr_ngroups;    /* number of supplementary groups */
} cred_t;

typedef struct nfsv3opinfo {
        string noi_curpath;     /* current file handle path (if any) */
        cred_t *noi_cred;       /* credentials */
        uint64_t noi_xid;       /* transaction ID */
} nfsv3opinfo_t;

typedef struct opaque3 {
        uint32_t data_len;      /* length of the data */
        uint8_t *data_val;      /* the bytes */
} opaque3;

typedef struct nfs_fh3 {
        opaque3 data;           /* the file handle, at most NFS3_FHSIZE bytes */
} nfs_fh3;

typedef struct nfstime3 {
        uint32 seconds;
        uint32 nseconds;
} nfstime3;

typedef struct specdata3 {
        uint32 specdata1;
        uint32 specdata2;
} specdata3;

typedef struct fattr3 {
        ftype3 type;            /* NF3REG, NF3DIR, ... */
        mode3 mode;
        uint32 nlink;
        uid3 uid;
        gid3 gid;
        size3 size;
        size3 used;
        specdata3 rdev;
        uint64 fsid;
        fileid3 fileid;
        nfstime3 atime;
        nfstime3 mtime;
        nfstime3 ctime;
} fattr3;

typedef struct post_op_attr {
        bool_t attributes;      /* attr is valid */
        fattr3 attr;
} post_op_attr;

typedef struct wcc_attr {
        size3 size;
        nfstime3 mtime;
        nfstime3 ctime;
} wcc_attr;

typedef struct pre_op_attr {
        bool_t attributes;      /* attr is valid */
        wcc_attr attr;
} pre_op_attr;

typedef struct wcc_data {
        pre_op_attr before;
        post_op_attr after;
} wcc_data;

typedef struct post_op_fh3 {
        bool_t handle_follows;  /* handle is valid */
        nfs_fh3 handle;
} post_op_fh3;

typedef struct diropargs3 {
        nfs_fh3 dir;            /* directory */
        string name;            /* name in it */
} diropargs3;

typedef struct set_mode3 {
        bool_t set_it;
        mode3 mode;
} set_mode3;

typedef struct set_uid3 {
        bool_t set_it;
        uid3 uid;
} set_uid3;

typedef struct set_gid3 {
        bool_t set_it;
        gid3 gid;
} set_gid3;

typedef struct set_size3 {
        bool_t set_it;
        size3 size;
} set_size3;

typedef struct set_atime {
        time_how set_it;        /* DONT_CHANGE, SET_TO_SERVER_TIME, SET_TO_CLIENT_TIME */
        nfstime3 atime;
} set_atime;

typedef struct set_mtime {
        time_how set_it;
        nfstime3 mtime;
} set_mtime;

typedef struct sattr3 {
        set_mode3 mode;
        set_uid3 uid;
        set_gid3 gid;
        set_size3 size;
        set_atime atime;
        set_mtime mtime;
} sattr3;

typedef struct sattrguard3 {
        bool_t check;
        nfstime3 obj_ctime;
} sattrguard3;

typedef struct entry3 {
        fileid3 fileid;
        string name;
        cookie3 cookie;
        entry3 *nextentry;
} entry3;

typedef struct dirlist3 {
        entry3 *entries;
        bool_t eof;
} dirlist3;

typedef struct entryplus3 {
        fileid3 fileid;
        string name;
        cookie3 cookie;
        post_op_attr name_attributes;
        post_op_fh3 name_handle;
        entryplus3 *nextentry;
} entryplus3;

typedef struct dirlistplus3 {
        entryplus3 *entries;
        bool_t eof;
} dirlistplus3;

typedef struct createhow3_u {
        sattr3 obj_attributes;  /* UNCHECKED, GUARDED */
        uint8_t *verf;          /* EXCLUSIVE: createverf3 */
} createhow3_u;

typedef struct createhow3 {
        createmode3 mode;
        createhow3_u createhow3_u;
} createhow3;

typedef struct symlinkdata3 {
        sattr3 symlink_attributes;
        string symlink_data;
} symlinkdata3;

typedef struct devicedata3 {
        sattr3 dev_attributes;
        specdata3 spec;
} devicedata3;

typedef struct mknoddata3_u {
        devicedata3 device;     /* NF3CHR, NF3BLK */
        sattr3 pipe_attributes; /* NF3SOCK, NF3FIFO */
} mknoddata3_u;

typedef struct mknoddata3 {
        ftype3 type;
        mknoddata3_u mknoddata3_u;
} mknoddata3;

typedef struct GETATTR3args {
        nfs_fh3 object;
} GETATTR3args;

typedef struct GETATTR3resok {
        fattr3 obj_attributes;
} GETATTR3resok;

typedef union GETATTR3res_u {
        GETATTR3resok ok;
} GETATTR3res_u;

typedef struct GETATTR3res {
        nfsstat3 status;
        GETATTR3res_u res_u;
} GETATTR3res;

typedef struct SETATTR3args {
        nfs_fh3 object;
        sattr3 new_attributes;
        sattrguard3 guard;
} SETATTR3args;

typedef struct SETATTR3resok {
        wcc_data obj_wcc;
} SETATTR3resok;

typedef struct SETATTR3resfail {
        wcc_data obj_wcc;
} SETATTR3resfail;

typedef union SETATTR3res_u {
        SETATTR3resok ok;
        SETATTR3resfail fail;
} SETATTR3res_u;

typedef struct SETATTR3res {
        nfsstat3 status;
        SETATTR3res_u res_u;
} SETATTR3res;

typedef struct LOOKUP3args {
        diropargs3 what;
} LOOKUP3args;

typedef struct LOOKUP3resok {
        nfs_fh3 object;
        post_op_attr obj_attributes;
        post_op_attr dir_attributes;
} LOOKUP3resok;

typedef struct LOOKUP3resfail {
        post_op_attr dir_attributes;
} LOOKUP3resfail;

typedef union LOOKUP3res_u {
        LOOKUP3resok ok;
        LOOKUP3resfail fail;
} LOOKUP3res_u;

typedef struct LOOKUP3res {
        nfsstat3 status;
        LOOKUP3res_u res_u;
} LOOKUP3res;

typedef struct ACCESS3args {
        nfs_fh3 object;
        uint32 access;
} ACCESS3args;

typedef struct ACCESS3resok {
        post_op_attr obj_attributes;
        uint32 access;
} ACCESS3resok;

typedef struct ACCESS3resfail {
        post_op_attr obj_attributes;
} ACCESS3resfail;

typedef union ACCESS3res_u {
        ACCESS3resok ok;
        ACCESS3resfail fail;
} ACCESS3res_u;

typedef struct ACCESS3res {
        nfsstat3 status;
        ACCESS3res_u res_u;
} ACCESS3res;

typedef struct READLINK3args {
        nfs_fh3 symlink;
} READLINK3args;

typedef struct READLINK3resok {
        post_op_attr symlink_attributes;
        string data;            /* nfspath3 */
} READLINK3resok;

typedef struct READLINK3resfail {
        post_op_attr symlink_attributes;
} READLINK3resfail;

typedef union READLINK3res_u {
        READLINK3resok ok;
        READLINK3resfail fail;
} READLINK3res_u;

typedef struct READLINK3res {
        nfsstat3 status;
        READLINK3res_u res_u;
} READLINK3res;

typedef struct READ3args {
        nfs_fh3 file;
        offset3 offset;
        count3 count;
} READ3args;

typedef struct READ3resok {
        post_op_attr file_attributes;
        count3 count;
        bool_t eof;
        opaque3 data;
} READ3resok;

typedef struct READ3resfail {
        post_op_attr file_attributes;
} READ3resfail;

typedef union READ3res_u {
        READ3resok ok;
        READ3resfail fail;
} READ3res_u;

typedef struct READ3res {
        nfsstat3 status;
        READ3res_u res_u;
} READ3res;

typedef struct WRITE3args {
        nfs_fh3 file;
        offset3 offset;
        count3 count;
        stable_how stable;      /* UNSTABLE, DATA_SYNC, FILE_SYNC */
        opaque3 data;
} WRITE3args;

typedef struct WRITE3resok {
        wcc_data file_wcc;
        count3 count;
        stable_how committed;
        uint8_t *verf;          /* writeverf3 */
} WRITE3resok;

typedef struct WRITE3resfail {
        wcc_data file_wcc;
} WRITE3resfail;

typedef union WRITE3res_u {
        WRITE3resok ok;
        WRITE3resfail fail;
} WRITE3res_u;

typedef struct WRITE3res {
        nfsstat3 status;
        WRITE3res_u res_u;
} WRITE3res;

typedef struct CREATE3args {
        diropargs3 where;
        createhow3 how;
} CREATE3args;

typedef struct CREATE3resok {
        post_op_fh3 obj;
        post_op_attr obj_attributes;
        wcc_data dir_wcc;
} CREATE3resok;

typedef struct CREATE3resfail {
        wcc_data dir_wcc;
} CREATE3resfail;

typedef union CREATE3res_u {
        CREATE3resok ok;
        CREATE3resfail fail;
} CREATE3res_u;

typedef struct CREATE3res {
        nfsstat3 status;
        CREATE3res_u res_u;
} CREATE3res;

typedef struct MKDIR3args {
        diropargs3 where;
        sattr3 attributes;
} MKDIR3args;

typedef struct SYMLINK3args {
        diropargs3 where;
        symlinkdata3 symlink;
} SYMLINK3args;

typedef struct MKNOD3args {
        diropargs3 where;
        mknoddata3 what;
} MKNOD3args;

typedef struct REMOVE3args {
        diropargs3 object;
} REMOVE3args;

typedef struct REMOVE3resok {
        wcc_data dir_wcc;
} REMOVE3resok;

typedef struct REMOVE3resfail {
        wcc_data dir_wcc;
} REMOVE3resfail;

typedef union REMOVE3res_u {
        REMOVE3resok ok;
        REMOVE3resfail fail;
} REMOVE3res_u;

typedef struct REMOVE3res {
        nfsstat3 status;
        REMOVE3res_u res_u;
} REMOVE3res;

typedef struct RMDIR3args {
        diropargs3 object;
} RMDIR3args;

typedef struct RENAME3args {
        diropargs3 from;
        diropargs3 to;
} RENAME3args;

typedef struct RENAME3wcc {
        wcc_data fromdir_wcc;
        wcc_data todir_wcc;
} RENAME3wcc;

typedef union RENAME3res_u {
        RENAME3wcc ok;
        RENAME3wcc fail;
} RENAME3res_u;

typedef struct RENAME3res {
        nfsstat3 status;
        RENAME3res_u res_u;
} RENAME3res;

typedef struct LINK3args {
        nfs_fh3 file;
        diropargs3 link;
} LINK3args;

typedef struct LINK3wcc {
        post_op_attr file_attributes;
        wcc_data linkdir_wcc;
} LINK3wcc;

typedef union LINK3res_u {
        LINK3wcc ok;
        LINK3wcc fail;
} LINK3res_u;

typedef struct LINK3res {
        nfsstat3 status;
        LINK3res_u res_u;
} LINK3res;

typedef struct READDIR3args {
        nfs_fh3 dir;
        cookie3 cookie;
        uint8_t *cookieverf;    /* cookieverf3 */
        count3 count;
} READDIR3args;

typedef struct READDIR3resok {
        post_op_attr dir_attributes;
        uint8_t *cookieverf;
        dirlist3 reply;
} READDIR3resok;

typedef struct READDIR3resfail {
        post_op_attr dir_attributes;
} READDIR3resfail;

typedef union READDIR3res_u {
        READDIR3resok ok;
        READDIR3resfail fail;
} READDIR3res_u;

typedef struct READDIR3res {
        nfsstat3 status;
        READDIR3res_u res_u;
} READDIR3res;

typedef struct READDIRPLUS3args {
        nfs_fh3 dir;
        cookie3 cookie;
        uint8_t *cookieverf;
        count3 dircount;
        count3 maxcount;
} READDIRPLUS3args;

typedef struct READDIRPLUS3resok {
        post_op_attr dir_attributes;
        uint8_t *cookieverf;
        dirlistplus3 reply;
} READDIRPLUS3resok;

typedef union READDIRPLUS3res_u {
        READDIRPLUS3resok ok;
        READDIR3resfail fail;
} READDIRPLUS3res_u;

typedef struct READDIRPLUS3res {
        nfsstat3 status;
        READDIRPLUS3res_u res_u;
} READDIRPLUS3res;

typedef struct FSSTAT3args {
        nfs_fh3 fsroot;
} FSSTAT3args;

typedef struct FSSTAT3resok {
        post_op_attr obj_attributes;
        size3 tbytes;
        size3 fbytes;
        size3 abytes;
        size3 tfiles;
        size3 ffiles;
        size3 afiles;
        uint32 invarsec;
} FSSTAT3resok;

typedef struct FSSTAT3resfail {
        post_op_attr obj_attributes;
} FSSTAT3resfail;

typedef union FSSTAT3res_u {
        FSSTAT3resok ok;
        FSSTAT3resfail fail;
} FSSTAT3res_u;

typedef struct FSSTAT3res {
        nfsstat3 status;
        FSSTAT3res_u res_u;
} FSSTAT3res;

typedef struct FSINFO3args {
        nfs_fh3 fsroot;
} FSINFO3args;

typedef struct FSINFO3resok {
        post_op_attr obj_attributes;
        uint32 rtmax;
        uint32 rtpref;
        uint32 rtmult;
        uint32 wtmax;
        uint32 wtpref;
        uint32 wtmult;
        uint32 dtpref;
        size3 maxfilesize;
        nfstime3 time_delta;
        uint32 properties;
} FSINFO3resok;

typedef union FSINFO3res_u {
        FSINFO3resok ok;
        FSSTAT3resfail fail;
} FSINFO3res_u;

typedef struct FSINFO3res {
        nfsstat3 status;
        FSINFO3res_u res_u;
} FSINFO3res;

typedef struct PATHCONF3args {
        nfs_fh3 object;
} PATHCONF3args;

typedef struct PATHCONF3resok {
        post_op_attr obj_attributes;
        uint32 linkmax;
        uint32 name_max;
        bool_t no_trunc;
        bool_t chown_restricted;
        bool_t case_insensitive;
        bool_t case_preserving;
} PATHCONF3resok;

typedef union PATHCONF3res_u {
        PATHCONF3resok ok;
        FSSTAT3resfail fail;
} PATHCONF3res_u;

typedef struct PATHCONF3res {
        nfsstat3 status;
        PATHCONF3res_u res_u;
} PATHCONF3res;

typedef struct COMMIT3args {
        nfs_fh3 file;
        offset3 offset;
        count3 count;
} COMMIT3args;

typedef struct COMMIT3resok {
        wcc_data file_wcc;
        uint8_t *verf;          /* writeverf3 */
} COMMIT3resok;

typedef struct COMMIT3resfail {
        wcc_data file_wcc;
} COMMIT3resfail;

typedef union COMMIT3res_u {
        COMMIT3resok ok;
        COMMIT3resfail fail;
} COMMIT3res_u;

typedef struct COMMIT3res {
        nfsstat3 status;
        COMMIT3res_u res_u;
} COMMIT3res;
"""
)

# Procedures in RFC 1813 order: (probe name part, args[2] of start, of done).
# MKDIR, SYMLINK and MKNOD answer with CREATE's result; RMDIR with REMOVE's.
PROCEDURES: tuple[tuple[str, str, str], ...] = (
    ("null", "", ""),
    ("getattr", "GETATTR3args", "GETATTR3res"),
    ("setattr", "SETATTR3args", "SETATTR3res"),
    ("lookup", "LOOKUP3args", "LOOKUP3res"),
    ("access", "ACCESS3args", "ACCESS3res"),
    ("readlink", "READLINK3args", "READLINK3res"),
    ("read", "READ3args", "READ3res"),
    ("write", "WRITE3args", "WRITE3res"),
    ("create", "CREATE3args", "CREATE3res"),
    ("mkdir", "MKDIR3args", "CREATE3res"),
    ("symlink", "SYMLINK3args", "CREATE3res"),
    ("mknod", "MKNOD3args", "CREATE3res"),
    ("remove", "REMOVE3args", "REMOVE3res"),
    ("rmdir", "RMDIR3args", "REMOVE3res"),
    ("rename", "RENAME3args", "RENAME3res"),
    ("link", "LINK3args", "LINK3res"),
    ("readdir", "READDIR3args", "READDIR3res"),
    ("readdirplus", "READDIRPLUS3args", "READDIRPLUS3res"),
    ("fsstat", "FSSTAT3args", "FSSTAT3res"),
    ("fsinfo", "FSINFO3args", "FSINFO3res"),
    ("pathconf", "PATHCONF3args", "PATHCONF3res"),
    ("commit", "COMMIT3args", "COMMIT3res"),
)

_OP = "conninfo_t *, nfsv3opinfo_t *"


def _args(struct: str) -> str:
    return f"{_OP}, {struct} *" if struct else _OP


def _function(name: str) -> str:
    """The Solaris server routine that fires the probe (``nfs_server.c``)."""
    return "rpc_null_v3" if name == "null" else f"rfs3_{name}"


provider(
    "nfsv3",
    [
        probe
        for name, start, done in PROCEDURES
        for probe in (
            ("nfssrv", _function(name), f"op-{name}-start", _args(start)),
            ("nfssrv", _function(name), f"op-{name}-done", _args(done)),
        )
    ],
    doc="NFS version 3 server operations: -start on the call, -done on the reply.",
)
