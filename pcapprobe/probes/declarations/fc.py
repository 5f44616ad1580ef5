"""The fc provider (Solaris "fc Provider" document, COMSTAR FC target port).

Struct text copied from the document.  conninfo_t (ci_local/ci_remote are port
WWNs, ci_protocol "fc") and scsicmd_t are the shared declarations of net.py and
scsi.py.  On a capture the probes come from FCoE (FC-BB-5) traffic: FCP
commands, data and responses, and the ELS/fabric logins (FC-LS).
"""

from pcapprobe.probes.catalog import declare, provider

declare(
    """
typedef struct fc_port_info {
        string fcp_node_wwn;            /* node WWN */
        string fcp_sym_node_name;       /* node symbolic name */
        string fcp_sym_port_name;       /* port symbolic name */
        uint32_t fcp_port_hard_address; /* port hard address */
} fc_port_info_t;

typedef struct fc_xferinfo {
        uint32_t fcx_len;               /* transfer length */
        uint32_t fcx_offset;            /* transfer offset */
        uint16_t fcx_flags;             /* db_flags as defined in sys/stmf.h */
} fc_xferinfo_t;
"""
)

_LOCAL = "conninfo_t *, fc_port_info_t *"
_RPORT = "conninfo_t *, fc_port_info_t *, fc_port_info_t *, int"
_SCSI = "conninfo_t *, fc_port_info_t *, scsicmd_t *, fc_port_info_t *"

# Module fct is COMSTAR's FC target; the function is the fct routine that fires
# the probe (it appears only in non-quiet output's FUNCTION:NAME column).
provider(
    "fc",
    [
        ("fct", "fct_handle_local_port_event", "link-up", "conninfo_t *"),
        ("fct", "fct_handle_local_port_event", "link-down", "conninfo_t *"),
        ("fct", "fct_process_plogi", "rport-login-start", _RPORT),
        ("fct", "fct_process_plogi", "rport-login-end", _RPORT),
        ("fct", "fct_process_logo", "rport-logout-start", _RPORT),
        ("fct", "fct_process_logo", "rport-logout-end", _RPORT),
        # Only the end of fabric login knows the local port (args[1]).
        ("fct", "fct_fabric_login", "fabric-login-start", "conninfo_t *"),
        ("fct", "fct_fabric_login", "fabric-login-end", _LOCAL),
        ("fct", "fct_post_rcvd_cmd", "scsi-command", _SCSI),
        ("fct", "fct_send_response_done", "scsi-response", _SCSI),
        ("fct", "fct_xfer_scsi_data", "xfer-start", _SCSI + ", fc_xferinfo_t *"),
        ("fct", "fct_scsi_data_xfer_done", "xfer-done", _SCSI + ", fc_xferinfo_t *"),
        # args[2]: the port id (D_ID) the RSCN names.
        ("fct", "fct_process_rscn", "rscn-receive", _LOCAL + ", int"),
        ("fct", "fct_handle_rcvd_abts", "abts-receive", _LOCAL + ", fc_port_info_t *"),
    ],
    doc="Fibre Channel target port events: links, logins, SCSI commands and data.",
)
