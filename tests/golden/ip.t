# ip provider: the ip one-liners and ip/*.d scripts of ../shared/seed-scripts on
# the fixtures of fixtures/gen/ip.py, from each --local perspective.

NAME ip one-liner: received packets by source, --local auto
ARGS -n
PCAP fixtures/pcaps/ip-mixed.pcap
PROG ip:::receive { @[args[2]->ip_saddr] = count(); }
EXPECT <<EOT

  203.0.113.99                                                      2
  198.51.100.7                                                      3
EOT
STDERR <<EOT
pcapprobe: description 'ip:::receive ' matched 1 probe
pcapprobe: --local auto: local host is 192.0.2.10 (in 14 of 19 IP packets; use --local to choose)
EOT

NAME ip one-liner: sent payload size distribution, --local all
ARGS -n --local=all
PCAP fixtures/pcaps/ip-mixed.pcap
PROG ip:::send { @[args[2]->ip_daddr] = quantize(args[2]->ip_plength); }
EXPECT <<EOT

  2001:db8::10                                      
           value  ------------- Distribution ------------- count    
               8 |                                         0        
              16 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 2        
              32 |                                         0        

  2001:db8:0:1::7                                   
           value  ------------- Distribution ------------- count    
               8 |                                         0        
              16 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 3        
              32 |                                         0        

  203.0.113.99                                      
           value  ------------- Distribution ------------- count    
              16 |                                         0        
              32 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 2        
              64 |                                         0        

  198.51.100.7                                      
           value  ------------- Distribution ------------- count    
               4 |                                         0        
               8 |@@@@@@                                   1        
              16 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@            5        
              32 |@@@@@@                                   1        
              64 |                                         0        

  192.0.2.10                                        
           value  ------------- Distribution ------------- count    
               8 |                                         0        
              16 |@@@@@@@@@@@@@@@@                         2        
              32 |@@@@@@@@                                 1        
              64 |@@@@@@@@                                 1        
             128 |                                         0        
             256 |@@@@@@@@                                 1        
             512 |                                         0        

EOT

NAME ipproto.d: both directions with protocol names, IPv4 and IPv6
ARGS --local=all
PCAP fixtures/pcaps/ip-mixed.pcap
SCRIPT ipproto.d
EXPECT <<EOT
Tracing... Hit Ctrl-C to end.
   SADDR                        DADDR                         PROTO    COUNT
   192.0.2.10                   198.51.100.7                     99        2
   192.0.2.10                   198.51.100.7                   IGMP        2
   192.0.2.10                   203.0.113.99                   ICMP        2
   192.0.2.10                   203.0.113.99                    UDP        2
   2001:db8:0:1::7              2001:db8::10                 ICMPV6        2
   2001:db8:0:1::7              2001:db8::10                    TCP        2
   2001:db8::10                 2001:db8:0:1::7                  IP        2
   2001:db8::10                 2001:db8:0:1::7                 TCP        2
   2001:db8::10                 2001:db8:0:1::7                 UDP        2
   203.0.113.99                 192.0.2.10                     ICMP        2
   203.0.113.99                 192.0.2.10                      UDP        2
   198.51.100.7                 192.0.2.10                      TCP        6
   192.0.2.10                   198.51.100.7                    TCP       10

EOT

NAME ipio.d: pcapng interface names, two local addresses
ARGS --local=192.0.2.10 --local=2001:db8::10
PCAP fixtures/pcaps/fmt-pcapng-le.pcapng
SCRIPT ipio.d
EXPECT <<EOT
 CPU  DELTA(us)          SOURCE               DEST      INT  BYTES
   0          0      192.0.2.10 ->    198.51.100.7     eth0     20
   0       1250      192.0.2.10 <-    198.51.100.7      lo0     20
   0       1249      192.0.2.10 ->    198.51.100.7 <unknown>     20
   0       1249      192.0.2.10 ->    198.51.100.7     eth0     38
   0       1250      192.0.2.10 <-    198.51.100.7     eth0    320
   0       1250      192.0.2.10 ->    198.51.100.7     eth0     20
   0       1250      192.0.2.10 <-    198.51.100.7      lo0     20
   0       1249      192.0.2.10 ->    198.51.100.7 <unknown>     20
   0       1250      192.0.2.10 ->    203.0.113.99     eth0     40
   0       1250      192.0.2.10 <-    203.0.113.99     eth0    100
   0       1250      192.0.2.10 ->    203.0.113.99     eth0     40
   0       1250      192.0.2.10 <-    203.0.113.99      lo0     40
   0       1249      192.0.2.10 ->    198.51.100.7 <unknown>      8
   0       1249    2001:db8::10 -> 2001:db8:0:1::7     eth0     20
   0       1250    2001:db8::10 <- 2001:db8:0:1::7     eth0     20
   0       1250    2001:db8::10 -> 2001:db8:0:1::7     eth0     19
   0       1250    2001:db8::10 <- 2001:db8:0:1::7      lo0     28
   0       1249    2001:db8::10 -> 2001:db8:0:1::7 <unknown>     19
   0       1249      192.0.2.10 ->    198.51.100.7     eth0     16

EOT

NAME ip fragments fire per fragment with byte offsets and flag bits
ARGS -q -n --local=198.51.100.7
PCAP fixtures/pcaps/ip-frag.pcap
PROG ip:::receive { printf("%s %d %d %x %s\n", args[2]->ip_saddr, args[2]->ip_plength, args[4]->ipv4_offset, args[4]->ipv4_flags, args[4]->ipv4_protostr); }
EXPECT <<EOT
192.0.2.10 800 0 20 UDP
192.0.2.10 408 1600 0 UDP
192.0.2.10 800 800 20 UDP

EOT

NAME ipv6info_t is null for IPv4 and ipv4info_t for IPv6
ARGS -q --local=all
PCAP fixtures/pcaps/link-raw.pcap
PROG <<END
ip:::send
/args[2]->ip_ver == 6/
{
        printf("%s %s %d %s %d %d %d\n", args[4]->ipv4_saddr, args[5]->ipv6_nextstr,
            args[5]->ipv6_hlim, args[5]->ipv6_daddr, args[5]->ipv6_tclass,
            args[5]->ipv6_flow, args[4]->ipv4_ttl);
}

ip:::send
/args[2]->ip_ver == 4 && args[4]->ipv4_ihl > 20/
{
        printf("%s %d %d %s\n", args[5]->ipv6_saddr, args[4]->ipv4_ihl,
            args[4]->ipv4_length, args[3]->if_name);
}
END
EXPECT <<EOT
<null> 24 64 <unknown>
<null> TCP 64 2001:db8:0:1::7 40 48879 0
<null> TCP 60 2001:db8::10 0 0 0
<null> UDP 255 2001:db8:0:1::7 0 0 0
<null> ICMPV6 60 2001:db8::10 0 0 0
<null> IP 64 2001:db8:0:1::7 0 0 0

EOT

# link-raw-ipv4.pcap (LINKTYPE_IPV4, 228) and link-raw-ipv6.pcap (LINKTYPE_IPV6,
# 229) hold ip-mixed's 14 IPv4 and 5 IPv6 packets respectively (fixtures/gen/ip.py
# splits by version; tshark counts the same): together they give link-raw.pcap's
# per-source counts, and neither holds a packet of the other version.

NAME ip:::send per version and source on link-raw-ipv4.pcap
ARGS --local=all -n
PCAP fixtures/pcaps/link-raw-ipv4.pcap
PROG ip:::send { @[args[2]->ip_ver, args[2]->ip_saddr] = count(); }
EXPECT <<EOT

   4  203.0.113.99                                                      2
   4  198.51.100.7                                                      3
   4  192.0.2.10                                                        9
EOT

NAME ip:::send per version and source on link-raw-ipv6.pcap
ARGS --local=all -n
PCAP fixtures/pcaps/link-raw-ipv6.pcap
PROG ip:::send { @[args[2]->ip_ver, args[2]->ip_saddr] = count(); }
EXPECT <<EOT

   6  2001:db8:0:1::7                                                   2
   6  2001:db8::10                                                      3
EOT
