# Language constructs run through the real CLI on fixture captures.

NAME keyed count on ip receive
ARGS -q --local all
PCAP fixtures/pcaps/ip-mixed.pcap
PROG ip:::receive { @[args[2]->ip_saddr] = count(); }
EXPECT <<EOT

  2001:db8:0:1::7                                                   2
  203.0.113.99                                                      2
  198.51.100.7                                                      3
  2001:db8::10                                                      3
  192.0.2.10                                                        9
EOT

NAME ticks fire between packets on the capture clock
ARGS -q --local all
PCAP fixtures/pcaps/tcp-handshake.pcap
PROG <<END
BEGIN { n = 0; t = 0; }
ip:::send { n++; }
profile:::tick-1ms { t++; }
END { printf("sent=%d ticks=%d\n", n, t); }
END
EXPECT <<EOT
sent=12 ticks=70011

EOT

NAME one-liner with -n and a protocol string member
ARGS -q --local all -n
PCAP fixtures/pcaps/ip-mixed.pcap
PROG ip:::send { @[args[2]->ip_ver == 4 ? args[4]->ipv4_protostr : args[5]->ipv6_nextstr] = count(); }
EXPECT <<EOT

  99                                                                1
  ICMPV6                                                            1
  IGMP                                                              1
  IP                                                                1
  ICMP                                                              2
  UDP                                                               3
  TCP                                                              10
EOT

NAME timestamp counts from the first packet, walltimestamp is capture time
ARGS -q --local all
PCAP fixtures/pcaps/tcp-handshake.pcap
PROG <<END
BEGIN { printf("BEGIN %d %d %Y\n", timestamp, walltimestamp, walltimestamp); }
tcp:::send /self->first[0] == 0/
{
	self->first[0] = timestamp + 1;
	printf("thread %d at %d (%d)\n", ++threads, timestamp, vtimestamp);
}
END { printf("END %d %Y\n", timestamp, walltimestamp); }
END
EXPECT <<EOT
BEGIN 1000000 1700000000001000000 2023 Nov 14 22:13:20
thread 1 at 1000000 (1000000)
thread 2 at 2000000 (2000000)
thread 3 at 70012000000 (70012000000)
END 70012000000 2023 Nov 14 22:14:30

EOT

NAME int storage of timestamp: exact below 2^31 ns, truncated beyond
ARGS -q --local all
PCAP fixtures/pcaps/tcp-handshake.pcap
PROG <<END
int last[int];
ip:::send /timestamp <= 2000000 || timestamp > 60000000000/
{
	last[1] = timestamp;
	printf("%d %d\n", timestamp, last[1]);
}
END
EXPECT <<EOT
1000000 1000000
2000000 2000000
70012000000 1292523264

EOT
