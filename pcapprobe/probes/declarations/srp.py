"""The srp provider (Solaris 11.3 DTrace guide, "srp Provider"; T10 SRP r16a).

Struct text copied from the guide.  conninfo_t (ci_local/ci_remote are HCA port
GIDs, ci_protocol "ib"), scsicmd_t and xferinfo_t are the shared declarations
(net.py, scsi.py): the guide's srp xferinfo_t prints ``uint8_t xfer_type``
where the iscsi section prints ``uint32_t``; Solaris has one xferinfo_t for
both, so the shared declaration stands (values 0 and 1 fit either).

Two repairs of the guide's argument tables, both to what Solaris's srp provider
has: task-command/task-response take srp_taskinfo_t as args[2] (the table
labels that row scsi-response/scsi-command, which have their own rows), and
args[1] of xfer-start/xfer-done is srp_portinfo_t like every other srp probe
(the table prints fc_port_info_t, an fc type no SRP channel has).
"""

from pcapprobe.probes.catalog import declare, provider

declare(
    """
typedef struct srp_portinfo {
        /* initiator */
        string  pi_initiator;   /* Initiator: eui.xxxxxxxxxxxxxxx */
        string  pi_i_sid;       /* Initiator seiion id */

        /* target */
        string  pi_target;      /* Target: eui.xxxxxxxxxxxxxxx */
        string  pi_t_sid;       /* Target session id */

        uintptr_t pi_chan_id;   /* Channel identifier */
} srp_portinfo_t;

typedef struct srp_logininfo {
        uint64_t li_task_tag;      /* SRP task tag */
        uint32_t li_max_it_iu_len; /* Maximum iu length that initiator can
        send to target */
        uint32_t li_max_ti_iu_len; /* Maximum iu length that target can
        send to initiator */
        uint32_t li_request_limit; /* Maximum number of SRP requests
        that initiator can send on a channel */
        uint32_t reason_code;      /* Reason code */
} srp_logininfo_t;

typedef struct srp_taskinfo {
        uint64_t ti_task_tag;   /* SRP task tag */
        uint64_t ti_lun;        /* Target logical unit number */
        uint8_t  ti_function;   /* Task management function */
        uint32_t ti_req_limit_delta; /* Increment of channel's request limit */
        uint8_t  ti_flag;    /* bit 2:DOOVER 3:DOUNDER 4:DIOVER 5:DIUNDER */
        uint32_t ti_do_resid_cnt;    /* Data-out residual count */
        uint32_t ti_di_resid_cnt;    /* Data-in residual count */
        uint8_t  ti_status;     /* Status of this task */
} srp_taskinfo_t;
"""
)

_PORT = "conninfo_t *, srp_portinfo_t *"
_TASK = _PORT + ", srp_taskinfo_t *"
_LOGIN = _PORT + ", srp_logininfo_t *"
_SCSI = _PORT + ", scsicmd_t *, srp_taskinfo_t *"
_XFER = _PORT + ", xferinfo_t *, srp_taskinfo_t *"

# Module srpt is COMSTAR's SRP target; the function is the srpt routine that
# fires the probe (it appears only in non-quiet output's FUNCTION:NAME column).
provider(
    "srp",
    [
        ("srpt", "srpt_stp_alloc_port", "service-up", _PORT),
        ("srpt", "srpt_stp_free_port", "service-down", _PORT),
        ("srpt", "srpt_stp_login", "login-command", _LOGIN),
        ("srpt", "srpt_stp_login", "login-response", _LOGIN),
        ("srpt", "srpt_stp_logout", "logout-command", _PORT),
        ("srpt", "srpt_ch_srp_cmd", "task-command", _TASK),
        ("srpt", "srpt_stp_send_response", "task-response", _TASK),
        ("srpt", "srpt_ch_srp_cmd", "scsi-command", _SCSI),
        ("srpt", "srpt_stp_send_response", "scsi-response", _TASK),
        ("srpt", "srpt_stp_xfer_data", "xfer-start", _XFER),
        ("srpt", "srpt_ch_data_comp", "xfer-done", _XFER),
    ],
    doc="SCSI RDMA Protocol target events over InfiniBand: logins, tasks, data.",
)
