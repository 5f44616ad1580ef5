# iscsi provider: iscsiwho.d, iscsixfer.d, iscsixfersnoop.d (verbatim from
# ../shared/seed-scripts/iscsi) and every iscsi one-liner of ONE-LINERS.txt, on
# the captures of fixtures/gen/iscsi.py.  Expected counts and sums are derived
# from the generator's PDU sequence (see the comment above each case).
#
# iscsi-session.pcap: discovery session (login 1/1, text 1/1, logout 1/1); a
#   normal session (split login 3/3; INQUIRY answered by one Data-In with S;
#   TUR -> CHECK CONDITION with 18 bytes of sense; READ 16 KiB as 2 Data-In;
#   WRITE 32 KiB = 8 KiB immediate + R2T 16 KiB (2 Data-Out) + R2T 8 KiB
#   (1 Data-Out); NOP ping 31 bytes; ABORT TASK; WRITE 4 KiB = R2T + 1 Data-Out;
#   READ 1 KiB; logout) and its second connection (login 2/2; READ 8 KiB as
#   2 Data-In; logout).  The initiator is 10.0.0.1, the target 10.0.0.2.


NAME iscsiwho.d: every PDU probe and transfer of two sessions
PCAP fixtures/pcaps/iscsi-session.pcap
SCRIPT iscsiwho.d
EXPECT <<EOT
Tracing... Hit Ctrl-C to end.
   REMOTE IP                     iSCSI EVENT    COUNT
   10.0.0.1                      nop-receive        1
   10.0.0.1                         nop-send        1
   10.0.0.1                     task-command        1
   10.0.0.1                    task-response        1
   10.0.0.1                     text-command        1
   10.0.0.1                    text-response        1
   10.0.0.1                     data-request        3
   10.0.0.1                   logout-command        3
   10.0.0.1                   logout-response        3
   10.0.0.1                     data-receive        4
   10.0.0.1                        data-send        6
   10.0.0.1                    login-command        6
   10.0.0.1                   login-response        6
   10.0.0.1                    scsi-response        6
   10.0.0.1                     scsi-command        7
   10.0.0.1                        xfer-done        8
   10.0.0.1                       xfer-start        8

EOT

# CRC32C header and data digests; the last READ's Data-In has a bad data digest:
# counted and reported (stderr), the PDU still fires data-send.
NAME iscsiwho.d: digests on, one corrupt data digest still fires
PCAP fixtures/pcaps/iscsi-digests.pcap
SCRIPT iscsiwho.d
EXPECT <<EOT
Tracing... Hit Ctrl-C to end.
   REMOTE IP                     iSCSI EVENT    COUNT
   10.0.0.1                   logout-command        1
   10.0.0.1                   logout-response        1
   10.0.0.1                      nop-receive        1
   10.0.0.1                         nop-send        1
   10.0.0.1                     task-command        1
   10.0.0.1                    task-response        1
   10.0.0.1                     data-request        3
   10.0.0.1                    login-command        3
   10.0.0.1                   login-response        3
   10.0.0.1                     data-receive        4
   10.0.0.1                        data-send        5
   10.0.0.1                    scsi-response        5
   10.0.0.1                     scsi-command        7
   10.0.0.1                        xfer-done        8
   10.0.0.1                       xfer-start        8

EOT

# No handshake, no login: header digests detected from the stream.  The
# write's immediate data is a transfer of its own (COMSTAR
# iscsit_post_scsi_cmd), its unsolicited Data-Out another, its R2T a third.
NAME iscsiwho.d: capture starting mid-session, 536-byte segments
PCAP fixtures/pcaps/iscsi-midsession.pcap
SCRIPT iscsiwho.d
EXPECT <<EOT
Tracing... Hit Ctrl-C to end.
   REMOTE IP                     iSCSI EVENT    COUNT
   10.0.0.1                     data-request        1
   10.0.0.1                   logout-command        1
   10.0.0.1                   logout-response        1
   10.0.0.1                      nop-receive        1
   10.0.0.1                         nop-send        1
   10.0.0.1                     data-receive        2
   10.0.0.1                        data-send        2
   10.0.0.1                     scsi-command        2
   10.0.0.1                    scsi-response        2
   10.0.0.1                        xfer-done        4
   10.0.0.1                       xfer-start        4

EOT

NAME iscsixfer.d: %s on uint32_t xfer_type is DTrace's compile error
PCAP fixtures/pcaps/iscsi-session.pcap
SCRIPT iscsixfer.d
EXPECT <<EOT
EOT
STDERR <<EOT
pcapprobe: failed to compile script iscsixfer.d: line 13: printa( ) argument #3 is incompatible with conversion #2 prototype:
	conversion: %s
	 prototype: char [] or string (or use stringof)
	  argument: uint32_t
EOT
EXIT 1

NAME iscsixfersnoop.d: %108s on uint32_t xfer_len is DTrace's compile error
PCAP fixtures/pcaps/iscsi-session.pcap
SCRIPT iscsixfersnoop.d
EXPECT <<EOT
EOT
STDERR <<EOT
pcapprobe: failed to compile script iscsixfersnoop.d: line 14: printf( ) argument #3 is incompatible with conversion #3 prototype:
	conversion: %s
	 prototype: char [] or string (or use stringof)
	  argument: uint32_t
EOT
EXIT 1

NAME iscsi one-liner: count by probename
ARGS -n
PCAP fixtures/pcaps/iscsi-session.pcap
PROG iscsi*::: { @[probename] = count(); }
EXPECT <<EOT

  nop-receive                                                       1
  nop-send                                                          1
  task-command                                                      1
  task-response                                                     1
  text-command                                                      1
  text-response                                                     1
  data-request                                                      3
  logout-command                                                    3
  logout-response                                                   3
  data-receive                                                      4
  data-send                                                         6
  login-command                                                     6
  login-response                                                    6
  scsi-response                                                     6
  scsi-command                                                      7
  xfer-done                                                         8
  xfer-start                                                        8
EOT

NAME iscsi one-liner: count by remote
ARGS -n
PCAP fixtures/pcaps/iscsi-session.pcap
PROG iscsi*::: { @[args[0]->ci_remote] = count(); }
EXPECT <<EOT

  10.0.0.1                                                         66
EOT

NAME iscsi one-liner: ii_datalen sum by probename
ARGS -n
PCAP fixtures/pcaps/iscsi-session.pcap
PROG iscsi*::: { @[probename] = sum(args[1]->ii_datalen); }
EXPECT <<EOT

  data-request                                                      0
  logout-command                                                    0
  logout-response                                                   0
  task-command                                                      0
  task-response                                                     0
  xfer-done                                                         0
  xfer-start                                                        0
  text-command                                                     16
  scsi-response                                                    20
  nop-receive                                                      31
  nop-send                                                         31
  text-response                                                    73
  login-response                                                  286
  login-command                                                   614
  scsi-command                                                   8192
  data-send                                                     25636
  data-receive                                                  28672
EOT

NAME iscsi one-liner: ii_datalen quantize by probename
ARGS -n
PCAP fixtures/pcaps/iscsi-session.pcap
PROG iscsi*::: { @[probename] = quantize(args[1]->ii_datalen); }
EXPECT_FILE iscsi-session-datalen-quantize.txt

NAME iscsi one-liner: scsi-command by target
ARGS -n
PCAP fixtures/pcaps/iscsi-session.pcap
PROG iscsi*:::scsi-command { @[args[1]->ii_target] = count(); }
EXPECT <<EOT

  iqn.2024-01.org.pcapprobe:disk1                                   7
EOT

NAME iscsi one-liner: data-send bytes
ARGS -n
PCAP fixtures/pcaps/iscsi-session.pcap
PROG iscsi*:::data-send { @ = sum(args[1]->ii_datalen); }
EXPECT <<EOT

            25636
EOT

NAME iscsi one-liner: scsi-command by target, mid-session names are unknown
ARGS -n
PCAP fixtures/pcaps/iscsi-midsession.pcap
PROG iscsi*:::scsi-command { @[args[1]->ii_target] = count(); }
EXPECT <<EOT

  <unknown>                                                         2
EOT

NAME iscsi one-liner: ii_datalen sum by probename, digests excluded from lengths
ARGS -n
PCAP fixtures/pcaps/iscsi-digests.pcap
PROG iscsi*::: { @[probename] = sum(args[1]->ii_datalen); }
EXPECT <<EOT

  data-request                                                      0
  logout-command                                                    0
  logout-response                                                   0
  task-command                                                      0
  task-response                                                     0
  xfer-done                                                         0
  xfer-start                                                        0
  scsi-response                                                    20
  nop-receive                                                      31
  nop-send                                                         31
  login-response                                                  138
  login-command                                                   279
  scsi-command                                                   8192
  data-send                                                     17956
  data-receive                                                  28672
EOT

NAME iscsi one-liner: http and cifs providers do not exist, DTrace's error without -Z
ARGS -n
PCAP fixtures/pcaps/iscsi-session.pcap
PROG iscsi*:::, http*:::, cifs::: { @[args[0]->ci_remote] = count(); }
EXPECT <<EOT
EOT
STDERR <<EOT
pcapprobe: invalid probe specifier iscsi*:::, http*:::, cifs::: { @[args[0]->ci_remote] = count(); }: probe description http*::: does not match any probes
EOT
EXIT 1

NAME iscsi one-liner: http and cifs providers do not exist, -Z
ARGS -n -Z
PCAP fixtures/pcaps/iscsi-session.pcap
PROG iscsi*:::, http*:::, cifs::: { @[args[0]->ci_remote] = count(); }
EXPECT <<EOT

  10.0.0.1                                                         66
EOT

