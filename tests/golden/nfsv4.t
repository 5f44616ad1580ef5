# Every seed nfsv4 script (../shared/seed-scripts/nfsv4), unchanged, on the
# generated NFSv4 fixtures (fixtures/gen/nfs4.py) and the NFSv4 captures of ../shared.

NAME nfsv4fileio.d on nfsv4-tcp.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv4-tcp.pcap
SCRIPT nfsv4fileio.d
EXPECT_FILE nfsv4-tcp-nfsv4fileio.txt

NAME nfsv4io.d on nfsv4-tcp.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv4-tcp.pcap
SCRIPT nfsv4io.d
EXPECT_FILE nfsv4-tcp-nfsv4io.txt

NAME nfsv4ops.d on nfsv4-tcp.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv4-tcp.pcap
SCRIPT nfsv4ops.d
EXPECT_FILE nfsv4-tcp-nfsv4ops.txt

NAME nfsv4rwsnoop.d on nfsv4-tcp.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv4-tcp.pcap
SCRIPT nfsv4rwsnoop.d
EXPECT_FILE nfsv4-tcp-nfsv4rwsnoop.txt

NAME nfsv4rwtime.d on nfsv4-tcp.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv4-tcp.pcap
SCRIPT nfsv4rwtime.d
EXPECT_FILE nfsv4-tcp-nfsv4rwtime.txt

NAME nfsv4fileio.d on nfsv4.1-sessions.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv4.1-sessions.pcap
SCRIPT nfsv4fileio.d
EXPECT_FILE nfsv4.1-sessions-nfsv4fileio.txt

NAME nfsv4io.d on nfsv4.1-sessions.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv4.1-sessions.pcap
SCRIPT nfsv4io.d
EXPECT_FILE nfsv4.1-sessions-nfsv4io.txt

NAME nfsv4ops.d on nfsv4.1-sessions.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv4.1-sessions.pcap
SCRIPT nfsv4ops.d
EXPECT_FILE nfsv4.1-sessions-nfsv4ops.txt

NAME nfsv4rwsnoop.d on nfsv4.1-sessions.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv4.1-sessions.pcap
SCRIPT nfsv4rwsnoop.d
EXPECT_FILE nfsv4.1-sessions-nfsv4rwsnoop.txt

NAME nfsv4rwtime.d on nfsv4.1-sessions.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv4.1-sessions.pcap
SCRIPT nfsv4rwtime.d
EXPECT_FILE nfsv4.1-sessions-nfsv4rwtime.txt

# The capture that starts after the mount: paths unknown without a seed.

NAME nfsv4fileio.d on nfsv4-midstream.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv4-midstream.pcap
SCRIPT nfsv4fileio.d
EXPECT_FILE nfsv4-midstream-nfsv4fileio.txt

NAME nfsv4io.d on nfsv4-midstream.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv4-midstream.pcap
SCRIPT nfsv4io.d
EXPECT_FILE nfsv4-midstream-nfsv4io.txt

NAME nfsv4ops.d on nfsv4-midstream.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv4-midstream.pcap
SCRIPT nfsv4ops.d
EXPECT_FILE nfsv4-midstream-nfsv4ops.txt

NAME nfsv4rwsnoop.d on nfsv4-midstream.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv4-midstream.pcap
SCRIPT nfsv4rwsnoop.d
EXPECT_FILE nfsv4-midstream-nfsv4rwsnoop.txt

NAME nfsv4rwtime.d on nfsv4-midstream.pcap
ARGS --local all
PCAP fixtures/pcaps/nfsv4-midstream.pcap
SCRIPT nfsv4rwtime.d
EXPECT_FILE nfsv4-midstream-nfsv4rwtime.txt

# ... and with the directory handle seeded by --nfs-paths.

NAME nfsv4fileio.d on nfsv4-midstream.pcap with --nfs-paths
ARGS --local all --nfs-paths fixtures/pcaps/nfsv4-midstream.paths
PCAP fixtures/pcaps/nfsv4-midstream.pcap
SCRIPT nfsv4fileio.d
EXPECT_FILE nfsv4-midstream-seeded-nfsv4fileio.txt

NAME nfsv4io.d on nfsv4-midstream.pcap with --nfs-paths
ARGS --local all --nfs-paths fixtures/pcaps/nfsv4-midstream.paths
PCAP fixtures/pcaps/nfsv4-midstream.pcap
SCRIPT nfsv4io.d
EXPECT_FILE nfsv4-midstream-seeded-nfsv4io.txt

NAME nfsv4ops.d on nfsv4-midstream.pcap with --nfs-paths
ARGS --local all --nfs-paths fixtures/pcaps/nfsv4-midstream.paths
PCAP fixtures/pcaps/nfsv4-midstream.pcap
SCRIPT nfsv4ops.d
EXPECT_FILE nfsv4-midstream-seeded-nfsv4ops.txt

NAME nfsv4rwsnoop.d on nfsv4-midstream.pcap with --nfs-paths
ARGS --local all --nfs-paths fixtures/pcaps/nfsv4-midstream.paths
PCAP fixtures/pcaps/nfsv4-midstream.pcap
SCRIPT nfsv4rwsnoop.d
EXPECT_FILE nfsv4-midstream-seeded-nfsv4rwsnoop.txt

NAME nfsv4rwtime.d on nfsv4-midstream.pcap with --nfs-paths
ARGS --local all --nfs-paths fixtures/pcaps/nfsv4-midstream.paths
PCAP fixtures/pcaps/nfsv4-midstream.pcap
SCRIPT nfsv4rwtime.d
EXPECT_FILE nfsv4-midstream-seeded-nfsv4rwtime.txt

# The NFSv4 captures of ../shared (skipped when it is absent).

NAME nfsv4fileio.d on nfsv4.1_pnfs.pcap
ARGS --local all
PCAP shared:captures/nfsv4/nfsv4.1_pnfs.pcap
SCRIPT nfsv4fileio.d
EXPECT_FILE shared-nfsv4.1_pnfs-nfsv4fileio.txt

NAME nfsv4io.d on nfsv4.1_pnfs.pcap
ARGS --local all
PCAP shared:captures/nfsv4/nfsv4.1_pnfs.pcap
SCRIPT nfsv4io.d
EXPECT_FILE shared-nfsv4.1_pnfs-nfsv4io.txt

NAME nfsv4ops.d on nfsv4.1_pnfs.pcap
ARGS --local all
PCAP shared:captures/nfsv4/nfsv4.1_pnfs.pcap
SCRIPT nfsv4ops.d
EXPECT_FILE shared-nfsv4.1_pnfs-nfsv4ops.txt

NAME nfsv4rwsnoop.d on nfsv4.1_pnfs.pcap
ARGS --local all
PCAP shared:captures/nfsv4/nfsv4.1_pnfs.pcap
SCRIPT nfsv4rwsnoop.d
EXPECT_FILE shared-nfsv4.1_pnfs-nfsv4rwsnoop.txt

NAME nfsv4rwtime.d on nfsv4.1_pnfs.pcap
ARGS --local all
PCAP shared:captures/nfsv4/nfsv4.1_pnfs.pcap
SCRIPT nfsv4rwtime.d
EXPECT_FILE shared-nfsv4.1_pnfs-nfsv4rwtime.txt

NAME nfsv4fileio.d on pb-nfs_v4-readdir.pcap
ARGS --local all
PCAP shared:captures/nfsv4/pb-nfs_v4-readdir.pcap
SCRIPT nfsv4fileio.d
EXPECT_FILE shared-pb-nfs_v4-readdir-nfsv4fileio.txt

NAME nfsv4io.d on pb-nfs_v4-readdir.pcap
ARGS --local all
PCAP shared:captures/nfsv4/pb-nfs_v4-readdir.pcap
SCRIPT nfsv4io.d
EXPECT_FILE shared-pb-nfs_v4-readdir-nfsv4io.txt

NAME nfsv4ops.d on pb-nfs_v4-readdir.pcap
ARGS --local all
PCAP shared:captures/nfsv4/pb-nfs_v4-readdir.pcap
SCRIPT nfsv4ops.d
EXPECT_FILE shared-pb-nfs_v4-readdir-nfsv4ops.txt

NAME nfsv4rwsnoop.d on pb-nfs_v4-readdir.pcap
ARGS --local all
PCAP shared:captures/nfsv4/pb-nfs_v4-readdir.pcap
SCRIPT nfsv4rwsnoop.d
EXPECT_FILE shared-pb-nfs_v4-readdir-nfsv4rwsnoop.txt

NAME nfsv4rwtime.d on pb-nfs_v4-readdir.pcap
ARGS --local all
PCAP shared:captures/nfsv4/pb-nfs_v4-readdir.pcap
SCRIPT nfsv4rwtime.d
EXPECT_FILE shared-pb-nfs_v4-readdir-nfsv4rwtime.txt

NAME nfsv4fileio.d on pb-nfsv42_clone.pcap
ARGS --local all
PCAP shared:captures/nfsv4/pb-nfsv42_clone.pcap
SCRIPT nfsv4fileio.d
EXPECT_FILE shared-pb-nfsv42_clone-nfsv4fileio.txt

NAME nfsv4io.d on pb-nfsv42_clone.pcap
ARGS --local all
PCAP shared:captures/nfsv4/pb-nfsv42_clone.pcap
SCRIPT nfsv4io.d
EXPECT_FILE shared-pb-nfsv42_clone-nfsv4io.txt

NAME nfsv4ops.d on pb-nfsv42_clone.pcap
ARGS --local all
PCAP shared:captures/nfsv4/pb-nfsv42_clone.pcap
SCRIPT nfsv4ops.d
EXPECT_FILE shared-pb-nfsv42_clone-nfsv4ops.txt

NAME nfsv4rwsnoop.d on pb-nfsv42_clone.pcap
ARGS --local all
PCAP shared:captures/nfsv4/pb-nfsv42_clone.pcap
SCRIPT nfsv4rwsnoop.d
EXPECT_FILE shared-pb-nfsv42_clone-nfsv4rwsnoop.txt

NAME nfsv4rwtime.d on pb-nfsv42_clone.pcap
ARGS --local all
PCAP shared:captures/nfsv4/pb-nfsv42_clone.pcap
SCRIPT nfsv4rwtime.d
EXPECT_FILE shared-pb-nfsv42_clone-nfsv4rwtime.txt

NAME nfsv4fileio.d on nfsv4-ganesha-libnfs.pcap
ARGS --local all
PCAP shared:captures/real-peers/nfsv4-ganesha-libnfs.pcap
SCRIPT nfsv4fileio.d
EXPECT_FILE shared-nfsv4-ganesha-libnfs-nfsv4fileio.txt

NAME nfsv4io.d on nfsv4-ganesha-libnfs.pcap
ARGS --local all
PCAP shared:captures/real-peers/nfsv4-ganesha-libnfs.pcap
SCRIPT nfsv4io.d
EXPECT_FILE shared-nfsv4-ganesha-libnfs-nfsv4io.txt

NAME nfsv4ops.d on nfsv4-ganesha-libnfs.pcap
ARGS --local all
PCAP shared:captures/real-peers/nfsv4-ganesha-libnfs.pcap
SCRIPT nfsv4ops.d
EXPECT_FILE shared-nfsv4-ganesha-libnfs-nfsv4ops.txt

NAME nfsv4rwsnoop.d on nfsv4-ganesha-libnfs.pcap
ARGS --local all
PCAP shared:captures/real-peers/nfsv4-ganesha-libnfs.pcap
SCRIPT nfsv4rwsnoop.d
EXPECT_FILE shared-nfsv4-ganesha-libnfs-nfsv4rwsnoop.txt

NAME nfsv4rwtime.d on nfsv4-ganesha-libnfs.pcap
ARGS --local all
PCAP shared:captures/real-peers/nfsv4-ganesha-libnfs.pcap
SCRIPT nfsv4rwtime.d
EXPECT_FILE shared-nfsv4-ganesha-libnfs-nfsv4rwtime.txt
