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
``OPEN_DOWNGRADE4res *`` (printed ``...4args *``).  ``cb-getattr-start/done``
are in the guide's table, which says Solaris's server never sends CB_GETATTR:
they fire when a capture holds one (another server's).

pcapprobe extensions (``Probe.extension``, marked in ``pcapprobe list -v`` and
docs/providers.md): probes for the NFSv4.1/4.2 operations (RFC 8881 §18.33-58,
RFC 7862 §15, RFC 8276 §8.4), ILLEGAL and the 4.1 callback operations, which
Solaris's provider has none of, named in its pattern (``op-sequence-start``,
``cb-sequence-done``); args[2] has the RFC's XDR member names, opaque bodies
given by their lengths.  On NFSv4.0 traffic none of them fires, so a Solaris
script sees what Solaris would show; on 4.1 a script enabling ``op-*`` sees
them too.
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

typedef struct CB_GETATTR4args {
        nfs_fh4 fh;                     /* file handle */
        bitmap4 attr_request;           /* attributes requested */
} CB_GETATTR4args;

typedef struct CB_GETATTR4res {
        nfsstat4 status;                /* result */
        fattr4 obj_attributes;          /* attributes */
} CB_GETATTR4res;

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

# pcapprobe extensions: NFSv4.1 (RFC 8881 §18.33-58), NFSv4.2 (RFC 7862 §15),
# extended attributes (RFC 8276 §8.4) and the 4.1 callbacks (RFC 8881 §20).
# Opaque bodies (layouts, device addresses, security parameters) are given by
# their lengths; sessionid4 and deviceid4 are 16 bytes.
declare(
    """
typedef struct channel_attrs4 {
        uint32_t ca_headerpadsize;      /* header padding */
        uint32_t ca_maxrequestsize;     /* largest request */
        uint32_t ca_maxresponsesize;    /* largest reply */
        uint32_t ca_maxresponsesize_cached; /* largest cached reply */
        uint32_t ca_maxoperations;      /* operations per COMPOUND */
        uint32_t ca_maxrequests;        /* slots */
        uint_t ca_rdma_ird_len;         /* RDMA inbound read depth given (0, 1) */
} channel_attrs4;

typedef struct client_owner4 {
        verifier4 co_verifier;          /* client incarnation */
        uint_t co_ownerid_len;          /* length of co_ownerid */
        char *co_ownerid;               /* client identifier */
} client_owner4;

typedef struct server_owner4 {
        uint64_t so_minor_id;           /* minor id */
        uint_t so_major_id_len;         /* length of so_major_id */
        char *so_major_id;              /* major id */
} server_owner4;

typedef struct nfs_impl_id4 {
        utf8string nii_domain;          /* implementation's DNS domain */
        utf8string nii_name;            /* implementation name */
        nfstime4 nii_date;              /* build date */
} nfs_impl_id4;

typedef struct layout_content4 {
        uint32_t loc_type;              /* layouttype4 */
        uint_t loc_body_len;            /* bytes of the layout body */
} layout_content4;

typedef struct layout4 {
        offset4 lo_offset;              /* start of the range */
        length4 lo_length;              /* length of the range */
        uint32_t lo_iomode;             /* LAYOUTIOMODE4_* */
        layout_content4 lo_content;     /* the layout */
} layout4;

typedef struct write_response4 {
        uint_t wr_callback_id_len;      /* 1 when the copy is asynchronous */
        length4 wr_count;               /* bytes written */
        stable_how4 wr_committed;       /* how it was committed */
        verifier4 wr_writeverf;         /* write verifier */
} write_response4;

typedef struct netloc4 {
        uint32_t nl_type;               /* NL4_NAME, NL4_URL, NL4_NETADDR */
        utf8string nl_name;             /* NL4_NAME, NL4_URL */
        char *nl_netid;                 /* NL4_NETADDR: netid */
        char *nl_addr;                  /* NL4_NETADDR: universal address */
} netloc4;

typedef struct BACKCHANNEL_CTL4args {
        uint32_t bca_cb_program;        /* callback program */
        uint_t bca_sec_parms_len;       /* callback security parameters */
} BACKCHANNEL_CTL4args;

typedef struct BACKCHANNEL_CTL4res {
        nfsstat4 status;                /* result */
} BACKCHANNEL_CTL4res;

typedef struct BIND_CONN_TO_SESSION4args {
        char bctsa_sessid[16];          /* session */
        uint32_t bctsa_dir;             /* CDFC4_FORE, _BACK, _FORE_OR_BOTH... */
        bool_t bctsa_use_conn_in_rdma_mode; /* RDMA mode */
} BIND_CONN_TO_SESSION4args;

typedef struct BIND_CONN_TO_SESSION4res {
        nfsstat4 bctsr_status;          /* result */
        char bctsr_sessid[16];          /* session */
        uint32_t bctsr_dir;             /* CDFS4_FORE, _BACK, _BOTH */
        bool_t bctsr_use_conn_in_rdma_mode; /* RDMA mode */
} BIND_CONN_TO_SESSION4res;

typedef struct EXCHANGE_ID4args {
        client_owner4 eia_clientowner;  /* client identity */
        uint32_t eia_flags;             /* EXCHGID4_FLAG_* */
        uint32_t eia_state_protect;     /* SP4_NONE, SP4_MACH_CRED, SP4_SSV */
        uint_t eia_client_impl_id_len;  /* 0 or 1 */
        nfs_impl_id4 eia_client_impl_id; /* client implementation */
} EXCHANGE_ID4args;

typedef struct EXCHANGE_ID4res {
        nfsstat4 eir_status;            /* result */
        clientid4 eir_clientid;         /* client id */
        uint32_t eir_sequenceid;        /* CREATE_SESSION sequence */
        uint32_t eir_flags;             /* EXCHGID4_FLAG_* */
        uint32_t eir_state_protect;     /* SP4_* */
        server_owner4 eir_server_owner; /* server identity */
        uint_t eir_server_scope_len;    /* bytes of the server scope */
        uint_t eir_server_impl_id_len;  /* 0 or 1 */
        nfs_impl_id4 eir_server_impl_id; /* server implementation */
} EXCHANGE_ID4res;

typedef struct CREATE_SESSION4args {
        clientid4 csa_clientid;         /* client */
        uint32_t csa_sequence;          /* sequence */
        uint32_t csa_flags;             /* CREATE_SESSION4_FLAG_* */
        channel_attrs4 csa_fore_chan_attrs; /* fore channel */
        channel_attrs4 csa_back_chan_attrs; /* back channel */
        uint32_t csa_cb_program;        /* callback program */
        uint_t csa_sec_parms_len;       /* callback security parameters */
} CREATE_SESSION4args;

typedef struct CREATE_SESSION4res {
        nfsstat4 csr_status;            /* result */
        char csr_sessionid[16];         /* session */
        uint32_t csr_sequence;          /* sequence */
        uint32_t csr_flags;             /* CREATE_SESSION4_FLAG_* */
        channel_attrs4 csr_fore_chan_attrs; /* fore channel */
        channel_attrs4 csr_back_chan_attrs; /* back channel */
} CREATE_SESSION4res;

typedef struct DESTROY_SESSION4args {
        char dsa_sessionid[16];         /* session */
} DESTROY_SESSION4args;

typedef struct DESTROY_SESSION4res {
        nfsstat4 status;                /* result */
} DESTROY_SESSION4res;

typedef struct FREE_STATEID4args {
        stateid4 fsa_stateid;           /* state freed */
} FREE_STATEID4args;

typedef struct FREE_STATEID4res {
        nfsstat4 status;                /* result */
} FREE_STATEID4res;

typedef struct GET_DIR_DELEGATION4args {
        bool_t gdda_signal_deleg_avail; /* signal when available */
        bitmap4 gdda_notification_types; /* notifications wanted */
        nfstime4 gdda_child_attr_delay; /* child attribute delay */
        nfstime4 gdda_dir_attr_delay;   /* directory attribute delay */
        bitmap4 gdda_child_attributes;  /* child attributes */
        bitmap4 gdda_dir_attributes;    /* directory attributes */
} GET_DIR_DELEGATION4args;

typedef struct GET_DIR_DELEGATION4res {
        nfsstat4 gddr_status;           /* result */
        uint32_t gddrnf_status;         /* GDD4_OK, GDD4_UNAVAIL */
        verifier4 gddr_cookieverf;      /* GDD4_OK: cookie verifier */
        stateid4 gddr_stateid;          /* GDD4_OK: delegation */
        bitmap4 gddr_notification;      /* GDD4_OK: notifications */
        bitmap4 gddr_child_attributes;  /* GDD4_OK: child attributes */
        bitmap4 gddr_dir_attributes;    /* GDD4_OK: directory attributes */
        bool_t gddrnf_will_signal_deleg_avail; /* GDD4_UNAVAIL */
} GET_DIR_DELEGATION4res;

typedef struct GETDEVICEINFO4args {
        char gdia_device_id[16];        /* device */
        uint32_t gdia_layout_type;      /* layouttype4 */
        count4 gdia_maxcount;           /* largest reply */
        bitmap4 gdia_notify_types;      /* notifications wanted */
} GETDEVICEINFO4args;

typedef struct GETDEVICEINFO4res {
        nfsstat4 gdir_status;           /* result */
        uint32_t gdir_layout_type;      /* NFS4_OK: layouttype4 */
        uint_t gdir_addr_body_len;      /* NFS4_OK: bytes of the device address */
        bitmap4 gdir_notification;      /* NFS4_OK: notifications */
        count4 gdir_mincount;           /* NFS4ERR_TOOSMALL: size needed */
} GETDEVICEINFO4res;

typedef struct GETDEVICELIST4args {
        uint32_t gdla_layout_type;      /* layouttype4 */
        count4 gdla_maxdevices;         /* most devices wanted */
        nfs_cookie4 gdla_cookie;        /* where to start */
        verifier4 gdla_cookieverf;      /* cookie verifier */
} GETDEVICELIST4args;

typedef struct GETDEVICELIST4res {
        nfsstat4 gdlr_status;           /* result */
        nfs_cookie4 gdlr_cookie;        /* where to go on */
        verifier4 gdlr_cookieverf;      /* cookie verifier */
        uint_t gdlr_deviceid_list_len;  /* devices returned */
        bool_t gdlr_eof;                /* last device */
} GETDEVICELIST4res;

typedef struct LAYOUTCOMMIT4args {
        offset4 loca_offset;            /* start of the range */
        length4 loca_length;            /* length of the range */
        bool_t loca_reclaim;            /* reclaim */
        stateid4 loca_stateid;          /* layout state */
        bool_t loca_last_write_offset_changed; /* new offset given */
        offset4 loca_last_write_offset; /* last byte written */
        bool_t loca_time_modify_changed; /* new time given */
        nfstime4 loca_time_modify;      /* modification time */
        uint32_t loca_layoutupdate_type; /* layouttype4 */
        uint_t loca_layoutupdate_len;   /* bytes of the layout update */
} LAYOUTCOMMIT4args;

typedef struct LAYOUTCOMMIT4res {
        nfsstat4 locr_status;           /* result */
        bool_t locr_sizechanged;        /* new size given */
        length4 locr_newsize;           /* new file size */
} LAYOUTCOMMIT4res;

typedef struct LAYOUTGET4args {
        bool_t loga_signal_layout_avail; /* signal when available */
        uint32_t loga_layout_type;      /* layouttype4 */
        uint32_t loga_iomode;           /* LAYOUTIOMODE4_* */
        offset4 loga_offset;            /* start of the range */
        length4 loga_length;            /* length of the range */
        length4 loga_minlength;         /* shortest acceptable */
        stateid4 loga_stateid;          /* open, lock, delegation or layout state */
        count4 loga_maxcount;           /* largest reply */
} LAYOUTGET4args;

typedef struct LAYOUTGET4res {
        nfsstat4 logr_status;           /* result */
        bool_t logr_return_on_close;    /* NFS4_OK: return on close */
        stateid4 logr_stateid;          /* NFS4_OK: layout state */
        uint_t logr_layout_len;         /* NFS4_OK: layouts returned */
        layout4 logr_layout;            /* NFS4_OK: the first layout */
        bool_t logr_will_signal_layout_avail; /* NFS4ERR_LAYOUTTRYLATER */
} LAYOUTGET4res;

typedef struct LAYOUTRETURN4args {
        bool_t lora_reclaim;            /* reclaim */
        uint32_t lora_layout_type;      /* layouttype4 */
        uint32_t lora_iomode;           /* LAYOUTIOMODE4_* */
        uint32_t lora_layoutreturn_type; /* LAYOUTRETURN4_FILE, _FSID, _ALL */
        offset4 lrf_offset;             /* FILE: start of the range */
        length4 lrf_length;             /* FILE: length of the range */
        stateid4 lrf_stateid;           /* FILE: layout state */
        uint_t lrf_body_len;            /* FILE: bytes of the return body */
} LAYOUTRETURN4args;

typedef struct LAYOUTRETURN4res {
        nfsstat4 lorr_status;           /* result */
        bool_t lrs_present;             /* layout state remains */
        stateid4 lrs_stateid;           /* layout state */
} LAYOUTRETURN4res;

typedef struct SECINFO_NO_NAME4args {
        uint32_t style;                 /* SECINFO_STYLE4_CURRENT_FH, _PARENT */
} SECINFO_NO_NAME4args;

typedef struct SEQUENCE4args {
        char sa_sessionid[16];          /* session */
        uint32_t sa_sequenceid;         /* slot sequence */
        uint32_t sa_slotid;             /* slot */
        uint32_t sa_highest_slotid;     /* highest slot in use */
        bool_t sa_cachethis;            /* cache the reply */
} SEQUENCE4args;

typedef struct SEQUENCE4res {
        nfsstat4 sr_status;             /* result */
        char sr_sessionid[16];          /* session */
        uint32_t sr_sequenceid;         /* slot sequence */
        uint32_t sr_slotid;             /* slot */
        uint32_t sr_highest_slotid;     /* highest slot */
        uint32_t sr_target_highest_slotid; /* slots the server wants used */
        uint32_t sr_status_flags;       /* SEQ4_STATUS_* */
} SEQUENCE4res;

typedef struct SET_SSV4args {
        uint_t ssa_ssv_len;             /* bytes of the SSV */
        uint_t ssa_digest_len;          /* bytes of the digest */
} SET_SSV4args;

typedef struct SET_SSV4res {
        nfsstat4 ssr_status;            /* result */
        uint_t ssr_digest_len;          /* bytes of the digest */
} SET_SSV4res;

typedef struct TEST_STATEID4args {
        uint_t ts_stateids_len;         /* stateids tested */
        stateid4 *ts_stateids;          /* the stateids */
} TEST_STATEID4args;

typedef struct TEST_STATEID4res {
        nfsstat4 tsr_status;            /* result */
        uint_t tsr_status_codes_len;    /* results */
        nfsstat4 *tsr_status_codes;     /* one per stateid */
} TEST_STATEID4res;

typedef struct WANT_DELEGATION4args {
        uint32_t wda_want;              /* OPEN4_SHARE_ACCESS_WANT_* */
        uint32_t wda_claim;             /* CLAIM_FH, CLAIM_PREVIOUS, ... */
        open_delegation_type4 wda_delegate_type; /* CLAIM_PREVIOUS */
} WANT_DELEGATION4args;

typedef struct WANT_DELEGATION4res {
        nfsstat4 wdr_status;            /* result */
        open_delegation4 wdr_delegation; /* delegation granted */
} WANT_DELEGATION4res;

typedef struct DESTROY_CLIENTID4args {
        clientid4 dca_clientid;         /* client */
} DESTROY_CLIENTID4args;

typedef struct DESTROY_CLIENTID4res {
        nfsstat4 status;                /* result */
} DESTROY_CLIENTID4res;

typedef struct RECLAIM_COMPLETE4args {
        bool_t rca_one_fs;              /* for the current file system only */
} RECLAIM_COMPLETE4args;

typedef struct RECLAIM_COMPLETE4res {
        nfsstat4 status;                /* result */
} RECLAIM_COMPLETE4res;

typedef struct ALLOCATE4args {
        stateid4 aa_stateid;            /* state */
        offset4 aa_offset;              /* start of the range */
        length4 aa_length;              /* length of the range */
} ALLOCATE4args;

typedef struct ALLOCATE4res {
        nfsstat4 status;                /* result */
} ALLOCATE4res;

typedef struct COPY4args {
        stateid4 ca_src_stateid;        /* source state */
        stateid4 ca_dst_stateid;        /* destination state */
        offset4 ca_src_offset;          /* source offset */
        offset4 ca_dst_offset;          /* destination offset */
        length4 ca_count;               /* bytes to copy */
        bool_t ca_consecutive;          /* copy in order */
        bool_t ca_synchronous;          /* reply when done */
        uint_t ca_source_server_len;    /* inter-server sources */
} COPY4args;

typedef struct COPY4res {
        nfsstat4 cr_status;             /* result */
        write_response4 cr_response;    /* NFS4_OK */
        bool_t cr_consecutive;          /* copy_requirements4 */
        bool_t cr_synchronous;          /* copy_requirements4 */
} COPY4res;

typedef struct COPY_NOTIFY4args {
        stateid4 cna_src_stateid;       /* source state */
        netloc4 cna_destination_server; /* destination server */
} COPY_NOTIFY4args;

typedef struct COPY_NOTIFY4res {
        nfsstat4 cnr_status;            /* result */
        nfstime4 cnr_lease_time;        /* NFS4_OK: how long the copy may start */
        stateid4 cnr_stateid;           /* NFS4_OK: copy state */
        uint_t cnr_source_server_len;   /* NFS4_OK: source addresses */
} COPY_NOTIFY4res;

typedef struct DEALLOCATE4args {
        stateid4 da_stateid;            /* state */
        offset4 da_offset;              /* start of the range */
        length4 da_length;              /* length of the range */
} DEALLOCATE4args;

typedef struct DEALLOCATE4res {
        nfsstat4 status;                /* result */
} DEALLOCATE4res;

typedef struct IO_ADVISE4args {
        stateid4 iaa_stateid;           /* state */
        offset4 iaa_offset;             /* start of the range */
        length4 iaa_count;              /* length of the range */
        bitmap4 iaa_hints;              /* IO_ADVISE4_* */
} IO_ADVISE4args;

typedef struct IO_ADVISE4res {
        nfsstat4 ior_status;            /* result */
        bitmap4 ior_hints;              /* hints taken */
} IO_ADVISE4res;

typedef struct LAYOUTERROR4args {
        offset4 lea_offset;             /* start of the range */
        length4 lea_length;             /* length of the range */
        stateid4 lea_stateid;           /* layout state */
        uint_t lea_errors_len;          /* device errors reported */
} LAYOUTERROR4args;

typedef struct LAYOUTERROR4res {
        nfsstat4 status;                /* result */
} LAYOUTERROR4res;

typedef struct LAYOUTSTATS4args {
        offset4 lsa_offset;             /* start of the range */
        length4 lsa_length;             /* length of the range */
        stateid4 lsa_stateid;           /* layout state */
        uint64_t lsa_read_count;        /* reads */
        uint64_t lsa_read_bytes;        /* bytes read */
        uint64_t lsa_write_count;       /* writes */
        uint64_t lsa_write_bytes;       /* bytes written */
        char lsa_deviceid[16];          /* device */
        uint32_t lsa_layoutupdate_type; /* layouttype4 */
        uint_t lsa_layoutupdate_len;    /* bytes of the layout update */
} LAYOUTSTATS4args;

typedef struct LAYOUTSTATS4res {
        nfsstat4 status;                /* result */
} LAYOUTSTATS4res;

typedef struct OFFLOAD_CANCEL4args {
        stateid4 oca_stateid;           /* copy state */
} OFFLOAD_CANCEL4args;

typedef struct OFFLOAD_CANCEL4res {
        nfsstat4 status;                /* result */
} OFFLOAD_CANCEL4res;

typedef struct OFFLOAD_STATUS4args {
        stateid4 osa_stateid;           /* copy state */
} OFFLOAD_STATUS4args;

typedef struct OFFLOAD_STATUS4res {
        nfsstat4 osr_status;            /* result */
        length4 osr_count;              /* NFS4_OK: bytes copied */
        uint_t osr_complete_len;        /* NFS4_OK: 1 when the copy ended */
        nfsstat4 osr_complete;          /* NFS4_OK: how it ended */
} OFFLOAD_STATUS4res;

typedef struct READ_PLUS4args {
        stateid4 rpa_stateid;           /* state */
        offset4 rpa_offset;             /* file offset */
        count4 rpa_count;               /* bytes requested */
} READ_PLUS4args;

typedef struct READ_PLUS4res {
        nfsstat4 rpr_status;            /* result */
        bool_t rpr_eof;                 /* end of file reached */
        uint_t rpr_contents_len;        /* data and hole segments */
        uint64_t rpr_data_len;          /* bytes of data returned */
        uint64_t rpr_hole_len;          /* bytes of holes reported */
} READ_PLUS4res;

typedef struct SEEK4args {
        stateid4 sa_stateid;            /* state */
        offset4 sa_offset;              /* where to start */
        uint32_t sa_what;               /* NFS4_CONTENT_DATA, _HOLE */
} SEEK4args;

typedef struct SEEK4res {
        nfsstat4 sr_status;             /* result */
        bool_t sr_eof;                  /* end of file reached */
        offset4 sr_offset;              /* where it is */
} SEEK4res;

typedef struct WRITE_SAME4args {
        stateid4 wsa_stateid;           /* state */
        stable_how4 wsa_stable;         /* UNSTABLE4, DATA_SYNC4, FILE_SYNC4 */
        offset4 wsa_offset;             /* app_data_block4: offset */
        length4 wsa_block_size;         /* block size */
        length4 wsa_block_count;        /* blocks */
        length4 wsa_reloff_blocknum;    /* offset of the block number */
        count4 wsa_block_num;           /* first block number */
        length4 wsa_reloff_pattern;     /* offset of the pattern */
        uint_t wsa_pattern_len;         /* bytes of the pattern */
} WRITE_SAME4args;

typedef struct WRITE_SAME4res {
        nfsstat4 wsr_status;            /* result */
        write_response4 wsr_resok4;     /* NFS4_OK */
} WRITE_SAME4res;

typedef struct CLONE4args {
        stateid4 cl_src_stateid;        /* source state */
        stateid4 cl_dst_stateid;        /* destination state */
        offset4 cl_src_offset;          /* source offset */
        offset4 cl_dst_offset;          /* destination offset */
        length4 cl_count;               /* bytes, 0 = to end of file */
} CLONE4args;

typedef struct CLONE4res {
        nfsstat4 status;                /* result */
} CLONE4res;

typedef struct GETXATTR4args {
        utf8string gxa_name;            /* attribute name */
} GETXATTR4args;

typedef struct GETXATTR4res {
        nfsstat4 gxr_status;            /* result */
        uint_t gxr_value_len;           /* NFS4_OK: bytes of the value */
} GETXATTR4res;

typedef struct SETXATTR4args {
        uint32_t sxa_option;            /* SETXATTR4_EITHER, _CREATE, _REPLACE */
        utf8string sxa_key;             /* attribute name */
        uint_t sxa_value_len;           /* bytes of the value */
} SETXATTR4args;

typedef struct SETXATTR4res {
        nfsstat4 sxr_status;            /* result */
        change_info4 sxr_info;          /* NFS4_OK: change */
} SETXATTR4res;

typedef struct LISTXATTRS4args {
        nfs_cookie4 lxa_cookie;         /* where to start */
        count4 lxa_maxcount;            /* largest reply */
} LISTXATTRS4args;

typedef struct LISTXATTRS4res {
        nfsstat4 lxr_status;            /* result */
        nfs_cookie4 lxr_cookie;         /* NFS4_OK: where to go on */
        uint_t lxr_names_len;           /* NFS4_OK: names returned */
        bool_t lxr_eof;                 /* NFS4_OK: last name */
} LISTXATTRS4res;

typedef struct REMOVEXATTR4args {
        utf8string rxa_name;            /* attribute name */
} REMOVEXATTR4args;

typedef struct REMOVEXATTR4res {
        nfsstat4 rxr_status;            /* result */
        change_info4 rxr_info;          /* NFS4_OK: change */
} REMOVEXATTR4res;

typedef struct ILLEGAL4res {
        nfsstat4 status;                /* NFS4ERR_OP_ILLEGAL */
} ILLEGAL4res;

typedef struct CB_LAYOUTRECALL4args {
        uint32_t clora_type;            /* layouttype4 */
        uint32_t clora_iomode;          /* LAYOUTIOMODE4_* */
        bool_t clora_changed;           /* layout changed */
        uint32_t clora_recall_type;     /* LAYOUTRECALL4_FILE, _FSID, _ALL */
} CB_LAYOUTRECALL4args;

typedef struct CB_LAYOUTRECALL4res {
        nfsstat4 status;                /* result */
} CB_LAYOUTRECALL4res;

typedef struct CB_RECALL_ANY4args {
        uint32_t craa_objects_to_keep;  /* objects the client may keep */
        bitmap4 craa_type_mask;         /* RCA4_TYPE_MASK_* */
} CB_RECALL_ANY4args;

typedef struct CB_RECALL_ANY4res {
        nfsstat4 status;                /* result */
} CB_RECALL_ANY4res;

typedef struct CB_RECALL_SLOT4args {
        uint32_t rsa_target_highest_slotid; /* slots to keep */
} CB_RECALL_SLOT4args;

typedef struct CB_RECALL_SLOT4res {
        nfsstat4 status;                /* result */
} CB_RECALL_SLOT4res;

typedef struct CB_SEQUENCE4args {
        char csa_sessionid[16];         /* session */
        uint32_t csa_sequenceid;        /* slot sequence */
        uint32_t csa_slotid;            /* slot */
        uint32_t csa_highest_slotid;    /* highest slot in use */
        bool_t csa_cachethis;           /* cache the reply */
        uint_t csa_referring_call_lists_len; /* referring calls */
} CB_SEQUENCE4args;

typedef struct CB_SEQUENCE4res {
        nfsstat4 csr_status;            /* result */
        char csr_sessionid[16];         /* session */
        uint32_t csr_sequenceid;        /* slot sequence */
        uint32_t csr_slotid;            /* slot */
        uint32_t csr_highest_slotid;    /* highest slot */
        uint32_t csr_target_highest_slotid; /* slots the client wants used */
} CB_SEQUENCE4res;

typedef struct CB_ILLEGAL4res {
        nfsstat4 status;                /* NFS4ERR_OP_ILLEGAL */
} CB_ILLEGAL4res;
"""
)

# (operation, args[2] of op-*-start, args[2] of op-*-done): NFSv4.1/4.2
# operations and ILLEGAL, in opcode order.
EXTENSIONS: tuple[tuple[str, str | None, str], ...] = (
    ("backchannel-ctl", "BACKCHANNEL_CTL4args", "BACKCHANNEL_CTL4res"),
    ("bind-conn-to-session", "BIND_CONN_TO_SESSION4args", "BIND_CONN_TO_SESSION4res"),
    ("exchange-id", "EXCHANGE_ID4args", "EXCHANGE_ID4res"),
    ("create-session", "CREATE_SESSION4args", "CREATE_SESSION4res"),
    ("destroy-session", "DESTROY_SESSION4args", "DESTROY_SESSION4res"),
    ("free-stateid", "FREE_STATEID4args", "FREE_STATEID4res"),
    ("get-dir-delegation", "GET_DIR_DELEGATION4args", "GET_DIR_DELEGATION4res"),
    ("getdeviceinfo", "GETDEVICEINFO4args", "GETDEVICEINFO4res"),
    ("getdevicelist", "GETDEVICELIST4args", "GETDEVICELIST4res"),
    ("layoutcommit", "LAYOUTCOMMIT4args", "LAYOUTCOMMIT4res"),
    ("layoutget", "LAYOUTGET4args", "LAYOUTGET4res"),
    ("layoutreturn", "LAYOUTRETURN4args", "LAYOUTRETURN4res"),
    ("secinfo-no-name", "SECINFO_NO_NAME4args", "SECINFO4res"),
    ("sequence", "SEQUENCE4args", "SEQUENCE4res"),
    ("set-ssv", "SET_SSV4args", "SET_SSV4res"),
    ("test-stateid", "TEST_STATEID4args", "TEST_STATEID4res"),
    ("want-delegation", "WANT_DELEGATION4args", "WANT_DELEGATION4res"),
    ("destroy-clientid", "DESTROY_CLIENTID4args", "DESTROY_CLIENTID4res"),
    ("reclaim-complete", "RECLAIM_COMPLETE4args", "RECLAIM_COMPLETE4res"),
    ("allocate", "ALLOCATE4args", "ALLOCATE4res"),
    ("copy", "COPY4args", "COPY4res"),
    ("copy-notify", "COPY_NOTIFY4args", "COPY_NOTIFY4res"),
    ("deallocate", "DEALLOCATE4args", "DEALLOCATE4res"),
    ("io-advise", "IO_ADVISE4args", "IO_ADVISE4res"),
    ("layouterror", "LAYOUTERROR4args", "LAYOUTERROR4res"),
    ("layoutstats", "LAYOUTSTATS4args", "LAYOUTSTATS4res"),
    ("offload-cancel", "OFFLOAD_CANCEL4args", "OFFLOAD_CANCEL4res"),
    ("offload-status", "OFFLOAD_STATUS4args", "OFFLOAD_STATUS4res"),
    ("read-plus", "READ_PLUS4args", "READ_PLUS4res"),
    ("seek", "SEEK4args", "SEEK4res"),
    ("write-same", "WRITE_SAME4args", "WRITE_SAME4res"),
    ("clone", "CLONE4args", "CLONE4res"),
    ("getxattr", "GETXATTR4args", "GETXATTR4res"),
    ("setxattr", "SETXATTR4args", "SETXATTR4res"),
    ("listxattrs", "LISTXATTRS4args", "LISTXATTRS4res"),
    ("removexattr", "REMOVEXATTR4args", "REMOVEXATTR4res"),
    ("illegal", None, "ILLEGAL4res"),
)
# The 4.1 callback operations: (operation, args[2] of cb-*-start, of cb-*-done).
CB_EXTENSIONS: tuple[tuple[str, str | None, str], ...] = (
    ("layoutrecall", "CB_LAYOUTRECALL4args", "CB_LAYOUTRECALL4res"),
    ("recall-any", "CB_RECALL_ANY4args", "CB_RECALL_ANY4res"),
    ("recall-slot", "CB_RECALL_SLOT4args", "CB_RECALL_SLOT4res"),
    ("sequence", "CB_SEQUENCE4args", "CB_SEQUENCE4res"),
    ("illegal", None, "CB_ILLEGAL4res"),
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
        ("nfssrv", "rfs4_do_cb_getattr", "cb-getattr-start", f"{_CB}, CB_GETATTR4args *"),
        ("nfssrv", "rfs4_do_cb_getattr", "cb-getattr-done", f"{_CB}, CB_GETATTR4res *"),
    ],
    doc="NFS version 4 server operations, seen from the server (RFC 7530).",
)

# pcapprobe extensions (see the module docstring).
provider(
    "nfsv4",
    [
        *(
            probe
            for op, start, done in EXTENSIONS
            for probe in (
                ("nfssrv", _function(op), f"op-{op}-start", _op_args(start)),
                ("nfssrv", _function(op), f"op-{op}-done", _op_args(done)),
            )
        ),
        *(
            probe
            for op, start, done in CB_EXTENSIONS
            for probe in (
                ("nfssrv", "rfs4_do_cb_" + op.replace("-", "_"), f"cb-{op}-start",
                 _CB if start is None else f"{_CB}, {start} *"),
                ("nfssrv", "rfs4_do_cb_" + op.replace("-", "_"), f"cb-{op}-done",
                 f"{_CB}, {done} *"),
            )
        ),
    ],
    extension=True,
)
