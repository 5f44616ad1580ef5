# Every seed io script, unchanged, on an initiator's block I/O (iSCSI) and on
# NFS clients' file I/O: the io provider takes the initiator's / client's side.

NAME iosnoop.d on iscsi-blockio.pcap
PCAP fixtures/pcaps/iscsi-blockio.pcap
SCRIPT iosnoop.d
EXPECT_FILE io-iscsi-blockio-iosnoop.txt

NAME iotime.d on iscsi-blockio.pcap
PCAP fixtures/pcaps/iscsi-blockio.pcap
SCRIPT iotime.d
EXPECT_FILE io-iscsi-blockio-iotime.txt

NAME iothroughput.d on iscsi-blockio.pcap
PCAP fixtures/pcaps/iscsi-blockio.pcap
SCRIPT iothroughput.d
EXPECT_FILE io-iscsi-blockio-iothroughput.txt

NAME whoio.d on iscsi-blockio.pcap
PCAP fixtures/pcaps/iscsi-blockio.pcap
SCRIPT whoio.d
EXPECT_FILE io-iscsi-blockio-whoio.txt

NAME whowrite.d on iscsi-blockio.pcap
PCAP fixtures/pcaps/iscsi-blockio.pcap
SCRIPT whowrite.d
EXPECT_FILE io-iscsi-blockio-whowrite.txt

NAME fileoffsets.d on iscsi-blockio.pcap
PCAP fixtures/pcaps/iscsi-blockio.pcap
SCRIPT fileoffsets.d
EXPECT_FILE io-iscsi-blockio-fileoffsets.txt

NAME iosnoop.d on iscsi-session.pcap
PCAP fixtures/pcaps/iscsi-session.pcap
SCRIPT iosnoop.d
EXPECT_FILE io-iscsi-session-iosnoop.txt

NAME iotime.d on iscsi-session.pcap
PCAP fixtures/pcaps/iscsi-session.pcap
SCRIPT iotime.d
EXPECT_FILE io-iscsi-session-iotime.txt

NAME iothroughput.d on iscsi-session.pcap
PCAP fixtures/pcaps/iscsi-session.pcap
SCRIPT iothroughput.d
EXPECT_FILE io-iscsi-session-iothroughput.txt

NAME whoio.d on iscsi-session.pcap
PCAP fixtures/pcaps/iscsi-session.pcap
SCRIPT whoio.d
EXPECT_FILE io-iscsi-session-whoio.txt

NAME whowrite.d on iscsi-session.pcap
PCAP fixtures/pcaps/iscsi-session.pcap
SCRIPT whowrite.d
EXPECT_FILE io-iscsi-session-whowrite.txt

NAME fileoffsets.d on iscsi-session.pcap
PCAP fixtures/pcaps/iscsi-session.pcap
SCRIPT fileoffsets.d
EXPECT_FILE io-iscsi-session-fileoffsets.txt

NAME iosnoop.d on nfsv3-tcp.pcap
PCAP fixtures/pcaps/nfsv3-tcp.pcap
SCRIPT iosnoop.d
EXPECT_FILE io-nfsv3-tcp-iosnoop.txt

NAME iotime.d on nfsv3-tcp.pcap
PCAP fixtures/pcaps/nfsv3-tcp.pcap
SCRIPT iotime.d
EXPECT_FILE io-nfsv3-tcp-iotime.txt

NAME iothroughput.d on nfsv3-tcp.pcap
PCAP fixtures/pcaps/nfsv3-tcp.pcap
SCRIPT iothroughput.d
EXPECT_FILE io-nfsv3-tcp-iothroughput.txt

NAME whoio.d on nfsv3-tcp.pcap
PCAP fixtures/pcaps/nfsv3-tcp.pcap
SCRIPT whoio.d
EXPECT_FILE io-nfsv3-tcp-whoio.txt

NAME whowrite.d on nfsv3-tcp.pcap
PCAP fixtures/pcaps/nfsv3-tcp.pcap
SCRIPT whowrite.d
EXPECT_FILE io-nfsv3-tcp-whowrite.txt

NAME fileoffsets.d on nfsv3-tcp.pcap
PCAP fixtures/pcaps/nfsv3-tcp.pcap
SCRIPT fileoffsets.d
EXPECT_FILE io-nfsv3-tcp-fileoffsets.txt

NAME iosnoop.d on nfsv3-udp.pcap
PCAP fixtures/pcaps/nfsv3-udp.pcap
SCRIPT iosnoop.d
EXPECT_FILE io-nfsv3-udp-iosnoop.txt

NAME iotime.d on nfsv3-udp.pcap
PCAP fixtures/pcaps/nfsv3-udp.pcap
SCRIPT iotime.d
EXPECT_FILE io-nfsv3-udp-iotime.txt

NAME iothroughput.d on nfsv3-udp.pcap
PCAP fixtures/pcaps/nfsv3-udp.pcap
SCRIPT iothroughput.d
EXPECT_FILE io-nfsv3-udp-iothroughput.txt

NAME whoio.d on nfsv3-udp.pcap
PCAP fixtures/pcaps/nfsv3-udp.pcap
SCRIPT whoio.d
EXPECT_FILE io-nfsv3-udp-whoio.txt

NAME whowrite.d on nfsv3-udp.pcap
PCAP fixtures/pcaps/nfsv3-udp.pcap
SCRIPT whowrite.d
EXPECT_FILE io-nfsv3-udp-whowrite.txt

NAME fileoffsets.d on nfsv3-udp.pcap
PCAP fixtures/pcaps/nfsv3-udp.pcap
SCRIPT fileoffsets.d
EXPECT_FILE io-nfsv3-udp-fileoffsets.txt

NAME every member of an iSCSI block I/O
ARGS -q -n
PCAP fixtures/pcaps/iscsi-blockio.pcap
PROG io:::start, io:::done { printf("%s %s b_flags=%x bcount=%d blkno=%d lblkno=%d resid=%d error=%d edev=%x major=%d minor=%d instance=%d %s %s %s %s %d %s %s\n", probename, execname, args[0]->b_flags, args[0]->b_bcount, args[0]->b_blkno, args[0]->b_lblkno, args[0]->b_resid, args[0]->b_error, args[0]->b_edev, args[1]->dev_major, args[1]->dev_minor, args[1]->dev_instance, args[1]->dev_name, args[1]->dev_statname, args[1]->dev_pathname, args[2]->fi_pathname, args[2]->fi_offset, args[2]->fi_fs, args[2]->fi_mount); }
EXPECT <<EOT
start 10.0.0.1 b_flags=41 bcount=8192 blkno=80 lblkno=80 resid=0 error=0 edev=2000000000 major=32 minor=0 instance=0 sd sd0 /devices/iscsi/disk@0000iqn.2024-01.org.pcapprobe%3Adisk10001,1:a <none> -1 <none> <none>
done 10.0.0.1 b_flags=41 bcount=8192 blkno=80 lblkno=80 resid=0 error=0 edev=2000000000 major=32 minor=0 instance=0 sd sd0 /devices/iscsi/disk@0000iqn.2024-01.org.pcapprobe%3Adisk10001,1:a <none> -1 <none> <none>
start 10.0.0.1 b_flags=101 bcount=4096 blkno=800 lblkno=800 resid=0 error=0 edev=2000000000 major=32 minor=0 instance=0 sd sd0 /devices/iscsi/disk@0000iqn.2024-01.org.pcapprobe%3Adisk10001,1:a <none> -1 <none> <none>
done 10.0.0.1 b_flags=101 bcount=4096 blkno=800 lblkno=800 resid=0 error=0 edev=2000000000 major=32 minor=0 instance=0 sd sd0 /devices/iscsi/disk@0000iqn.2024-01.org.pcapprobe%3Adisk10001,1:a <none> -1 <none> <none>
start 10.0.0.1 b_flags=41 bcount=2048 blkno=7 lblkno=7 resid=0 error=0 edev=2000000040 major=32 minor=64 instance=1 sd sd1 /devices/iscsi/disk@0000iqn.2024-01.org.pcapprobe%3Adisk10001,2:a <none> -1 <none> <none>
done 10.0.0.1 b_flags=41 bcount=2048 blkno=7 lblkno=7 resid=512 error=0 edev=2000000040 major=32 minor=64 instance=1 sd sd1 /devices/iscsi/disk@0000iqn.2024-01.org.pcapprobe%3Adisk10001,2:a <none> -1 <none> <none>
start 10.0.0.1 b_flags=101 bcount=4096 blkno=20 lblkno=20 resid=0 error=0 edev=2000000040 major=32 minor=64 instance=1 sd sd1 /devices/iscsi/disk@0000iqn.2024-01.org.pcapprobe%3Adisk10001,2:a <none> -1 <none> <none>
done 10.0.0.1 b_flags=105 bcount=4096 blkno=20 lblkno=20 resid=4096 error=5 edev=2000000040 major=32 minor=64 instance=1 sd sd1 /devices/iscsi/disk@0000iqn.2024-01.org.pcapprobe%3Adisk10001,2:a <none> -1 <none> <none>
start 10.0.0.1 b_flags=101 bcount=65536 blkno=8000 lblkno=8000 resid=0 error=0 edev=2000000000 major=32 minor=0 instance=0 sd sd0 /devices/iscsi/disk@0000iqn.2024-01.org.pcapprobe%3Adisk10001,1:a <none> -1 <none> <none>
done 10.0.0.1 b_flags=101 bcount=65536 blkno=8000 lblkno=8000 resid=0 error=0 edev=2000000000 major=32 minor=0 instance=0 sd sd0 /devices/iscsi/disk@0000iqn.2024-01.org.pcapprobe%3Adisk10001,1:a <none> -1 <none> <none>
start 10.0.0.1 b_flags=41 bcount=4096 blkno=8589934592 lblkno=8589934592 resid=0 error=0 edev=2000000040 major=32 minor=64 instance=1 sd sd1 /devices/iscsi/disk@0000iqn.2024-01.org.pcapprobe%3Adisk10001,2:a <none> -1 <none> <none>
done 10.0.0.1 b_flags=41 bcount=4096 blkno=8589934592 lblkno=8589934592 resid=0 error=0 edev=2000000040 major=32 minor=64 instance=1 sd sd1 /devices/iscsi/disk@0000iqn.2024-01.org.pcapprobe%3Adisk10001,2:a <none> -1 <none> <none>
start 10.0.0.1 b_flags=41 bcount=4096 blkno=240 lblkno=240 resid=0 error=0 edev=2000000000 major=32 minor=0 instance=0 sd sd0 /devices/iscsi/disk@0000iqn.2024-01.org.pcapprobe%3Adisk10001,1:a <none> -1 <none> <none>
done 10.0.0.1 b_flags=45 bcount=4096 blkno=240 lblkno=240 resid=4096 error=5 edev=2000000000 major=32 minor=0 instance=0 sd sd0 /devices/iscsi/disk@0000iqn.2024-01.org.pcapprobe%3Adisk10001,1:a <none> -1 <none> <none>

EOT

NAME every member of NFS client I/O, with the waits of stable writes
ARGS -q -n
PCAP fixtures/pcaps/nfsv3-udp.pcap
PROG io::: { printf("%s %s b_flags=%x bcount=%d blkno=%d resid=%d error=%d edev=%x %s %d %s [%s] [%s] [%s] %d %s %s\n", probename, execname, args[0]->b_flags, args[0]->b_bcount, args[0]->b_blkno, args[0]->b_resid, args[0]->b_error, args[0]->b_edev, args[1]->dev_statname, args[1]->dev_minor, args[1]->dev_pathname, args[2]->fi_name, args[2]->fi_dirname, args[2]->fi_pathname, args[2]->fi_offset, args[2]->fi_fs, args[2]->fi_mount); }
EXPECT <<EOT
start 192.0.2.76 b_flags=50 bcount=32768 blkno=0 resid=0 error=0 edev=1 nfs1 1 <nfs> [notes.txt] [/export/home/docs] [/export/home/docs/notes.txt] 0 nfs3 /export/home
done 192.0.2.76 b_flags=50 bcount=32768 blkno=0 resid=0 error=0 edev=1 nfs1 1 <nfs> [notes.txt] [/export/home/docs] [/export/home/docs/notes.txt] 0 nfs3 /export/home
start 192.0.2.76 b_flags=50 bcount=32768 blkno=64 resid=0 error=0 edev=1 nfs1 1 <nfs> [notes.txt] [/export/home/docs] [/export/home/docs/notes.txt] 32768 nfs3 /export/home
done 192.0.2.76 b_flags=50 bcount=32768 blkno=64 resid=0 error=0 edev=1 nfs1 1 <nfs> [notes.txt] [/export/home/docs] [/export/home/docs/notes.txt] 32768 nfs3 /export/home
start 192.0.2.76 b_flags=50 bcount=32768 blkno=128 resid=0 error=0 edev=1 nfs1 1 <nfs> [notes.txt] [/export/home/docs] [/export/home/docs/notes.txt] 65536 nfs3 /export/home
done 192.0.2.76 b_flags=50 bcount=32768 blkno=128 resid=28304 error=0 edev=1 nfs1 1 <nfs> [notes.txt] [/export/home/docs] [/export/home/docs/notes.txt] 65536 nfs3 /export/home
start 192.0.2.76 b_flags=110 bcount=20000 blkno=136 resid=0 error=0 edev=1 nfs1 1 <nfs> [notes.txt] [/export/home/docs] [/export/home/docs/notes.txt] 70000 nfs3 /export/home
wait-start 192.0.2.76 b_flags=110 bcount=20000 blkno=136 resid=0 error=0 edev=1 nfs1 1 <nfs> [notes.txt] [/export/home/docs] [/export/home/docs/notes.txt] 70000 nfs3 /export/home
done 192.0.2.76 b_flags=110 bcount=20000 blkno=136 resid=0 error=0 edev=1 nfs1 1 <nfs> [notes.txt] [/export/home/docs] [/export/home/docs/notes.txt] 70000 nfs3 /export/home
wait-done 192.0.2.76 b_flags=110 bcount=20000 blkno=136 resid=0 error=0 edev=1 nfs1 1 <nfs> [notes.txt] [/export/home/docs] [/export/home/docs/notes.txt] 70000 nfs3 /export/home

EOT

NAME B_ASYNC write-behind and error counts on NFS over TCP
ARGS -q -n
PCAP fixtures/pcaps/nfsv3-tcp.pcap
PROG io:::done { @[args[0]->b_flags & B_ASYNC ? "async" : "sync", args[0]->b_flags & B_ERROR ? "error" : "ok"] = count(); }
EXPECT <<EOT

  async                                               ok                                                                3
  sync                                                ok                                                                7
EOT

NAME iosnoop.d on nfsv4-tcp.pcap: an NFSv4 client's reads and writes
PCAP fixtures/pcaps/nfsv4-tcp.pcap
SCRIPT iosnoop.d
EXPECT <<EOT
    DEVICE                                                       FILE RW
      nfs1                                     /export/stuff/bin/nawk  R
      nfs1                                     /export/stuff/bin/nawk  R
      nfs1                                     /export/stuff/bin/nawk  R
      nfs1                                     /export/stuff/bin/nawk  R
      nfs1                                     /export/stuff/bin/nawk  R
      nfs1                                        /export/stuff/words  W
      nfs1                                        /export/stuff/words  W
      nfs1                                        /export/stuff/words  W
      nfs1                                        /export/stuff/words  R
      nfs1                                        /export/stuff/words  R
      nfs1                                        /export/stuff/words  R

EOT

NAME whowrite.d on nfsv4.1-sessions.pcap
PCAP fixtures/pcaps/nfsv4.1-sessions.pcap
SCRIPT whowrite.d
EXPECT <<EOT
                 WHO                                               WHERE COUNT
          192.0.2.76                                        /export/vol1     3

EOT

NAME iosnoop.d on fc-fcoe.pcap: an FC initiator's block I/O over FCoE
PCAP fixtures/pcaps/fc-fcoe.pcap
SCRIPT iosnoop.d
EXPECT <<EOT
    DEVICE                                                       FILE RW
       sd0                                                     <none>  R
       sd0                                                     <none>  W
       sd0                                                     <none>  R

EOT

NAME whoio.d on fc-link225.pcap: FC initiators are named by their WWPN
PCAP fixtures/pcaps/fc-link225.pcap
SCRIPT whoio.d
EXPECT <<EOT
    DEVICE                  APP        PID           BYTES
       sd0     10000000c953e162          0           14336

EOT
