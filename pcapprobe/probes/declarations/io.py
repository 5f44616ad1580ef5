"""The io provider (Solaris 11.1 DTrace guide, "io Provider").

Struct text copied from the guide.  The guide's argument table prints args[0]
as ``struct buf *``; D scripts see it through Solaris's translator as
``bufinfo_t *`` (the guide's own section title), so that is its type here.  On a
capture the firings come from storage traffic (NFS, iSCSI, FC and SRP reads and
writes); the ``B_*`` flag inlines are in ``pcapprobe.probes.constants``.
"""

from pcapprobe.probes.catalog import declare, provider

declare(
    """
typedef struct bufinfo {
        int b_flags;                    /* flags */
        size_t b_bcount;                /* number of bytes */
        caddr_t b_addr;                 /* buffer address */
        uint64_t b_blkno;               /* expanded block # on device */
        uint64_t b_lblkno;              /* block # on device */
        size_t b_resid;                 /* # of bytes not transferred */
        size_t b_bufsize;               /* size of allocated buffer */
        caddr_t b_iodone;               /* I/O completion routine */
        int b_error;                    /* expanded error field */
        dev_t b_edev;                   /* extended device */
 } bufinfo_t;

typedef struct devinfo {
        int dev_major;                  /* major number */
        int dev_minor;                  /* minor number */
        int dev_instance;               /* instance number */
        string dev_name;                /* name of device */
        string dev_statname;            /* name of device + instance/minor */
        string dev_pathname;            /* pathname of device */
} devinfo_t;

typedef struct fileinfo {
        string fi_name;                 /* name (basename of fi_pathname) */
        string fi_dirname;              /* directory (dirname of fi_pathname) */
        string fi_pathname;             /* full pathname */
        offset_t fi_offset;             /* offset within file */
        string fi_fs;                   /* filesystem */
        string fi_mount;                /* mount point of file system */
} fileinfo_t;
"""
)

IO_ARGS = "bufinfo_t *, devinfo_t *, fileinfo_t *"

# Module and function are those of Solaris's block-device path (genunix).
provider(
    "io",
    [
        ("genunix", "bdev_strategy", "start", IO_ARGS),
        ("genunix", "biodone", "done", IO_ARGS),
        ("genunix", "biowait", "wait-start", IO_ARGS),
        ("genunix", "biowait", "wait-done", IO_ARGS),
    ],
    doc="I/O requests to storage devices and NFS servers, and their completion.",
)
