"""The iscsi provider (Solaris 11.3 DTrace guide, "iscsi Provider"; COMSTAR iscsit).

Every probe takes (conninfo_t *, iscsiinfo_t *); scsi-command adds the CDB and
xfer-start/xfer-done the buffer.  Modules and functions name the COMSTAR code
that fires each probe.
"""

from pcapprobe.probes.catalog import declare, provider

declare(
    """
typedef struct iscsiinfo {
	string ii_target;	/* target iqn */
	string ii_initiator;	/* initiator iqn */
        string ii_isid;		/* initiator session identifier */
	string ii_tsih;		/* target session identifying handle */
	string ii_transport;	/* transport type ("iser-ib", "sockets") */

	uint64_t ii_lun;	/* target logical unit number */

	uint32_t ii_itt;	/* initiator task tag */
	uint32_t ii_ttt;	/* target transfer tag */

	uint32_t ii_cmdsn;	/* command sequence number */
	uint32_t ii_statsn;	/* status sequence number */
	uint32_t ii_datasn;	/* data sequence number */

	uint32_t ii_datalen;	/* length of data payload */
	uint32_t ii_flags;	/* probe-specific flags */
} iscsiinfo_t;
"""
)

PDU_ARGS = "conninfo_t *, iscsiinfo_t *"

provider(
    "iscsi",
    [
        ("iscsit", "iscsit_op_scsi_cmd", "scsi-command", PDU_ARGS + ", scsicmd_t *"),
        ("iscsit", "iscsit_send_scsi_status", "scsi-response", PDU_ARGS),
        ("idm", "idm_so_send_buf_data", "data-send", PDU_ARGS),
        ("idm", "idm_so_rx_dataout", "data-receive", PDU_ARGS),
        ("idm", "idm_so_send_r2t", "data-request", PDU_ARGS),
        ("iscsit", "login_sm_event_dispatch", "login-command", PDU_ARGS),
        ("iscsit", "login_sm_send_next_response", "login-response", PDU_ARGS),
        ("iscsit", "iscsit_pdu_op_logout_cmd", "logout-command", PDU_ARGS),
        ("iscsit", "iscsit_send_logout_rsp", "logout-response", PDU_ARGS),
        ("iscsit", "iscsit_pdu_op_noop", "nop-receive", PDU_ARGS),
        ("iscsit", "iscsit_send_nop_in", "nop-send", PDU_ARGS),
        ("iscsit", "iscsit_op_scsi_task_mgmt", "task-command", PDU_ARGS),
        ("iscsit", "iscsit_send_task_mgmt_resp", "task-response", PDU_ARGS),
        ("iscsit", "iscsit_pdu_op_text_cmd", "text-command", PDU_ARGS),
        ("iscsit", "iscsit_send_text_rsp", "text-response", PDU_ARGS),
        ("iscsit", "iscsit_send_async_event", "async-send", PDU_ARGS),
        ("idm", "idm_buf_tx_to_ini", "xfer-start", PDU_ARGS + ", xferinfo_t *"),
        ("idm", "idm_buf_tx_to_ini_done", "xfer-done", PDU_ARGS + ", xferinfo_t *"),
    ],
    doc="iSCSI target activity, from the target's side (COMSTAR iscsit).",
)
