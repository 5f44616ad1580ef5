"""conninfo_t, the connection argument shared by the nfsv3, iscsi and fc providers
(and by srp later): declared once here, one translator per source, next to
each other, as illumos does in ``iscsit.d``/``srp.d``/``nfs.d``.

Every provider reports from the server's side: ci_local is the server (NFS
server, iSCSI target, FC target port), ci_remote the client (NFS client, iSCSI
initiator, FC remote port), ci_protocol "ipv4" or "ipv6", or "fc".
"""

from __future__ import annotations


class ConnInfo:
    """conninfo_t (illumos ``net.d``): ci_local, ci_remote, ci_protocol."""

    __slots__ = ("ci_local", "ci_remote", "ci_protocol")

    def __init__(self, local: str, remote: str, protocol: str) -> None:
        self.ci_local = local
        self.ci_remote = remote
        self.ci_protocol = protocol


def _protocol(ipv6: bool) -> str:
    return "ipv6" if ipv6 else "ipv4"


# -- one translator per source ------------------------------------------


def from_rpc_flow(client: str, server: str, ipv6: bool) -> ConnInfo:
    """An ONC RPC flow (TCP connection or UDP client/server pair): the server
    of the calls is local (``nfs.d``'s translator of the svc request's transport)."""
    return ConnInfo(server, client, _protocol(ipv6))


def from_iscsi_connection(initiator: str, target: str, ipv6: bool) -> ConnInfo:
    """An iSCSI connection: the target is local (``iscsit.d``'s idm_conn_t translator)."""
    return ConnInfo(target, initiator, _protocol(ipv6))


def from_fc_ports(local_wwpn: str, remote_wwpn: str) -> ConnInfo:
    """An FC local/remote port pair by port WWN (``fc.d``'s fct_cmd_t
    translator: 16 hex digits, "<unknown>" when not known)."""
    return ConnInfo(local_wwpn, remote_wwpn, "fc")
