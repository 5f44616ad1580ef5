# fc provider: fcwho.d (verbatim from ../shared/seed-scripts/fc), the fc
# one-liners of ONE-LINERS.txt and a clause on every fc probe printing every
# argument member, on the captures of fixtures/gen/fc.py and ../shared/captures/fc.
#
# The fixtures' conversation (fixtures/gen/fc.py), local = the FCP target T
# (01.02.00, WWPN 2100001b3286c264), initiator I (01.01.00, 10000000c953e162):
#   T's FLOGI + LS_ACC (fabric-login-start/end), an NPIV FDISC + LS_ACC
#   (fabric-login-start/end for 2101001b3286c264, not a target: not local, fires
#   nothing), SCR, T's PLOGI to the name server (rport-login, solicited, remote
#   21fc0005300a6b01), RSPN_ID/RSNN_NN, I's PLOGI to T (rport-login,
#   unsolicited), PRLI (no probe), GSNN_NN, an RSCN naming 01.03.00
#   (rscn-receive), 6 FCP_CMNDs: INQUIRY (1 Data-In frame), READ 4 KiB (one
#   sequence of 2 frames), WRITE 6 KiB (XFER_RDY + one sequence of 3 frames),
#   a READ aborted by ABTS (abts-receive; no response, no data), TUR -> CHECK
#   CONDITION, INQUIRY with an underrun; then I's LOGO (rport-logout).
#   So: scsi-command 6, scsi-response 5, xfer-start/done 4.

NAME fcwho.d: FCoE with 802.1Q, every probe of the conversation
PCAP fixtures/pcaps/fc-fcoe.pcap
SCRIPT fcwho.d
EXPECT <<EOT
Tracing... Hit Ctrl-C to end.
 REMOTE WWN                       FC EVENT    COUNT
 10000000c953e162           rport-login-end        1
 10000000c953e162           rport-login-start        1
 10000000c953e162           rport-logout-end        1
 10000000c953e162           rport-logout-start        1
 21fc0005300a6b01           rport-login-end        1
 <unknown>                  fabric-login-end        1
 <unknown>                  fabric-login-start        1
 <unknown>                  rport-login-start        1
 10000000c953e162                xfer-done        4
 10000000c953e162               xfer-start        4
 10000000c953e162            scsi-response        5
 10000000c953e162             scsi-command        6

EOT

NAME fcwho.d: FCIP (RFC 3821) over TCP 3225, the same conversation
PCAP fixtures/pcaps/fc-fcip.pcap
SCRIPT fcwho.d
EXPECT <<EOT
Tracing... Hit Ctrl-C to end.
 REMOTE WWN                       FC EVENT    COUNT
 10000000c953e162           rport-login-end        1
 10000000c953e162           rport-login-start        1
 10000000c953e162           rport-logout-end        1
 10000000c953e162           rport-logout-start        1
 21fc0005300a6b01           rport-login-end        1
 <unknown>                  fabric-login-end        1
 <unknown>                  fabric-login-start        1
 <unknown>                  rport-login-start        1
 10000000c953e162                xfer-done        4
 10000000c953e162               xfer-start        4
 10000000c953e162            scsi-response        5
 10000000c953e162             scsi-command        6

EOT

NAME fcwho.d: LINKTYPE_FC_2 (224), the same conversation
PCAP fixtures/pcaps/fc-link224.pcap
SCRIPT fcwho.d
EXPECT <<EOT
Tracing... Hit Ctrl-C to end.
 REMOTE WWN                       FC EVENT    COUNT
 10000000c953e162           rport-login-end        1
 10000000c953e162           rport-login-start        1
 10000000c953e162           rport-logout-end        1
 10000000c953e162           rport-logout-start        1
 21fc0005300a6b01           rport-login-end        1
 <unknown>                  fabric-login-end        1
 <unknown>                  fabric-login-start        1
 <unknown>                  rport-login-start        1
 10000000c953e162                xfer-done        4
 10000000c953e162               xfer-start        4
 10000000c953e162            scsi-response        5
 10000000c953e162             scsi-command        6

EOT

NAME fcwho.d: LINKTYPE_FC_2_WITH_FRAME_DELIMS (225), the same conversation
PCAP fixtures/pcaps/fc-link225.pcap
SCRIPT fcwho.d
EXPECT <<EOT
Tracing... Hit Ctrl-C to end.
 REMOTE WWN                       FC EVENT    COUNT
 10000000c953e162           rport-login-end        1
 10000000c953e162           rport-login-start        1
 10000000c953e162           rport-logout-end        1
 10000000c953e162           rport-logout-start        1
 21fc0005300a6b01           rport-login-end        1
 <unknown>                  fabric-login-end        1
 <unknown>                  fabric-login-start        1
 <unknown>                  rport-login-start        1
 10000000c953e162                xfer-done        4
 10000000c953e162               xfer-start        4
 10000000c953e162            scsi-response        5
 10000000c953e162             scsi-command        6

EOT

# FIP discovery, the FLOGI over FIP (fabric-login-start/end, then link-up at
# its LS_ACC), PLOGI, one INQUIRY, keep-alive, Clear Virtual Links naming T
# (link-down), VLAN discovery.
NAME fcwho.d: FIP virtual link and FCoE
PCAP fixtures/pcaps/fc-fip.pcap
SCRIPT fcwho.d
EXPECT <<EOT
Tracing... Hit Ctrl-C to end.
 REMOTE WWN                       FC EVENT    COUNT
 10000000c953e162           rport-login-end        1
 10000000c953e162           rport-login-start        1
 10000000c953e162             scsi-command        1
 10000000c953e162            scsi-response        1
 10000000c953e162                xfer-done        1
 10000000c953e162               xfer-start        1
 <unknown>                  fabric-login-end        1
 <unknown>                  fabric-login-start        1

EOT

NAME every fc probe and argument member: FCoE
PCAP fixtures/pcaps/fc-fcoe.pcap
ARGS -q
PROG <<END
fc:::link-up,fc:::link-down,fc:::fabric-login-start
{
	printf("%s %s %s %s\n", probename, args[0]->ci_local, args[0]->ci_remote, args[0]->ci_protocol);
}
fc:::fabric-login-end
{
	printf("%s %s %s %s %s %s %x\n", probename, args[0]->ci_local, args[0]->ci_remote,
	    args[1]->fcp_node_wwn, args[1]->fcp_sym_node_name, args[1]->fcp_sym_port_name,
	    args[1]->fcp_port_hard_address);
}
fc:::rport-login-start,fc:::rport-login-end,fc:::rport-logout-start,fc:::rport-logout-end
{
	printf("%s %s %s local %s %s %s %x remote %s %s %s %x solicited %d\n", probename,
	    args[0]->ci_local, args[0]->ci_remote,
	    args[1]->fcp_node_wwn, args[1]->fcp_sym_node_name, args[1]->fcp_sym_port_name,
	    args[1]->fcp_port_hard_address,
	    args[2]->fcp_node_wwn, args[2]->fcp_sym_node_name, args[2]->fcp_sym_port_name,
	    args[2]->fcp_port_hard_address, args[3]);
}
fc:::scsi-command,fc:::scsi-response
{
	printf("%s %s %s cdb[0] 0x%02x len %d local %s remote %s %x\n", probename,
	    args[0]->ci_local, args[0]->ci_remote, args[2]->ic_cdb[0], args[2]->ic_len,
	    args[1]->fcp_node_wwn, args[3]->fcp_node_wwn, args[3]->fcp_port_hard_address);
}
fc:::xfer-start,fc:::xfer-done
{
	printf("%s %s cdb[0] 0x%02x offset %d len %d flags %d\n", probename, args[0]->ci_remote,
	    args[2]->ic_cdb[0], args[4]->fcx_offset, args[4]->fcx_len, args[4]->fcx_flags);
}
fc:::rscn-receive
{
	printf("%s %s port %x\n", probename, args[0]->ci_local, args[2]);
}
fc:::abts-receive
{
	printf("%s %s %s remote %x\n", probename, args[0]->ci_local, args[0]->ci_remote,
	    args[2]->fcp_port_hard_address);
}
END
EXPECT <<EOT
fabric-login-start 2100001b3286c264 <unknown> fc
fabric-login-end 2100001b3286c264 <unknown> 2000001b3286c264 <unknown> <unknown> 10200
rport-login-start 2100001b3286c264 <unknown> local 2000001b3286c264 <unknown> <unknown> 10200 remote <unknown> <unknown> <unknown> fffffc solicited 1
rport-login-end 2100001b3286c264 21fc0005300a6b01 local 2000001b3286c264 <unknown> <unknown> 10200 remote 10000005300a6b01 <unknown> <unknown> fffffc solicited 1
rport-login-start 2100001b3286c264 10000000c953e162 local 2000001b3286c264 pcapprobe-host COMSTAR target port 10200 remote 20000000c953e162 <unknown> <unknown> 10100 solicited 0
rport-login-end 2100001b3286c264 10000000c953e162 local 2000001b3286c264 pcapprobe-host COMSTAR target port 10200 remote 20000000c953e162 <unknown> <unknown> 10100 solicited 0
rscn-receive 2100001b3286c264 port 10300
scsi-command 2100001b3286c264 10000000c953e162 cdb[0] 0x12 len 16 local 2000001b3286c264 remote 20000000c953e162 10100
xfer-start 10000000c953e162 cdb[0] 0x12 offset 0 len 36 flags 1
xfer-done 10000000c953e162 cdb[0] 0x12 offset 0 len 36 flags 1
scsi-response 2100001b3286c264 10000000c953e162 cdb[0] 0x12 len 16 local 2000001b3286c264 remote 20000000c953e162 10100
scsi-command 2100001b3286c264 10000000c953e162 cdb[0] 0x28 len 16 local 2000001b3286c264 remote 20000000c953e162 10100
xfer-start 10000000c953e162 cdb[0] 0x28 offset 0 len 4096 flags 1
xfer-done 10000000c953e162 cdb[0] 0x28 offset 0 len 4096 flags 1
scsi-response 2100001b3286c264 10000000c953e162 cdb[0] 0x28 len 16 local 2000001b3286c264 remote 20000000c953e162 10100
scsi-command 2100001b3286c264 10000000c953e162 cdb[0] 0x2a len 16 local 2000001b3286c264 remote 20000000c953e162 10100
xfer-start 10000000c953e162 cdb[0] 0x2a offset 0 len 6144 flags 2
xfer-done 10000000c953e162 cdb[0] 0x2a offset 0 len 6144 flags 2
scsi-response 2100001b3286c264 10000000c953e162 cdb[0] 0x2a len 16 local 2000001b3286c264 remote 20000000c953e162 10100
scsi-command 2100001b3286c264 10000000c953e162 cdb[0] 0x28 len 16 local 2000001b3286c264 remote 20000000c953e162 10100
abts-receive 2100001b3286c264 10000000c953e162 remote 10100
scsi-command 2100001b3286c264 10000000c953e162 cdb[0] 0x00 len 16 local 2000001b3286c264 remote 20000000c953e162 10100
scsi-response 2100001b3286c264 10000000c953e162 cdb[0] 0x00 len 16 local 2000001b3286c264 remote 20000000c953e162 10100
scsi-command 2100001b3286c264 10000000c953e162 cdb[0] 0x12 len 16 local 2000001b3286c264 remote 20000000c953e162 10100
xfer-start 10000000c953e162 cdb[0] 0x12 offset 0 len 36 flags 1
xfer-done 10000000c953e162 cdb[0] 0x12 offset 0 len 36 flags 1
scsi-response 2100001b3286c264 10000000c953e162 cdb[0] 0x12 len 16 local 2000001b3286c264 remote 20000000c953e162 10100
rport-logout-start 2100001b3286c264 10000000c953e162 local 2000001b3286c264 pcapprobe-host COMSTAR target port 10200 remote 20000000c953e162 Emulex LPe1150 <unknown> 10100 solicited 0
rport-logout-end 2100001b3286c264 10000000c953e162 local 2000001b3286c264 pcapprobe-host COMSTAR target port 10200 remote 20000000c953e162 Emulex LPe1150 <unknown> 10100 solicited 0

EOT

NAME link-up and link-down from FIP
PCAP fixtures/pcaps/fc-fip.pcap
ARGS -q
PROG <<END
fc:::link-up,fc:::link-down
{
	printf("%s %s %s %s\n", probename, args[0]->ci_local, args[0]->ci_remote, args[0]->ci_protocol);
}
END
EXPECT <<EOT
link-up 2100001b3286c264 <unknown> fc
link-down 2100001b3286c264 <unknown> fc

EOT

NAME one-liner: frequency of fc SCSI command types
PCAP fixtures/pcaps/fc-fcoe.pcap
ARGS -n
PROG fc:::scsi-command { @[args[2]->ic_cdb[0]] = count(); }
EXPECT <<EOT

   0                1
  42                1
  18                2
  40                2
EOT

NAME one-liner: payload bytes by fc SCSI command type
PCAP fixtures/pcaps/fc-fcoe.pcap
ARGS -n
PROG fc:::xfer-start { @[args[2]->ic_cdb[0]] = sum(args[4]->fcx_len); }
EXPECT <<EOT

  18               72
  40             4096
  42             6144
EOT

NAME one-liner: frequency of fc port related RSCN
PCAP fixtures/pcaps/fc-fcoe.pcap
ARGS -n
PROG fc:::rscn-receive { @[arg2] = count(); }
EXPECT <<EOT

            66304                1
EOT

NAME --local WWPN: the initiator's point of view fires its logins only
PCAP fixtures/pcaps/fc-fcoe.pcap
ARGS -n --local 10:00:00:00:c9:53:e1:62
PROG fc::: { @[probename, args[0]->ci_remote] = count(); }
EXPECT <<EOT

  rport-login-end                                     2100001b3286c264                                                  1
  rport-login-start                                   2100001b3286c264                                                  1
  rport-logout-end                                    2100001b3286c264                                                  1
  rport-logout-start                                  2100001b3286c264                                                  1
EOT

# ../shared/captures/fc: Wireshark's FCoE samples.  fcoe-t11: an initiator
# (ed.01.00) logs in and sends 11 SCSI commands to the target ed.00.00 (the
# local port); ed.02.00 also logs in to the initiator (not local).
NAME fcwho.d: shared fcoe-t11.pcap
PCAP shared:captures/fc/fcoe-t11.pcap
SCRIPT fcwho.d
EXPECT <<EOT
Tracing... Hit Ctrl-C to end.
 REMOTE WWN                       FC EVENT    COUNT
 10000000c953e162           rport-login-end        1
 10000000c953e162           rport-login-start        1
 10000000c953e162             scsi-command       11
 10000000c953e162            scsi-response       11
 10000000c953e162                xfer-done       11
 10000000c953e162               xfer-start       11

EOT

# fcoe1: starts mid-session (10 commands before the PLOGI: remote "<unknown>"),
# one name server CT request aborted by ABTS (to the fabric: not local).
NAME fcwho.d: shared fcoe1.pcap
PCAP shared:captures/fc/fcoe1.pcap
SCRIPT fcwho.d
EXPECT <<EOT
Tracing... Hit Ctrl-C to end.
 REMOTE WWN                       FC EVENT    COUNT
 10000000c953e162           rport-login-end        1
 10000000c953e162           rport-login-start        1
 <unknown>                    scsi-command       10
 <unknown>                   scsi-response       10
 <unknown>                       xfer-done       10
 <unknown>                      xfer-start       10
 10000000c953e162                xfer-done       23
 10000000c953e162               xfer-start       23
 10000000c953e162             scsi-command       24
 10000000c953e162            scsi-response       24

EOT

# three WRITE(10)s with XFER_RDYs; the capture stops inside the first data
# sequence (no End_Sequence): xfer-start only.
NAME fcwho.d: shared fcoe-t11-short.pcap
PCAP shared:captures/fc/fcoe-t11-short.pcap
SCRIPT fcwho.d
EXPECT <<EOT
Tracing... Hit Ctrl-C to end.
 REMOTE WWN                       FC EVENT    COUNT
 <unknown>                    scsi-command        3
 <unknown>                      xfer-start        3

EOT

# FIP discovery then logins of an initiator only: no FCP target, nothing local.
NAME fcwho.d: shared fip-adv.pcap, auto finds no target
PCAP shared:captures/fc/fip-adv.pcap
SCRIPT fcwho.d
EXPECT <<EOT
Tracing... Hit Ctrl-C to end.
 REMOTE WWN                       FC EVENT    COUNT

EOT

NAME fcwho.d: shared fip-adv.pcap from the initiator's port (--local WWPN)
PCAP shared:captures/fc/fip-adv.pcap
ARGS --local 20:00:00:17:a4:3e:34:8c
SCRIPT fcwho.d
EXPECT <<EOT
Tracing... Hit Ctrl-C to end.
 REMOTE WWN                       FC EVENT    COUNT
 21000020371c32bf           rport-login-end        1
 21000020371c3bfd           rport-login-end        1
 21000020371c78f9           rport-login-end        1
 210000203728f367           rport-login-end        1
 2100002037323844           rport-login-end        1
 2100002037329f5a           rport-login-end        1
 250d000dec309880           rport-login-end        1
 500308c165601824           rport-login-end        1
 <unknown>                  fabric-login-end        1
 <unknown>                  fabric-login-start        1
 <unknown>                  rport-login-start        9

EOT

NAME one-liner: fc SCSI command types, shared fcoe1.pcap
PCAP shared:captures/fc/fcoe1.pcap
ARGS -n
PROG fc:::scsi-command { @[args[2]->ic_cdb[0]] = count(); }
EXPECT <<EOT

 160                3
  37                6
  18               25
EOT

NAME one-liner: fc payload bytes by command type, shared fcoe-t11.pcap
PCAP shared:captures/fc/fcoe-t11.pcap
ARGS -n
PROG fc:::xfer-start { @[args[2]->ic_cdb[0]] = sum(args[4]->fcx_len); }
EXPECT <<EOT

 160               64
  18              140
EOT

# every fc probe and the members that tell the wire events apart, one line a
# firing (timestamps in ns from the notional boot), on every transport's
# fixture and every shared FC capture.

NAME every fc probe: FCIP
PCAP fixtures/pcaps/fc-fcip.pcap
ARGS -q
PROG <<END
fc:::
{
	printf("%d %s %s %s", timestamp, probename, args[0]->ci_local, args[0]->ci_remote);
}
fc:::rport-*
{
	printf(" %s %x solicited %d", args[2]->fcp_node_wwn, args[2]->fcp_port_hard_address, args[3]);
}
fc:::scsi-*,fc:::xfer-*
{
	printf(" cdb[0] 0x%02x %s %s", args[2]->ic_cdb[0], args[1]->fcp_sym_node_name, args[3]->fcp_sym_node_name);
}
fc:::xfer-*
{
	printf(" offset %d len %d flags %d", args[4]->fcx_offset, args[4]->fcx_len, args[4]->fcx_flags);
}
fc:::rscn-receive
{
	printf(" port %x", args[2]);
}
fc:::
{
	printf("\n");
}
END
EXPECT_FILE fc-fcip-every.txt

NAME every fc probe: link type 224
PCAP fixtures/pcaps/fc-link224.pcap
ARGS -q
PROG <<END
fc:::
{
	printf("%d %s %s %s", timestamp, probename, args[0]->ci_local, args[0]->ci_remote);
}
fc:::rport-*
{
	printf(" %s %x solicited %d", args[2]->fcp_node_wwn, args[2]->fcp_port_hard_address, args[3]);
}
fc:::scsi-*,fc:::xfer-*
{
	printf(" cdb[0] 0x%02x %s %s", args[2]->ic_cdb[0], args[1]->fcp_sym_node_name, args[3]->fcp_sym_node_name);
}
fc:::xfer-*
{
	printf(" offset %d len %d flags %d", args[4]->fcx_offset, args[4]->fcx_len, args[4]->fcx_flags);
}
fc:::rscn-receive
{
	printf(" port %x", args[2]);
}
fc:::
{
	printf("\n");
}
END
EXPECT_FILE fc-link224-every.txt

NAME every fc probe: link type 225
PCAP fixtures/pcaps/fc-link225.pcap
ARGS -q
PROG <<END
fc:::
{
	printf("%d %s %s %s", timestamp, probename, args[0]->ci_local, args[0]->ci_remote);
}
fc:::rport-*
{
	printf(" %s %x solicited %d", args[2]->fcp_node_wwn, args[2]->fcp_port_hard_address, args[3]);
}
fc:::scsi-*,fc:::xfer-*
{
	printf(" cdb[0] 0x%02x %s %s", args[2]->ic_cdb[0], args[1]->fcp_sym_node_name, args[3]->fcp_sym_node_name);
}
fc:::xfer-*
{
	printf(" offset %d len %d flags %d", args[4]->fcx_offset, args[4]->fcx_len, args[4]->fcx_flags);
}
fc:::rscn-receive
{
	printf(" port %x", args[2]);
}
fc:::
{
	printf("\n");
}
END
EXPECT_FILE fc-link225-every.txt

NAME every fc probe: FIP
PCAP fixtures/pcaps/fc-fip.pcap
ARGS -q
PROG <<END
fc:::
{
	printf("%d %s %s %s", timestamp, probename, args[0]->ci_local, args[0]->ci_remote);
}
fc:::rport-*
{
	printf(" %s %x solicited %d", args[2]->fcp_node_wwn, args[2]->fcp_port_hard_address, args[3]);
}
fc:::scsi-*,fc:::xfer-*
{
	printf(" cdb[0] 0x%02x %s %s", args[2]->ic_cdb[0], args[1]->fcp_sym_node_name, args[3]->fcp_sym_node_name);
}
fc:::xfer-*
{
	printf(" offset %d len %d flags %d", args[4]->fcx_offset, args[4]->fcx_len, args[4]->fcx_flags);
}
fc:::rscn-receive
{
	printf(" port %x", args[2]);
}
fc:::
{
	printf("\n");
}
END
EXPECT_FILE fc-fip-every.txt

NAME every fc probe: shared fcoe-t11.pcap
PCAP shared:captures/fc/fcoe-t11.pcap
ARGS -q
PROG <<END
fc:::
{
	printf("%d %s %s %s", timestamp, probename, args[0]->ci_local, args[0]->ci_remote);
}
fc:::rport-*
{
	printf(" %s %x solicited %d", args[2]->fcp_node_wwn, args[2]->fcp_port_hard_address, args[3]);
}
fc:::scsi-*,fc:::xfer-*
{
	printf(" cdb[0] 0x%02x %s %s", args[2]->ic_cdb[0], args[1]->fcp_sym_node_name, args[3]->fcp_sym_node_name);
}
fc:::xfer-*
{
	printf(" offset %d len %d flags %d", args[4]->fcx_offset, args[4]->fcx_len, args[4]->fcx_flags);
}
fc:::rscn-receive
{
	printf(" port %x", args[2]);
}
fc:::
{
	printf("\n");
}
END
EXPECT_FILE fc-shared-fcoe-t11-every.txt

NAME every fc probe: shared fcoe1.pcap
PCAP shared:captures/fc/fcoe1.pcap
ARGS -q
PROG <<END
fc:::
{
	printf("%d %s %s %s", timestamp, probename, args[0]->ci_local, args[0]->ci_remote);
}
fc:::rport-*
{
	printf(" %s %x solicited %d", args[2]->fcp_node_wwn, args[2]->fcp_port_hard_address, args[3]);
}
fc:::scsi-*,fc:::xfer-*
{
	printf(" cdb[0] 0x%02x %s %s", args[2]->ic_cdb[0], args[1]->fcp_sym_node_name, args[3]->fcp_sym_node_name);
}
fc:::xfer-*
{
	printf(" offset %d len %d flags %d", args[4]->fcx_offset, args[4]->fcx_len, args[4]->fcx_flags);
}
fc:::rscn-receive
{
	printf(" port %x", args[2]);
}
fc:::
{
	printf("\n");
}
END
EXPECT_FILE fc-shared-fcoe1-every.txt

NAME every fc probe: shared fcoe-t11-short.pcap
PCAP shared:captures/fc/fcoe-t11-short.pcap
ARGS -q
PROG <<END
fc:::
{
	printf("%d %s %s %s", timestamp, probename, args[0]->ci_local, args[0]->ci_remote);
}
fc:::rport-*
{
	printf(" %s %x solicited %d", args[2]->fcp_node_wwn, args[2]->fcp_port_hard_address, args[3]);
}
fc:::scsi-*,fc:::xfer-*
{
	printf(" cdb[0] 0x%02x %s %s", args[2]->ic_cdb[0], args[1]->fcp_sym_node_name, args[3]->fcp_sym_node_name);
}
fc:::xfer-*
{
	printf(" offset %d len %d flags %d", args[4]->fcx_offset, args[4]->fcx_len, args[4]->fcx_flags);
}
fc:::rscn-receive
{
	printf(" port %x", args[2]);
}
fc:::
{
	printf("\n");
}
END
EXPECT_FILE fc-shared-fcoe-t11-short-every.txt

NAME every fc probe: shared fip-adv.pcap, --local all
PCAP shared:captures/fc/fip-adv.pcap
ARGS -q --local all
PROG <<END
fc:::
{
	printf("%d %s %s %s", timestamp, probename, args[0]->ci_local, args[0]->ci_remote);
}
fc:::rport-*
{
	printf(" %s %x solicited %d", args[2]->fcp_node_wwn, args[2]->fcp_port_hard_address, args[3]);
}
fc:::scsi-*,fc:::xfer-*
{
	printf(" cdb[0] 0x%02x %s %s", args[2]->ic_cdb[0], args[1]->fcp_sym_node_name, args[3]->fcp_sym_node_name);
}
fc:::xfer-*
{
	printf(" offset %d len %d flags %d", args[4]->fcx_offset, args[4]->fcx_len, args[4]->fcx_flags);
}
fc:::rscn-receive
{
	printf(" port %x", args[2]);
}
fc:::
{
	printf("\n");
}
END
EXPECT_FILE fc-shared-fip-adv-every.txt

# The NPIV port of the fixture's FDISC (2101001b3286c264, not an FCP target,
# so not local by auto): its fabric login fires from the FDISC and its LS_ACC.
NAME --local NPIV WWPN: fabric-login from FDISC
PCAP fixtures/pcaps/fc-fcoe.pcap
ARGS -q --local 21:01:00:1b:32:86:c2:64
PROG <<END
fc:::fabric-login-start
{
	printf("%s %s\n", probename, args[0]->ci_local);
}
fc:::fabric-login-end
{
	printf("%s %s %s %x\n", probename, args[0]->ci_local, args[1]->fcp_node_wwn, args[1]->fcp_port_hard_address);
}
END
EXPECT <<EOT
fabric-login-start 2101001b3286c264
fabric-login-end 2101001b3286c264 2000001b3286c264 10201

EOT
