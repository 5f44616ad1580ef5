# Every seed nfsv3 script, unchanged, on the generated NFSv3 fixtures (server view).

NAME nfsv3fileio.d on nfsv3-tcp.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv3-tcp.pcap
SCRIPT nfsv3fileio.d
EXPECT_FILE nfsv3-tcp-nfsv3fileio.txt

NAME nfsv3io.d on nfsv3-tcp.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv3-tcp.pcap
SCRIPT nfsv3io.d
EXPECT_FILE nfsv3-tcp-nfsv3io.txt

NAME nfsv3ops.d on nfsv3-tcp.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv3-tcp.pcap
SCRIPT nfsv3ops.d
EXPECT_FILE nfsv3-tcp-nfsv3ops.txt

NAME nfsv3rwsnoop.d on nfsv3-tcp.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv3-tcp.pcap
SCRIPT nfsv3rwsnoop.d
EXPECT_FILE nfsv3-tcp-nfsv3rwsnoop.txt

NAME nfsv3rwtime.d on nfsv3-tcp.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv3-tcp.pcap
SCRIPT nfsv3rwtime.d
EXPECT_FILE nfsv3-tcp-nfsv3rwtime.txt

NAME nfsv3fileio.d on nfsv3-udp.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv3-udp.pcap
SCRIPT nfsv3fileio.d
EXPECT_FILE nfsv3-udp-nfsv3fileio.txt

NAME nfsv3io.d on nfsv3-udp.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv3-udp.pcap
SCRIPT nfsv3io.d
EXPECT_FILE nfsv3-udp-nfsv3io.txt

NAME nfsv3ops.d on nfsv3-udp.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv3-udp.pcap
SCRIPT nfsv3ops.d
EXPECT_FILE nfsv3-udp-nfsv3ops.txt

NAME nfsv3rwsnoop.d on nfsv3-udp.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv3-udp.pcap
SCRIPT nfsv3rwsnoop.d
EXPECT_FILE nfsv3-udp-nfsv3rwsnoop.txt

NAME nfsv3rwtime.d on nfsv3-udp.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv3-udp.pcap
SCRIPT nfsv3rwtime.d
EXPECT_FILE nfsv3-udp-nfsv3rwtime.txt

NAME nfsv3fileio.d on nfsv3-midstream.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv3-midstream.pcap
SCRIPT nfsv3fileio.d
EXPECT_FILE nfsv3-midstream-nfsv3fileio.txt

NAME nfsv3io.d on nfsv3-midstream.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv3-midstream.pcap
SCRIPT nfsv3io.d
EXPECT_FILE nfsv3-midstream-nfsv3io.txt

NAME nfsv3ops.d on nfsv3-midstream.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv3-midstream.pcap
SCRIPT nfsv3ops.d
EXPECT_FILE nfsv3-midstream-nfsv3ops.txt

NAME nfsv3rwsnoop.d on nfsv3-midstream.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv3-midstream.pcap
SCRIPT nfsv3rwsnoop.d
EXPECT_FILE nfsv3-midstream-nfsv3rwsnoop.txt

NAME nfsv3rwtime.d on nfsv3-midstream.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv3-midstream.pcap
SCRIPT nfsv3rwtime.d
EXPECT_FILE nfsv3-midstream-nfsv3rwtime.txt

# The capture that starts after the mount, with the root handle seeded.

NAME nfsv3fileio.d on nfsv3-midstream.pcap with --nfs-paths
ARGS --local all --nfs-paths fixtures/pcaps/nfsv3-midstream.paths
PCAP fixtures/pcaps/nfsv3-midstream.pcap
SCRIPT nfsv3fileio.d
EXPECT_FILE nfsv3-midstream-nfsv3fileio-seeded.txt

NAME nfsv3rwsnoop.d on nfsv3-midstream.pcap with --nfs-paths
ARGS --local all --nfs-paths fixtures/pcaps/nfsv3-midstream.paths
PCAP fixtures/pcaps/nfsv3-midstream.pcap
SCRIPT nfsv3rwsnoop.d
EXPECT_FILE nfsv3-midstream-nfsv3rwsnoop-seeded.txt
