# Every seed srp script, unchanged, on the generated SRP fixtures of each RDMA
# transport (fixtures/gen/srp.py): RoCEv2, RoCEv1, InfiniBand (247 and ERF).

NAME service.d on srp-rocev2.pcap
PCAP fixtures/pcaps/srp-rocev2.pcap
SCRIPT service.d
EXPECT_FILE srp-rocev2-service.txt

NAME srpwho.d on srp-rocev2.pcap
PCAP fixtures/pcaps/srp-rocev2.pcap
SCRIPT srpwho.d
EXPECT_FILE srp-rocev2-srpwho.txt

NAME srpsnoop.d on srp-rocev2.pcap
PCAP fixtures/pcaps/srp-rocev2.pcap
SCRIPT srpsnoop.d
EXPECT_FILE srp-rocev2-srpsnoop.txt

NAME service.d on srp-rocev1.pcap
PCAP fixtures/pcaps/srp-rocev1.pcap
SCRIPT service.d
EXPECT_FILE srp-rocev1-service.txt

NAME srpwho.d on srp-rocev1.pcap
PCAP fixtures/pcaps/srp-rocev1.pcap
SCRIPT srpwho.d
EXPECT_FILE srp-rocev1-srpwho.txt

NAME srpsnoop.d on srp-rocev1.pcap
PCAP fixtures/pcaps/srp-rocev1.pcap
SCRIPT srpsnoop.d
EXPECT_FILE srp-rocev1-srpsnoop.txt

NAME service.d on srp-ib.pcap
PCAP fixtures/pcaps/srp-ib.pcap
SCRIPT service.d
EXPECT_FILE srp-ib-service.txt

NAME srpwho.d on srp-ib.pcap
PCAP fixtures/pcaps/srp-ib.pcap
SCRIPT srpwho.d
EXPECT_FILE srp-ib-srpwho.txt

NAME srpsnoop.d on srp-ib.pcap
PCAP fixtures/pcaps/srp-ib.pcap
SCRIPT srpsnoop.d
EXPECT_FILE srp-ib-srpsnoop.txt

NAME service.d on srp-ib-erf.pcap
PCAP fixtures/pcaps/srp-ib-erf.pcap
SCRIPT service.d
EXPECT_FILE srp-ib-erf-service.txt

NAME srpwho.d on srp-ib-erf.pcap
PCAP fixtures/pcaps/srp-ib-erf.pcap
SCRIPT srpwho.d
EXPECT_FILE srp-ib-erf-srpwho.txt

NAME srpsnoop.d on srp-ib-erf.pcap
PCAP fixtures/pcaps/srp-ib-erf.pcap
SCRIPT srpsnoop.d
EXPECT_FILE srp-ib-erf-srpsnoop.txt

NAME service.d on srp-rocev2-lossy.pcap
PCAP fixtures/pcaps/srp-rocev2-lossy.pcap
SCRIPT service.d
EXPECT_FILE srp-rocev2-lossy-service.txt

NAME srpwho.d on srp-rocev2-lossy.pcap
PCAP fixtures/pcaps/srp-rocev2-lossy.pcap
SCRIPT srpwho.d
EXPECT_FILE srp-rocev2-lossy-srpwho.txt

NAME srpsnoop.d on srp-rocev2-lossy.pcap
PCAP fixtures/pcaps/srp-rocev2-lossy.pcap
SCRIPT srpsnoop.d
EXPECT_FILE srp-rocev2-lossy-srpsnoop.txt

NAME srp: every member of the login, logout and service probes
ARGS -q -n
PCAP fixtures/pcaps/srp-rocev2.pcap
PROG srp:::service-*, srp:::logout-command { printf("%s %s %s %s %s %s %s %s %d\n", probename, args[0]->ci_local, args[0]->ci_remote, args[0]->ci_protocol, args[1]->pi_initiator, args[1]->pi_i_sid, args[1]->pi_target, args[1]->pi_t_sid, args[1]->pi_chan_id); } srp:::login-* { printf("%s %s %s %d %d %d %d %d\n", probename, args[0]->ci_local, args[1]->pi_target, args[2]->li_task_tag, args[2]->li_max_it_iu_len, args[2]->li_max_ti_iu_len, args[2]->li_request_limit, args[2]->reason_code); }
EXPECT <<EOT
login-command 0000000000000000:0000ffffc0a83214 eui.0002C90300D4E5F6 81 8260 0 0 0
login-response 0000000000000000:0000ffffc0a83214 eui.0002C90300D4E5F6 81 0 0 65542 65542
login-command 0000000000000000:0000ffffc0a83214 eui.0002C90300D4E5F6 82 8260 0 0 0
login-response 0000000000000000:0000ffffc0a83214 eui.0002C90300D4E5F6 82 8260 8260 32 32
service-up 0000000000000000:0000ffffc0a83214 <unknown> ib <unknown> <unknown> eui.0002C90300D4E5F6 0002c90300d4e5f6:0002c90300d4e5f6 0
logout-command 0000000000000000:0000ffffc0a83214 0000000000000000:0000ffffc0a8320a ib eui.0002C90300A1B2C3 0000000000000000:0002c90300a1b2c3 eui.0002C90300D4E5F6 0002c90300d4e5f6:0002c90300d4e5f6 0
login-command 0000000000000000:0000ffffc0a83214 eui.0002C90300D4E5F6 84 8260 0 0 0
login-response 0000000000000000:0000ffffc0a83214 eui.0002C90300D4E5F6 84 8260 8260 32 32
service-down 0000000000000000:0000ffffc0a83214 <unknown> ib <unknown> <unknown> eui.0002C90300D4E5F6 0002c90300d4e5f6:0002c90300d4e5f6 0

EOT

NAME srp: every member of the task, SCSI and transfer probes
ARGS -q -n
PCAP fixtures/pcaps/srp-ib.pcap
PROG srp:::task-*, srp:::scsi-response { printf("%s %s %s %x %d %x %d %d %x %d %d %d\n", probename, args[0]->ci_local, args[0]->ci_remote, args[1]->pi_chan_id, args[2]->ti_task_tag, args[2]->ti_lun, args[2]->ti_function, args[2]->ti_req_limit_delta, args[2]->ti_flag, args[2]->ti_do_resid_cnt, args[2]->ti_di_resid_cnt, args[2]->ti_status); } srp:::scsi-command { printf("%s %d %x %d %x\n", probename, args[2]->ic_len, args[2]->ic_cdb[0], args[3]->ti_task_tag, args[3]->ti_lun); } srp:::xfer-* { printf("%s %x %d %x %x %d %x %d %d %d\n", probename, args[2]->xfer_laddr, args[2]->xfer_loffset, args[2]->xfer_lkey, args[2]->xfer_raddr, args[2]->xfer_roffset, args[2]->xfer_rkey, args[2]->xfer_len, args[2]->xfer_type, args[3]->ti_task_tag); }
EXPECT <<EOT
task-command fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 c22 1 1000000000000 0 0 0 0 0 0
scsi-command 16 28 1 1000000000000
xfer-start 0 0 0 7f0000010000 0 1111 4096 1 1
xfer-done 0 0 0 0 0 0 4096 1 1
task-response fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 c22 1 1000000000000 0 1 0 0 0 0
scsi-response fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 c22 1 1000000000000 0 1 0 0 0 0
task-command fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 c22 2 1000000000000 0 0 0 0 0 0
scsi-command 16 2a 2 1000000000000
xfer-start 0 0 0 7f0000020000 0 2222 4096 0 2
xfer-done 0 0 0 0 0 0 4096 0 2
xfer-start 0 4096 0 7f0000030000 0 2223 4096 0 2
xfer-done 0 0 0 0 0 0 4096 0 2
task-response fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 c22 2 1000000000000 0 1 0 0 0 0
scsi-response fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 c22 2 1000000000000 0 1 0 0 0 0
task-command fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 c22 3 1000000000000 0 0 0 0 0 0
scsi-command 16 28 3 1000000000000
xfer-start 0 0 0 7f0000040000 0 3333 1536 1 3
xfer-done 0 0 0 0 0 0 1536 1 3
task-response fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 c22 3 1000000000000 0 1 20 0 512 0
scsi-response fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 c22 3 1000000000000 0 1 20 0 512 0
task-command fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 c22 4 2000000000000 0 0 0 0 0 0
scsi-command 16 12 4 2000000000000
xfer-start 0 0 0 7f0000050000 0 4444 36 1 4
xfer-done 0 0 0 0 0 0 36 1 4
task-response fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 c22 4 2000000000000 0 1 0 0 0 0
scsi-response fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 c22 4 2000000000000 0 1 0 0 0 0
task-command fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 c22 5 1000000000000 0 0 0 0 0 0
scsi-command 16 28 5 1000000000000
task-response fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 c22 5 1000000000000 0 1 2 0 0 2
scsi-response fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 c22 5 1000000000000 0 1 2 0 0 2
task-command fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 c22 6 1000000000000 1 0 0 0 0 0
task-response fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 c22 6 1000000000000 1 1 0 0 0 0
task-command fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 d22 8 1000000000000 0 0 0 0 0 0
scsi-command 16 2a 8 1000000000000
xfer-start 0 0 0 7f0000070000 0 6666 1024 0 8
xfer-done 0 0 0 0 0 0 1024 0 8
task-response fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 d22 8 1000000000000 0 1 0 0 0 0
scsi-response fe80000000000000:0002c90300a1b2c4 fe80000000000000:0002c90300d4e5f7 d22 8 1000000000000 0 1 0 0 0 0

EOT

NAME srp: RDMA bytes by direction and initiator
ARGS -q -n
PCAP fixtures/pcaps/srp-rocev1.pcap
PROG srp:::xfer-done { @[args[0]->ci_local, args[2]->xfer_type ? "data-in" : "data-out"] = sum(args[2]->xfer_len); }
EXPECT <<EOT

  0000000000000000:0000ffffc0a8320a                   data-in                                                        5668
  0000000000000000:0000ffffc0a8320a                   data-out                                                       9216
EOT

NAME io from an SRP initiator: block I/O by device and direction
ARGS -q -n
PCAP fixtures/pcaps/srp-rocev2.pcap
PROG io:::done { @[execname, args[1]->dev_statname, args[0]->b_flags & B_READ ? "R" : "W", args[0]->b_flags & B_ERROR ? "error" : "ok"] = sum(args[0]->b_bcount - args[0]->b_resid); }
EXPECT <<EOT

  0000000000000000:0000ffffc0a8320a                   sd0                                                 R                                                   error                                                             0
  0000000000000000:0000ffffc0a8320a                   sd0                                                 R                                                   ok                                                             5632
  0000000000000000:0000ffffc0a8320a                   sd0                                                 W                                                   ok                                                             9216
EOT
