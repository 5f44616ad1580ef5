# Every seed io script, unchanged, on the real iSCSI and NFSv3 captures of ../shared
# that hold READs or WRITEs (skipped when ../shared is absent).

NAME iosnoop.d on iscsi/iscsi-scsi-data-cdrom.pcap
PCAP shared:captures/iscsi/iscsi-scsi-data-cdrom.pcap
SCRIPT iosnoop.d
EXPECT_FILE io-shared-iscsi-scsi-data-cdrom-iosnoop.txt

NAME iotime.d on iscsi/iscsi-scsi-data-cdrom.pcap
PCAP shared:captures/iscsi/iscsi-scsi-data-cdrom.pcap
SCRIPT iotime.d
EXPECT_FILE io-shared-iscsi-scsi-data-cdrom-iotime.txt

NAME iothroughput.d on iscsi/iscsi-scsi-data-cdrom.pcap
PCAP shared:captures/iscsi/iscsi-scsi-data-cdrom.pcap
SCRIPT iothroughput.d
EXPECT_FILE io-shared-iscsi-scsi-data-cdrom-iothroughput.txt

NAME whoio.d on iscsi/iscsi-scsi-data-cdrom.pcap
PCAP shared:captures/iscsi/iscsi-scsi-data-cdrom.pcap
SCRIPT whoio.d
EXPECT_FILE io-shared-iscsi-scsi-data-cdrom-whoio.txt

NAME whowrite.d on iscsi/iscsi-scsi-data-cdrom.pcap
PCAP shared:captures/iscsi/iscsi-scsi-data-cdrom.pcap
SCRIPT whowrite.d
EXPECT_FILE io-shared-iscsi-scsi-data-cdrom-whowrite.txt

NAME fileoffsets.d on iscsi/iscsi-scsi-data-cdrom.pcap
PCAP shared:captures/iscsi/iscsi-scsi-data-cdrom.pcap
SCRIPT fileoffsets.d
EXPECT_FILE io-shared-iscsi-scsi-data-cdrom-fileoffsets.txt

NAME iosnoop.d on real-peers/iscsi-tgt-libiscsi.pcap
PCAP shared:captures/real-peers/iscsi-tgt-libiscsi.pcap
SCRIPT iosnoop.d
EXPECT_FILE io-shared-iscsi-tgt-libiscsi-iosnoop.txt

NAME iotime.d on real-peers/iscsi-tgt-libiscsi.pcap
PCAP shared:captures/real-peers/iscsi-tgt-libiscsi.pcap
SCRIPT iotime.d
EXPECT_FILE io-shared-iscsi-tgt-libiscsi-iotime.txt

NAME iothroughput.d on real-peers/iscsi-tgt-libiscsi.pcap
PCAP shared:captures/real-peers/iscsi-tgt-libiscsi.pcap
SCRIPT iothroughput.d
EXPECT_FILE io-shared-iscsi-tgt-libiscsi-iothroughput.txt

NAME whoio.d on real-peers/iscsi-tgt-libiscsi.pcap
PCAP shared:captures/real-peers/iscsi-tgt-libiscsi.pcap
SCRIPT whoio.d
EXPECT_FILE io-shared-iscsi-tgt-libiscsi-whoio.txt

NAME whowrite.d on real-peers/iscsi-tgt-libiscsi.pcap
PCAP shared:captures/real-peers/iscsi-tgt-libiscsi.pcap
SCRIPT whowrite.d
EXPECT_FILE io-shared-iscsi-tgt-libiscsi-whowrite.txt

NAME fileoffsets.d on real-peers/iscsi-tgt-libiscsi.pcap
PCAP shared:captures/real-peers/iscsi-tgt-libiscsi.pcap
SCRIPT fileoffsets.d
EXPECT_FILE io-shared-iscsi-tgt-libiscsi-fileoffsets.txt

NAME iosnoop.d on real-peers/iscsi-tgt-libiscsi-hdigest.pcap
PCAP shared:captures/real-peers/iscsi-tgt-libiscsi-hdigest.pcap
SCRIPT iosnoop.d
EXPECT_FILE io-shared-iscsi-tgt-libiscsi-hdigest-iosnoop.txt

NAME iotime.d on real-peers/iscsi-tgt-libiscsi-hdigest.pcap
PCAP shared:captures/real-peers/iscsi-tgt-libiscsi-hdigest.pcap
SCRIPT iotime.d
EXPECT_FILE io-shared-iscsi-tgt-libiscsi-hdigest-iotime.txt

NAME iothroughput.d on real-peers/iscsi-tgt-libiscsi-hdigest.pcap
PCAP shared:captures/real-peers/iscsi-tgt-libiscsi-hdigest.pcap
SCRIPT iothroughput.d
EXPECT_FILE io-shared-iscsi-tgt-libiscsi-hdigest-iothroughput.txt

NAME whoio.d on real-peers/iscsi-tgt-libiscsi-hdigest.pcap
PCAP shared:captures/real-peers/iscsi-tgt-libiscsi-hdigest.pcap
SCRIPT whoio.d
EXPECT_FILE io-shared-iscsi-tgt-libiscsi-hdigest-whoio.txt

NAME whowrite.d on real-peers/iscsi-tgt-libiscsi-hdigest.pcap
PCAP shared:captures/real-peers/iscsi-tgt-libiscsi-hdigest.pcap
SCRIPT whowrite.d
EXPECT_FILE io-shared-iscsi-tgt-libiscsi-hdigest-whowrite.txt

NAME fileoffsets.d on real-peers/iscsi-tgt-libiscsi-hdigest.pcap
PCAP shared:captures/real-peers/iscsi-tgt-libiscsi-hdigest.pcap
SCRIPT fileoffsets.d
EXPECT_FILE io-shared-iscsi-tgt-libiscsi-hdigest-fileoffsets.txt

NAME iosnoop.d on real-peers/nfsv3-ganesha-libnfs.pcap
PCAP shared:captures/real-peers/nfsv3-ganesha-libnfs.pcap
SCRIPT iosnoop.d
EXPECT_FILE io-shared-nfsv3-ganesha-libnfs-iosnoop.txt

NAME iotime.d on real-peers/nfsv3-ganesha-libnfs.pcap
PCAP shared:captures/real-peers/nfsv3-ganesha-libnfs.pcap
SCRIPT iotime.d
EXPECT_FILE io-shared-nfsv3-ganesha-libnfs-iotime.txt

NAME iothroughput.d on real-peers/nfsv3-ganesha-libnfs.pcap
PCAP shared:captures/real-peers/nfsv3-ganesha-libnfs.pcap
SCRIPT iothroughput.d
EXPECT_FILE io-shared-nfsv3-ganesha-libnfs-iothroughput.txt

NAME whoio.d on real-peers/nfsv3-ganesha-libnfs.pcap
PCAP shared:captures/real-peers/nfsv3-ganesha-libnfs.pcap
SCRIPT whoio.d
EXPECT_FILE io-shared-nfsv3-ganesha-libnfs-whoio.txt

NAME whowrite.d on real-peers/nfsv3-ganesha-libnfs.pcap
PCAP shared:captures/real-peers/nfsv3-ganesha-libnfs.pcap
SCRIPT whowrite.d
EXPECT_FILE io-shared-nfsv3-ganesha-libnfs-whowrite.txt

NAME fileoffsets.d on real-peers/nfsv3-ganesha-libnfs.pcap
PCAP shared:captures/real-peers/nfsv3-ganesha-libnfs.pcap
SCRIPT fileoffsets.d
EXPECT_FILE io-shared-nfsv3-ganesha-libnfs-fileoffsets.txt

NAME iosnoop.d on nfsv3/nfsv3-udp.pcap
PCAP shared:captures/nfsv3/nfsv3-udp.pcap
SCRIPT iosnoop.d
EXPECT_FILE io-shared-nfsv3-udp-iosnoop.txt

NAME iotime.d on nfsv3/nfsv3-udp.pcap
PCAP shared:captures/nfsv3/nfsv3-udp.pcap
SCRIPT iotime.d
EXPECT_FILE io-shared-nfsv3-udp-iotime.txt

NAME iothroughput.d on nfsv3/nfsv3-udp.pcap
PCAP shared:captures/nfsv3/nfsv3-udp.pcap
SCRIPT iothroughput.d
EXPECT_FILE io-shared-nfsv3-udp-iothroughput.txt

NAME whoio.d on nfsv3/nfsv3-udp.pcap
PCAP shared:captures/nfsv3/nfsv3-udp.pcap
SCRIPT whoio.d
EXPECT_FILE io-shared-nfsv3-udp-whoio.txt

NAME whowrite.d on nfsv3/nfsv3-udp.pcap
PCAP shared:captures/nfsv3/nfsv3-udp.pcap
SCRIPT whowrite.d
EXPECT_FILE io-shared-nfsv3-udp-whowrite.txt

NAME fileoffsets.d on nfsv3/nfsv3-udp.pcap
PCAP shared:captures/nfsv3/nfsv3-udp.pcap
SCRIPT fileoffsets.d
EXPECT_FILE io-shared-nfsv3-udp-fileoffsets.txt

NAME iosnoop.d on nfsv3/zeek-nfs_write.pcap
PCAP shared:captures/nfsv3/zeek-nfs_write.pcap
SCRIPT iosnoop.d
EXPECT_FILE io-shared-zeek-nfs_write-iosnoop.txt

NAME iotime.d on nfsv3/zeek-nfs_write.pcap
PCAP shared:captures/nfsv3/zeek-nfs_write.pcap
SCRIPT iotime.d
EXPECT_FILE io-shared-zeek-nfs_write-iotime.txt

NAME iothroughput.d on nfsv3/zeek-nfs_write.pcap
PCAP shared:captures/nfsv3/zeek-nfs_write.pcap
SCRIPT iothroughput.d
EXPECT_FILE io-shared-zeek-nfs_write-iothroughput.txt

NAME whoio.d on nfsv3/zeek-nfs_write.pcap
PCAP shared:captures/nfsv3/zeek-nfs_write.pcap
SCRIPT whoio.d
EXPECT_FILE io-shared-zeek-nfs_write-whoio.txt

NAME whowrite.d on nfsv3/zeek-nfs_write.pcap
PCAP shared:captures/nfsv3/zeek-nfs_write.pcap
SCRIPT whowrite.d
EXPECT_FILE io-shared-zeek-nfs_write-whowrite.txt

NAME fileoffsets.d on nfsv3/zeek-nfs_write.pcap
PCAP shared:captures/nfsv3/zeek-nfs_write.pcap
SCRIPT fileoffsets.d
EXPECT_FILE io-shared-zeek-nfs_write-fileoffsets.txt
