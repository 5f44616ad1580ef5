# The iscsi seed scripts and provider over iSER (fixtures/gen/iser.py: RoCEv2).

NAME iscsiwho.d on iser-rocev2.pcap
PCAP fixtures/pcaps/iser-rocev2.pcap
SCRIPT iscsiwho.d
EXPECT_FILE iser-rocev2-iscsiwho.txt

NAME iser: RDMA bytes by transfer type, as iscsixfer.d counts them
ARGS -q -n
PCAP fixtures/pcaps/iser-rocev2.pcap
PROG iscsi:::xfer-done { @[args[1]->ii_transport, args[2]->xfer_type ? "write" : "read"] = sum(args[2]->xfer_len); }
EXPECT <<EOT

  iser                                                write                                                          4096
  iser                                                read                                                           8228
EOT

NAME iser: the RDMA members of xferinfo_t
ARGS -q -n
PCAP fixtures/pcaps/iser-rocev2.pcap
PROG iscsi:::xfer-start, iscsi:::xfer-done { printf("%s %x %d %x %x %d %x %d %d\n", probename, args[2]->xfer_laddr, args[2]->xfer_loffset, args[2]->xfer_lkey, args[2]->xfer_raddr, args[2]->xfer_roffset, args[2]->xfer_rkey, args[2]->xfer_len, args[2]->xfer_type); }
EXPECT <<EOT
xfer-start 0 0 0 7f1000000000 0 a001 8192 0
xfer-done 0 0 0 7f1000000000 0 a001 8192 0
xfer-start 0 0 0 7f2000000000 0 b002 4096 1
xfer-done 0 0 0 7f2000000000 0 b002 4096 1
xfer-start 0 0 0 7f3000000000 0 a003 36 0
xfer-done 0 0 0 7f3000000000 0 a003 36 0

EOT

NAME iosnoop.d on iser-rocev2.pcap: the initiator's block I/O over iSER
PCAP fixtures/pcaps/iser-rocev2.pcap
SCRIPT iosnoop.d
EXPECT <<EOT
    DEVICE                                                       FILE RW
       sd0                                                     <none>  R
       sd0                                                     <none>  W

EOT
