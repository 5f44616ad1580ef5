"""The nfsv4 provider (Solaris 11.3 DTrace guide, "nfsv4 Provider"; RFC 7530).

nfsv4opinfo_t and nfsv4cbinfo_t are copied from the guide.  The guide names
args[2] of every probe by its RFC 7530 type (``READ4args *``...); Solaris hands
the server's decoded XDR structures over as they are in illumos
``nfs/nfs4_kprot.h``, so they are declared with those members: results are
flat (``READ4res.data_len``, ``WRITE4res.count``, not RFC unions), which is
what the guide's scripts read.  Kernel-only members that never came off the
wire (mblk chains, RDMA lists, client caches) are left out.  Anonymous unions of
the header are declared as named unions (``*_u``) so that members keep their
kernel names (``args[2]->ftype4_u.linkdata``).

Deliberate departures from the guide's probe table (each a misprint there,
Solaris's provider has the other form): ``op-remove-done`` (printed
``op-remove-don``), args[2] of ``op-open-downgrade-done`` is
``OPEN_DOWNGRADE4res *`` (printed ``...4args *``), and ``cb-getattr-start/done``
are not declared: the guide itself says Solaris does not implement them, so a
script naming them fails to compile as it does on Solaris.
"""

from pcapprobe.probes.catalog import INTEGER_TYPES, declare, provider

# nfs4_kprot.h scalar typedefs and enums (a D enum is a signed 32-bit int).
INTEGER_TYPES.update(
    {
        "bitmap4": (8, False),
        "offset4": (8, False),
        "count4": (4, False),
        "length4": (8, False),
        "clientid4": (8, False),
        "seqid4": (4, False),
        "nfs_lockid4": (8, False),
        "nfs_cookie4": (8, False),
        "qop4": (4, False),
        "mode4": (4, False),
        "changeid4": (8, False),
        "verifier4": (8, False),
        "acetype4": (4, False),
        "aceflag4": (4, False),
        "acemask4": (4, False),
        "nfs_ftype4": (4, True),
        "nfsstat4": (4, True),
        "time_how4": (4, True),
        "nfs_lock_type4": (4, True),
        "createmode4": (4, True),
        "opentype4": (4, True),
        "limit_by4": (4, True),
        "open_delegation_type4": (4, True),
        "open_claim_type4": (4, True),
        "rpc_gss_svc_t": (4, True),
        "stable_how4": (4, True),
        "nfs_opnum4": (4, True),
    }
)

declare(
    """
typedef struct nfsv4opinfo {
        string noi_curpath;     /* current file handle path (if any) */
        cred_t *noi_cred;       /* credentials */
        uint64_t noi_xid;       /* transaction ID */
} nfsv4opinfo_t;

typedef struct nfsv4cbinfo {
        string nci_curpath;     /* file handle path (if any) */
} nfsv4cbinfo_t;
"""
)

# nfs4_kprot.h building blocks (RFC 7530 section 2.2 data types).
declare(
    """
typedef struct utf8string {
        uint_t utf8string_len;          /* length (also component4, linktext4) */
        char *utf8string_val;           /* UTF-8 bytes */
} utf8string;

typedef struct sec_oid4 {
        uint_t sec_oid4_len;            /* length of the OID */
        char *sec_oid4_val;             /* OID bytes */
} sec_oid4;

typedef struct nfstime4 {
        int64_t seconds;                /* seconds since the epoch */
        uint32_t nseconds;              /* nanoseconds */
} nfstime4;

typedef struct nfs_fh4 {
        uint_t nfs_fh4_len;             /* file handle length */
        char *nfs_fh4_val;              /* file handle bytes */
} nfs_fh4;

typedef struct specdata4 {
        uint32_t specdata1;             /* major device number */
        uint32_t specdata2;             /* minor device number */
} specdata4;

typedef struct nfsace4 {
        acetype4 type;                  /* ACE4_*_ACE_TYPE */
        aceflag4 flag;                  /* ACE4_* inheritance flags */
        acemask4 access_mask;           /* ACE4_* access bits */
        utf8string who;                 /* principal */
} nfsace4;

typedef struct fattr4 {
        bitmap4 attrmask;               /* attributes present */
        char *attrlist4;                /* XDR-encoded attribute values */
        uint_t attrlist4_len;           /* length of attrlist4 */
} fattr4;

typedef struct change_info4 {
        bool_t atomic;                  /* before/after are atomic */
        changeid4 before;               /* change attribute before */
        changeid4 after;                /* change attribute after */
} change_info4;

typedef struct clientaddr4 {
        char *r_netid;                  /* network id ("tcp", "tcp6") */
        char *r_addr;                   /* universal address */
} clientaddr4;

typedef struct cb_client4 {
        uint32_t cb_program;            /* callback RPC program */
        clientaddr4 cb_location;        /* callback address */
} cb_client4;

typedef struct stateid4 {
        uint32_t seqid;                 /* state sequence */
        char other[12];                 /* opaque state identifier */
} stateid4;

typedef struct nfs_client_id4 {
        verifier4 verifier;             /* client incarnation */
        uint_t id_len;                  /* length of id_val */
        char *id_val;                   /* client identifier */
} nfs_client_id4;

typedef struct open_owner4 {
        clientid4 clientid;             /* client */
        uint_t owner_len;               /* length of owner_val */
        char *owner_val;                /* opaque owner */
} open_owner4;

typedef struct lock_owner4 {
        clientid4 clientid;             /* client */
        uint_t owner_len;               /* length of owner_val */
        char *owner_val;                /* opaque owner */
} lock_owner4;

typedef struct open_to_lock_owner4 {
        seqid4 open_seqid;              /* open-owner sequence */
        stateid4 open_stateid;          /* open state */
        seqid4 lock_seqid;              /* lock-owner sequence */
        lock_owner4 lock_owner;         /* new lock owner */
} open_to_lock_owner4;

typedef struct exist_lock_owner4 {
        stateid4 lock_stateid;          /* existing lock state */
        seqid4 lock_seqid;              /* lock-owner sequence */
} exist_lock_owner4;

typedef union locker4_u {
        open_to_lock_owner4 open_owner; /* new_lock_owner true */
        exist_lock_owner4 lock_owner;   /* new_lock_owner false */
} locker4_u;

typedef struct locker4 {
        bool_t new_lock_owner;          /* which arm of locker4_u */
        locker4_u locker4_u;            /* lock owner */
} locker4;

typedef struct LOCK4denied {
        offset4 offset;                 /* conflicting lock offset */
        length4 length;                 /* conflicting lock length */
        nfs_lock_type4 locktype;        /* conflicting lock type */
        lock_owner4 owner;              /* conflicting lock owner */
} LOCK4denied;

typedef struct nfs_modified_limit4 {
        uint32_t num_blocks;            /* blocks */
        uint32_t bytes_per_block;       /* block size */
} nfs_modified_limit4;

typedef union nfs_space_limit4_u {
        uint64_t filesize;              /* NFS_LIMIT_SIZE */
        nfs_modified_limit4 mod_blocks; /* NFS_LIMIT_BLOCKS */
} nfs_space_limit4_u;

typedef struct nfs_space_limit4 {
        limit_by4 limitby;              /* which arm */
        nfs_space_limit4_u nfs_space_limit4_u; /* the limit */
} nfs_space_limit4;

typedef struct open_claim_delegate_cur4 {
        stateid4 delegate_stateid;      /* delegation */
        utf8string file;                /* component4: file name */
} open_claim_delegate_cur4;

typedef struct open_read_delegation4 {
        stateid4 stateid;               /* delegation state */
        bool_t recall;                  /* recall pending */
        nfsace4 permissions;            /* access without ACCESS */
} open_read_delegation4;

typedef struct open_write_delegation4 {
        stateid4 stateid;               /* delegation state */
        bool_t recall;                  /* recall pending */
        nfs_space_limit4 space_limit;   /* space the client may use */
        nfsace4 permissions;            /* access without ACCESS */
} open_write_delegation4;

typedef union open_delegation4_u {
        open_read_delegation4 read;     /* OPEN_DELEGATE_READ */
        open_write_delegation4 write;   /* OPEN_DELEGATE_WRITE */
} open_delegation4_u;

typedef struct open_delegation4 {
        open_delegation_type4 delegation_type; /* OPEN_DELEGATE_* */
        open_delegation4_u open_delegation4_u; /* the delegation */
} open_delegation4;

typedef struct rpcsec_gss_info {
        sec_oid4 oid;                   /* mechanism OID */
        qop4 qop;                       /* quality of protection */
        rpc_gss_svc_t service;          /* none, integrity, privacy */
} rpcsec_gss_info;

typedef struct secinfo4 {
        uint32_t flavor;                /* RPC auth flavor */
        rpcsec_gss_info flavor_info;    /* RPCSEC_GSS details */
} secinfo4;

typedef struct SETCLIENTID4resok {
        clientid4 clientid;             /* assigned client id */
        verifier4 setclientid_confirm;  /* confirmation verifier */
} SETCLIENTID4resok;
"""
)

# args[2] of the operation probes: the operation's arguments (op-*-start) and
# results (op-*-done).  Operations without arguments (RFC 7530: void) have empty
# argument structs, as the guide names them.
declare(
    """
typedef struct ACCESS4args {
        uint32_t access;                /* ACCESS4_* bits requested */
} ACCESS4args;

typedef struct ACCESS4res {
        nfsstat4 status;                /* result */
        uint32_t supported;             /* ACCESS4_* bits checked */
        uint32_t access;                /* ACCESS4_* bits granted */
} ACCESS4res;

typedef struct CLOSE4args {
        seqid4 seqid;                   /* open-owner sequence */
        stateid4 open_stateid;          /* open state */
} CLOSE4args;

typedef struct CLOSE4res {
        nfsstat4 status;                /* result */
        stateid4 open_stateid;          /* updated open state */
} CLOSE4res;

typedef struct COMMIT4args {
        offset4 offset;                 /* start of the range */
        count4 count;                   /* bytes, 0 = to end of file */
} COMMIT4args;

typedef struct COMMIT4res {
        nfsstat4 status;                /* result */
        verifier4 writeverf;            /* write verifier */
} COMMIT4res;

typedef union ftype4_u {
        utf8string linkdata;            /* linktext4: NF4LNK target */
        specdata4 devdata;              /* NF4BLK, NF4CHR */
} ftype4_u;

typedef struct CREATE4args {
        nfs_ftype4 type;                /* object type */
        ftype4_u ftype4_u;              /* type-specific data */
        utf8string objname;             /* component4: new name */
        fattr4 createattrs;             /* initial attributes */
} CREATE4args;

typedef struct CREATE4res {
        nfsstat4 status;                /* result */
        change_info4 cinfo;             /* directory change */
        bitmap4 attrset;                /* attributes set */
} CREATE4res;

typedef struct DELEGPURGE4args {
        clientid4 clientid;             /* client */
} DELEGPURGE4args;

typedef struct DELEGPURGE4res {
        nfsstat4 status;                /* result */
} DELEGPURGE4res;

typedef struct DELEGRETURN4args {
        stateid4 deleg_stateid;         /* delegation returned */
} DELEGRETURN4args;

typedef struct DELEGRETURN4res {
        nfsstat4 status;                /* result */
} DELEGRETURN4res;

typedef struct GETATTR4args {
        bitmap4 attr_request;           /* attributes requested */
} GETATTR4args;

typedef struct GETATTR4res {
        nfsstat4 status;                /* result */
        fattr4 obj_attributes;          /* attributes */
} GETATTR4res;

typedef struct GETFH4args {
} GETFH4args;

typedef struct GETFH4res {
        nfsstat4 status;                /* result */
        nfs_fh4 object;                 /* current file handle */
} GETFH4res;

typedef struct LINK4args {
        utf8string newname;             /* component4: new link name */
} LINK4args;

typedef struct LINK4res {
        nfsstat4 status;                /* result */
        change_info4 cinfo;             /* directory change */
} LINK4res;

typedef struct LOCK4args {
        nfs_lock_type4 locktype;        /* READ_LT, WRITE_LT ... */
        bool_t reclaim;                 /* reclaim after reboot */
        offset4 offset;                 /* start of the range */
        length4 length;                 /* length of the range */
        locker4 locker;                 /* lock owner */
} LOCK4args;

typedef union LOCK4res_u {
        stateid4 lock_stateid;          /* NFS4_OK */
        LOCK4denied denied;             /* NFS4ERR_DENIED */
} LOCK4res_u;

typedef struct LOCK4res {
        nfsstat4 status;                /* result */
        LOCK4res_u LOCK4res_u;          /* lock state or conflict */
} LOCK4res;

typedef struct LOCKT4args {
        nfs_lock_type4 locktype;        /* READ_LT, WRITE_LT ... */
        offset4 offset;                 /* start of the range */
        length4 length;                 /* length of the range */
        lock_owner4 owner;              /* lock owner */
} LOCKT4args;

typedef struct LOCKT4res {
        nfsstat4 status;                /* result */
        LOCK4denied denied;             /* conflict (NFS4ERR_DENIED) */
} LOCKT4res;

typedef struct LOCKU4args {
        nfs_lock_type4 locktype;        /* READ_LT, WRITE_LT ... */
        seqid4 seqid;                   /* lock-owner sequence */
        stateid4 lock_stateid;          /* lock state */
        offset4 offset;                 /* start of the range */
        length4 length;                 /* length of the range */
} LOCKU4args;

typedef struct LOCKU4res {
        nfsstat4 status;                /* result */
        stateid4 lock_stateid;          /* updated lock state */
} LOCKU4res;

typedef struct LOOKUP4args {
        utf8string objname;             /* component4: name looked up */
} LOOKUP4args;

typedef struct LOOKUP4res {
        nfsstat4 status;                /* result */
} LOOKUP4res;

typedef struct LOOKUPP4args {
} LOOKUPP4args;

typedef struct LOOKUPP4res {
        nfsstat4 status;                /* result */
} LOOKUPP4res;

typedef struct NVERIFY4args {
        fattr4 obj_attributes;          /* attributes compared */
} NVERIFY4args;

typedef struct NVERIFY4res {
        nfsstat4 status;                /* result */
} NVERIFY4res;

typedef union createhow4_u {
        fattr4 createattrs;             /* UNCHECKED4, GUARDED4 */
        verifier4 createverf;           /* EXCLUSIVE4 */
} createhow4_u;

typedef union open_claim4_u {
        utf8string file;                /* CLAIM_NULL: component4 */
        open_delegation_type4 delegate_type; /* CLAIM_PREVIOUS */
        open_claim_delegate_cur4 delegate_cur_info; /* CLAIM_DELEGATE_CUR */
        utf8string file_delegate_prev;  /* CLAIM_DELEGATE_PREV */
} open_claim4_u;

typedef struct OPEN4args {
        seqid4 seqid;                   /* open-owner sequence */
        uint32_t share_access;          /* OPEN4_SHARE_ACCESS_* */
        uint32_t share_deny;            /* OPEN4_SHARE_DENY_* */
        open_owner4 owner;              /* open owner */
        opentype4 opentype;             /* OPEN4_NOCREATE, OPEN4_CREATE */
        createmode4 mode;               /* UNCHECKED4, GUARDED4, EXCLUSIVE4 */
        createhow4_u createhow4_u;      /* creation attributes/verifier */
        open_claim_type4 claim;         /* CLAIM_* */
        open_claim4_u open_claim4_u;    /* what is opened */
} OPEN4args;

typedef struct OPEN4res {
        nfsstat4 status;                /* result */
        stateid4 stateid;               /* open state */
        change_info4 cinfo;             /* directory change */
        uint32_t rflags;                /* OPEN4_RESULT_* */
        bitmap4 attrset;                /* attributes set on create */
        open_delegation4 delegation;    /* delegation granted */
} OPEN4res;

typedef struct OPENATTR4args {
        bool_t createdir;               /* create the attribute directory */
} OPENATTR4args;

typedef struct OPENATTR4res {
        nfsstat4 status;                /* result */
} OPENATTR4res;

typedef struct OPEN_CONFIRM4args {
        stateid4 open_stateid;          /* open state */
        seqid4 seqid;                   /* open-owner sequence */
} OPEN_CONFIRM4args;

typedef struct OPEN_CONFIRM4res {
        nfsstat4 status;                /* result */
        stateid4 open_stateid;          /* confirmed open state */
} OPEN_CONFIRM4res;

typedef struct OPEN_DOWNGRADE4args {
        stateid4 open_stateid;          /* open state */
        seqid4 seqid;                   /* open-owner sequence */
        uint32_t share_access;          /* OPEN4_SHARE_ACCESS_* */
        uint32_t share_deny;            /* OPEN4_SHARE_DENY_* */
} OPEN_DOWNGRADE4args;

typedef struct OPEN_DOWNGRADE4res {
        nfsstat4 status;                /* result */
        stateid4 open_stateid;          /* updated open state */
} OPEN_DOWNGRADE4res;

typedef struct PUTFH4args {
        nfs_fh4 object;                 /* new current file handle */
} PUTFH4args;

typedef struct PUTFH4res {
        nfsstat4 status;                /* result */
} PUTFH4res;

typedef struct PUTPUBFH4args {
} PUTPUBFH4args;

typedef struct PUTPUBFH4res {
        nfsstat4 status;                /* result */
} PUTPUBFH4res;

typedef struct PUTROOTFH4args {
} PUTROOTFH4args;

typedef struct PUTROOTFH4res {
        nfsstat4 status;                /* result */
} PUTROOTFH4res;

typedef struct READ4args {
        stateid4 stateid;               /* open, lock or delegation state */
        offset4 offset;                 /* file offset */
        count4 count;                   /* bytes requested */
} READ4args;

typedef struct READ4res {
        nfsstat4 status;                /* result */
        bool_t eof;                     /* end of file reached */
        uint_t data_len;                /* bytes returned */
        char *data_val;                 /* the data */
} READ4res;

typedef struct READDIR4args {
        nfs_cookie4 cookie;             /* where to start */
        verifier4 cookieverf;           /* cookie verifier */
        count4 dircount;                /* bytes of names and cookies */
        count4 maxcount;                /* bytes of the whole reply */
        bitmap4 attr_request;           /* attributes per entry */
} READDIR4args;

typedef struct READDIR4res {
        nfsstat4 status;                /* result */
        verifier4 cookieverf;           /* cookie verifier */
        uint_t data_len;                /* bytes of encoded entries */
} READDIR4res;

typedef struct READLINK4args {
} READLINK4args;

typedef struct READLINK4res {
        nfsstat4 status;                /* result */
        utf8string link;                /* linktext4: link target */
} READLINK4res;

typedef struct RELEASE_LOCKOWNER4args {
        lock_owner4 lock_owner;         /* owner released */
} RELEASE_LOCKOWNER4args;

typedef struct RELEASE_LOCKOWNER4res {
        nfsstat4 status;                /* result */
} RELEASE_LOCKOWNER4res;

typedef struct REMOVE4args {
        utf8string target;              /* component4: name removed */
} REMOVE4args;

typedef struct REMOVE4res {
        nfsstat4 status;                /* result */
        change_info4 cinfo;             /* directory change */
} REMOVE4res;

typedef struct RENAME4args {
        utf8string oldname;             /* component4: source name */
        utf8string newname;             /* component4: target name */
} RENAME4args;

typedef struct RENAME4res {
        nfsstat4 status;                /* result */
        change_info4 source_cinfo;      /* source directory change */
        change_info4 target_cinfo;      /* target directory change */
} RENAME4res;

typedef struct RENEW4args {
        clientid4 clientid;             /* client renewing its lease */
} RENEW4args;

typedef struct RENEW4res {
        nfsstat4 status;                /* result */
} RENEW4res;

typedef struct SAVEFH4args {
} SAVEFH4args;

typedef struct SAVEFH4res {
        nfsstat4 status;                /* result */
} SAVEFH4res;

typedef struct SECINFO4args {
        utf8string name;                /* component4: name queried */
} SECINFO4args;

typedef struct SECINFO4res {
        nfsstat4 status;                /* result */
        uint_t SECINFO4resok_len;       /* number of flavors */
        secinfo4 *SECINFO4resok_val;    /* the flavors */
} SECINFO4res;

typedef struct SETATTR4args {
        stateid4 stateid;               /* state for size changes */
        fattr4 obj_attributes;          /* attributes to set */
} SETATTR4args;

typedef struct SETATTR4res {
        nfsstat4 status;                /* result */
        bitmap4 attrsset;               /* attributes set */
} SETATTR4res;

typedef struct SETCLIENTID4args {
        nfs_client_id4 client;          /* client identity */
        cb_client4 callback;            /* callback program and address */
        uint32_t callback_ident;        /* callback identifier */
} SETCLIENTID4args;

typedef union SETCLIENTID4res_u {
        SETCLIENTID4resok resok4;       /* NFS4_OK */
        clientaddr4 client_using;       /* NFS4ERR_CLID_INUSE */
} SETCLIENTID4res_u;

typedef struct SETCLIENTID4res {
        nfsstat4 status;                /* result */
        SETCLIENTID4res_u SETCLIENTID4res_u; /* client id or conflict */
} SETCLIENTID4res;

typedef struct SETCLIENTID_CONFIRM4args {
        clientid4 clientid;             /* client */
        verifier4 setclientid_confirm;  /* confirmation verifier */
} SETCLIENTID_CONFIRM4args;

typedef struct SETCLIENTID_CONFIRM4res {
        nfsstat4 status;                /* result */
} SETCLIENTID_CONFIRM4res;

typedef struct VERIFY4args {
        fattr4 obj_attributes;          /* attributes compared */
} VERIFY4args;

typedef struct VERIFY4res {
        nfsstat4 status;                /* result */
} VERIFY4res;

typedef struct WRITE4args {
        stateid4 stateid;               /* open, lock or delegation state */
        offset4 offset;                 /* file offset */
        stable_how4 stable;             /* UNSTABLE4, DATA_SYNC4, FILE_SYNC4 */
        uint_t data_len;                /* bytes to write */
        char *data_val;                 /* the data */
} WRITE4args;

typedef struct WRITE4res {
        nfsstat4 status;                /* result */
        count4 count;                   /* bytes written */
        stable_how4 committed;          /* how it was committed */
        verifier4 writeverf;            /* write verifier */
} WRITE4res;

typedef struct nfs_argop4 {
        nfs_opnum4 argop;               /* OP_* operation number */
} nfs_argop4;

typedef struct nfs_resop4 {
        nfs_opnum4 resop;               /* OP_* operation number */
} nfs_resop4;

typedef struct COMPOUND4args {
        utf8string tag;                 /* client's tag */
        uint32_t minorversion;          /* 0 for NFSv4.0 */
        uint_t array_len;               /* number of operations */
        nfs_argop4 *array;              /* the operations */
} COMPOUND4args;

typedef struct COMPOUND4res {
        nfsstat4 status;                /* status of the last operation done */
        utf8string tag;                 /* tag echoed */
        uint_t array_len;               /* number of results */
        nfs_resop4 *array;              /* the results */
} COMPOUND4res;
"""
)

# The callback program (RFC 7530 section 16.2).
declare(
    """
typedef struct CB_RECALL4args {
        stateid4 stateid;               /* delegation recalled */
        bool_t truncate;                /* file is to be truncated */
        nfs_fh4 fh;                     /* file handle */
} CB_RECALL4args;

typedef struct CB_RECALL4res {
        nfsstat4 status;                /* result */
} CB_RECALL4res;

typedef struct nfs_cb_argop4 {
        uint_t argop;                   /* OP_CB_* operation number */
} nfs_cb_argop4;

typedef struct nfs_cb_resop4 {
        uint_t resop;                   /* OP_CB_* operation number */
} nfs_cb_resop4;

typedef struct CB_COMPOUND4args {
        utf8string tag;                 /* server's tag */
        uint32_t minorversion;          /* 0 for NFSv4.0 */
        uint32_t callback_ident;        /* from SETCLIENTID */
        uint_t array_len;               /* number of operations */
        nfs_cb_argop4 *array;           /* the operations */
} CB_COMPOUND4args;

typedef struct CB_COMPOUND4res {
        nfsstat4 status;                /* status of the last operation done */
        utf8string tag;                 /* tag echoed */
        uint_t array_len;               /* number of results */
        nfs_cb_resop4 *array;           /* the results */
} CB_COMPOUND4res;
"""
)

# (operation, args[2] of op-*-start, args[2] of op-*-done); None: no args[2].
OPERATIONS: tuple[tuple[str, str | None, str | None], ...] = (
    ("access", "ACCESS4args", "ACCESS4res"),
    ("close", "CLOSE4args", "CLOSE4res"),
    ("commit", "COMMIT4args", "COMMIT4res"),
    ("create", "CREATE4args", "CREATE4res"),
    ("delegpurge", "DELEGPURGE4args", "DELEGPURGE4res"),
    ("delegreturn", "DELEGRETURN4args", "DELEGRETURN4res"),
    ("getattr", "GETATTR4args", "GETATTR4res"),
    ("getfh", "GETFH4args", "GETFH4res"),
    ("link", "LINK4args", "LINK4res"),
    ("lock", "LOCK4args", "LOCK4res"),
    ("lockt", "LOCKT4args", "LOCKT4res"),
    ("locku", "LOCKU4args", "LOCKU4res"),
    ("lookup", "LOOKUP4args", "LOOKUP4res"),
    ("lookupp", "LOOKUPP4args", "LOOKUPP4res"),
    ("nverify", "NVERIFY4args", "NVERIFY4res"),
    ("open", "OPEN4args", "OPEN4res"),
    ("open-confirm", "OPEN_CONFIRM4args", "OPEN_CONFIRM4res"),
    ("open-downgrade", "OPEN_DOWNGRADE4args", "OPEN_DOWNGRADE4res"),
    ("openattr", "OPENATTR4args", "OPENATTR4res"),
    ("putfh", "PUTFH4args", "PUTFH4res"),
    ("putpubfh", "PUTPUBFH4args", "PUTPUBFH4res"),
    ("putrootfh", "PUTROOTFH4args", "PUTROOTFH4res"),
    ("read", "READ4args", "READ4res"),
    ("readdir", "READDIR4args", "READDIR4res"),
    ("readlink", "READLINK4args", "READLINK4res"),
    ("release-lockowner", "RELEASE_LOCKOWNER4args", "RELEASE_LOCKOWNER4res"),
    ("remove", "REMOVE4args", "REMOVE4res"),
    ("rename", "RENAME4args", "RENAME4res"),
    ("renew", "RENEW4args", "RENEW4res"),
    ("restorefh", None, None),
    ("savefh", "SAVEFH4args", "SAVEFH4res"),
    ("secinfo", "SECINFO4args", "SECINFO4res"),
    ("setattr", "SETATTR4args", "SETATTR4res"),
    ("setclientid", "SETCLIENTID4args", "SETCLIENTID4res"),
    (
        "setclientid-confirm",
        "SETCLIENTID_CONFIRM4args",
        "SETCLIENTID_CONFIRM4res",
    ),
    ("verify", "VERIFY4args", "VERIFY4res"),
    ("write", "WRITE4args", "WRITE4res"),
)

# Solaris's probes live in the nfssrv module; the function is the server's.
_OP = "conninfo_t *, nfsv4opinfo_t *"
_CB = "conninfo_t *, nfsv4cbinfo_t *"
_CBC = "conninfo_t *, void *, CB_COMPOUND4"


def _op_args(struct: str | None) -> str:
    return _OP if struct is None else f"{_OP}, {struct} *"


def _function(op: str) -> str:
    return "rfs4_op_" + op.replace("-", "_")


provider(
    "nfsv4",
    [
        ("nfssrv", "rfs4_compound", "compound-op-start", f"{_OP}, COMPOUND4args *"),
        ("nfssrv", "rfs4_compound", "compound-op-done", f"{_OP}, COMPOUND4res *"),
        *(
            probe
            for op, start, done in OPERATIONS
            for probe in (
                ("nfssrv", _function(op), f"op-{op}-start", _op_args(start)),
                ("nfssrv", _function(op), f"op-{op}-done", _op_args(done)),
            )
        ),
        # Callback compounds: args[1] is reserved ("undefined" in the guide).
        ("nfssrv", "rfs4_do_callback", "compound-cb-start", _CBC + "args *"),
        ("nfssrv", "rfs4_do_callback", "compound-cb-done", _CBC + "res *"),
        ("nfssrv", "rfs4_do_cb_recall", "cb-recall-start", f"{_CB}, CB_RECALL4args *"),
        ("nfssrv", "rfs4_do_cb_recall", "cb-recall-done", f"{_CB}, CB_RECALL4res *"),
    ],
    doc="NFS version 4 server operations, seen from the server (RFC 7530).",
)
