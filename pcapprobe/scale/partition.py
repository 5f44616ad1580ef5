"""Which worker takes a packet: a hash of its host pair (in C: cext/partition.c).

The partition key of an IP packet is its canonical (unordered) pair of
addresses, not the 5-tuple: every fragment of a datagram has it (a later
fragment carries no ports), and so do the flows that share protocol state
between two hosts (MOUNT then NFS on other connections, the connections of an
iSCSI session, RPC over UDP and TCP).  A frame without IP (ARP, FCoE,
InfiniBand, link types the key does not read) goes to partition 0: each such
transport is then wholly seen, in order, by one worker.

``partition_of(frame, count)`` returns ``(partition, kind)``; the kind says
whether the packet is a TCP segment the TCP layer takes or a fragment: a
worker that skips it still runs the clocks those drive in a single-process
run (TCP time-wait and sweeps, fragment timeouts; worker.SkippedClocks), so
every clock event happens at the same packet.
"""

from __future__ import annotations

from pcapprobe._fastpath import partition_of

__all__ = ["OTHER", "TCP", "FRAGMENT", "TCP_FRAGMENT", "partition_of"]

OTHER, TCP, FRAGMENT, TCP_FRAGMENT = 0, 1, 2, 3
