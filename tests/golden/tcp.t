# tcp and udp providers: tcpstate.d, tcpio.d and every tcp/udp one-liner of
# ../shared/seed-scripts on the fixtures of fixtures/gen/tcp.py.

NAME tcpstate.d client: connect, active close, time-wait expiry
ARGS --local=10.0.0.1
PCAP fixtures/pcaps/tcp-handshake.pcap
SCRIPT tcpstate.d
EXPECT <<EOT
 CPU    DELTA(us)  OLD                     NEW                 
   0            -  state-idle           -> state-bound         
   0            0  state-bound          -> state-syn-sent      
   0         1000  state-syn-sent       -> state-established   
   0         6000  state-established    -> state-fin-wait-1    
   0         1000  state-fin-wait-1     -> state-fin-wait-2    
   0         1000  state-fin-wait-2     -> state-time-wait     
   0     60000000  state-time-wait      -> state-closed        
   0            -  state-idle           -> state-bound         
   0     68719476  state-bound          -> state-syn-sent      

EOT

NAME tcpstate.d server: listen, passive close
ARGS --local=10.0.0.2
PCAP fixtures/pcaps/tcp-handshake.pcap
SCRIPT tcpstate.d
EXPECT <<EOT
 CPU    DELTA(us)  OLD                     NEW                 
   0            -  state-listen         -> state-syn-received  
   0         1000  state-syn-received   -> state-established   
   0         5000  state-established    -> state-close-wait    
   0         2000  state-close-wait     -> state-last-ack      
   0         1000  state-last-ack       -> state-closed        

EOT

NAME tcpstate.d refused connects
ARGS --local=10.0.0.1
PCAP fixtures/pcaps/tcp-refused.pcap
SCRIPT tcpstate.d
EXPECT <<EOT
 CPU    DELTA(us)  OLD                     NEW                 
   0            -  state-idle           -> state-bound         
   0            0  state-bound          -> state-syn-sent      
   0         1000  state-syn-sent       -> state-bound         
   0            0  state-bound          -> state-idle          
   0            0  state-idle           -> state-closed        
   0            -  state-idle           -> state-bound         
   0            0  state-bound          -> state-syn-sent      
   0         1000  state-syn-sent       -> state-bound         
   0            0  state-bound          -> state-idle          
   0            0  state-idle           -> state-closed        

EOT

NAME tcpstate.d simultaneous open, both ends
ARGS --local=all
PCAP fixtures/pcaps/tcp-simopen.pcap
SCRIPT tcpstate.d
EXPECT <<EOT
 CPU    DELTA(us)  OLD                     NEW                 
   0            -  state-idle           -> state-bound         
   0            0  state-bound          -> state-syn-sent      
   0            -  state-idle           -> state-bound         
   0            0  state-bound          -> state-syn-sent      
   0            0  state-syn-sent       -> state-syn-received  
   0         1000  state-syn-sent       -> state-syn-received  
   0         1000  state-syn-received   -> state-established   
   0         2000  state-syn-received   -> state-established   
   0         4000  state-established    -> state-fin-wait-1    
   0         3000  state-established    -> state-close-wait    
   0         1000  state-fin-wait-1     -> state-fin-wait-2    
   0         2000  state-close-wait     -> state-last-ack      
   0         1000  state-fin-wait-2     -> state-time-wait     
   0         1000  state-last-ack       -> state-closed        

EOT

NAME tcpstate.d reset
ARGS --local=all
PCAP fixtures/pcaps/tcp-reset.pcap
SCRIPT tcpstate.d
EXPECT <<EOT
 CPU    DELTA(us)  OLD                     NEW                 
   0            -  state-idle           -> state-bound         
   0            0  state-bound          -> state-syn-sent      
   0            -  state-listen         -> state-syn-received  
   0         1000  state-syn-sent       -> state-established   
   0         1000  state-syn-received   -> state-established   
   0         2000  state-established    -> state-closed        
   0         3000  state-established    -> state-closed        

EOT

NAME tcpstate.d half-close
ARGS --local=10.0.0.1
PCAP fixtures/pcaps/tcp-halfclose.pcap
SCRIPT tcpstate.d
EXPECT <<EOT
 CPU    DELTA(us)  OLD                     NEW                 
   0            -  state-idle           -> state-bound         
   0            0  state-bound          -> state-syn-sent      
   0         1000  state-syn-sent       -> state-established   
   0         3000  state-established    -> state-fin-wait-1    
   0         1000  state-fin-wait-1     -> state-fin-wait-2    
   0         7000  state-fin-wait-2     -> state-time-wait     

EOT

NAME tcpstate.d mid-stream
ARGS --local=all
PCAP fixtures/pcaps/tcp-midstream.pcap
SCRIPT tcpstate.d
EXPECT <<EOT
 CPU    DELTA(us)  OLD                     NEW                 
   0            -  state-established    -> state-fin-wait-1    
   0            -  state-established    -> state-close-wait    
   0         1000  state-fin-wait-1     -> state-fin-wait-2    
   0         2000  state-close-wait     -> state-last-ack      
   0         1000  state-fin-wait-2     -> state-time-wait     
   0         1000  state-last-ack       -> state-closed        

EOT

NAME tcpstate.d port reuse
ARGS --local=10.0.0.1
PCAP fixtures/pcaps/tcp-reuse.pcap
SCRIPT tcpstate.d
EXPECT <<EOT
 CPU    DELTA(us)  OLD                     NEW                 
   0            -  state-idle           -> state-bound         
   0            0  state-bound          -> state-syn-sent      
   0         1000  state-syn-sent       -> state-established   
   0         2000  state-established    -> state-fin-wait-1    
   0         1000  state-fin-wait-1     -> state-fin-wait-2    
   0         1000  state-fin-wait-2     -> state-time-wait     
   0      5002000  state-time-wait      -> state-closed        
   0            -  state-idle           -> state-bound         
   0      4294967  state-bound          -> state-syn-sent      
   0      4295967  state-syn-sent       -> state-established   
   0      4296967  state-established    -> state-close-wait    
   0      4296967  state-close-wait     -> state-last-ack      
   0      4295967  state-last-ack       -> state-closed        

EOT

NAME tcpio.d server handshake
ARGS --local=10.0.0.2
PCAP fixtures/pcaps/tcp-handshake.pcap
SCRIPT tcpio.d
EXPECT <<EOT
 CPU           LADDR:LPORT                RADDR:RPORT  BYTES  FLAGS
   0         10.0.0.2:22    <-         10.0.0.1:40000      0  (SYN|)
   0         10.0.0.2:22    ->         10.0.0.1:40000      0  (SYN|ACK|)
   0         10.0.0.2:22    <-         10.0.0.1:40000      0  (ACK|)
   0         10.0.0.2:22    <-         10.0.0.1:40000     16  (PUSH|ACK|)
   0         10.0.0.2:22    ->         10.0.0.1:40000      0  (ACK|)
   0         10.0.0.2:22    ->         10.0.0.1:40000    116  (PUSH|ACK|)
   0         10.0.0.2:22    <-         10.0.0.1:40000      0  (ACK|)
   0         10.0.0.2:22    <-         10.0.0.1:40000      0  (FIN|ACK|)
   0         10.0.0.2:22    ->         10.0.0.1:40000      0  (ACK|)
   0         10.0.0.2:22    ->         10.0.0.1:40000      0  (FIN|ACK|)
   0         10.0.0.2:22    <-         10.0.0.1:40000      0  (ACK|)
   0         10.0.0.2:22    <-         10.0.0.1:40001      0  (SYN|)

EOT

NAME tcpio.d retransmissions
ARGS --local=10.0.0.1
PCAP fixtures/pcaps/tcp-retrans.pcap
SCRIPT tcpio.d
EXPECT <<EOT
 CPU           LADDR:LPORT                RADDR:RPORT  BYTES  FLAGS
   0         10.0.0.1:40040 ->         10.0.0.2:3260       0  (SYN|)
   0         10.0.0.1:40040 ->         10.0.0.2:3260       0  (SYN|)
   0         10.0.0.1:40040 <-         10.0.0.2:3260       0  (SYN|ACK|)
   0         10.0.0.1:40040 ->         10.0.0.2:3260       0  (ACK|)
   0         10.0.0.1:40040 ->         10.0.0.2:3260    1000  (PUSH|ACK|)
   0         10.0.0.1:40040 ->         10.0.0.2:3260    1000  (PUSH|ACK|)
   0         10.0.0.1:40040 <-         10.0.0.2:3260       0  (ACK|)
   0         10.0.0.1:40040 ->         10.0.0.2:3260    1000  (ACK|)
   0         10.0.0.1:40040 ->         10.0.0.2:3260    1000  (ACK|)
   0         10.0.0.1:40040 ->         10.0.0.2:3260    1000  (ACK|)
   0         10.0.0.1:40040 ->         10.0.0.2:3260    1000  (ACK|)
   0         10.0.0.1:40040 <-         10.0.0.2:3260       0  (ACK|)
   0         10.0.0.1:40040 <-         10.0.0.2:3260       0  (ACK|)
   0         10.0.0.1:40040 <-         10.0.0.2:3260       0  (ACK|)
   0         10.0.0.1:40040 ->         10.0.0.2:3260    1000  (ACK|)
   0         10.0.0.1:40040 <-         10.0.0.2:3260       0  (ACK|)
   0         10.0.0.1:40040 ->         10.0.0.2:3260       0  (FIN|ACK|)
   0         10.0.0.1:40040 ->         10.0.0.2:3260       0  (FIN|ACK|)
   0         10.0.0.1:40040 <-         10.0.0.2:3260       0  (ACK|)
   0         10.0.0.1:40040 <-         10.0.0.2:3260       0  (FIN|ACK|)
   0         10.0.0.1:40040 ->         10.0.0.2:3260       0  (ACK|)

EOT

NAME tcpio.d ipv6
ARGS --local=2001:db8::1
PCAP fixtures/pcaps/tcp-ipv6.pcap
SCRIPT tcpio.d
EXPECT <<EOT
 CPU           LADDR:LPORT                RADDR:RPORT  BYTES  FLAGS
   0      2001:db8::1:40060 ->      2001:db8::2:22         0  (SYN|)
   0      2001:db8::1:40060 <-      2001:db8::2:22         0  (SYN|ACK|)
   0      2001:db8::1:40060 ->      2001:db8::2:22         0  (ACK|)
   0      2001:db8::1:40060 ->      2001:db8::2:22         7  (PUSH|ACK|)
   0      2001:db8::1:40060 <-      2001:db8::2:22         0  (ACK|)
   0      2001:db8::1:40060 <-      2001:db8::2:22         0  (FIN|ACK|)
   0      2001:db8::1:40060 ->      2001:db8::2:22         0  (ACK|)
   0      2001:db8::1:40060 ->      2001:db8::2:22         0  (FIN|ACK|)
   0      2001:db8::1:40060 <-      2001:db8::2:22         0  (ACK|)

EOT

NAME tcpio.d refused and reset
ARGS --local=10.0.0.2
PCAP fixtures/pcaps/tcp-refused.pcap
SCRIPT tcpio.d
EXPECT <<EOT
 CPU           LADDR:LPORT                RADDR:RPORT  BYTES  FLAGS
   0         10.0.0.2:23    <-         10.0.0.1:40010      0  (SYN|)
   0         10.0.0.2:23    ->         10.0.0.1:40010      0  (RST|ACK|)
   0         10.0.0.2:23    <-         10.0.0.1:40011      0  (SYN|)
   0         10.0.0.2:23    ->         10.0.0.1:40011      0  (RST|ACK|)

EOT

NAME one-liner tcp:::accept-established { @[args[3]->tcps_raddr] = count(); } on tcp-reuse.pcap
ARGS --local=all -n
PCAP fixtures/pcaps/tcp-reuse.pcap
PROG tcp:::accept-established { @[args[3]->tcps_raddr] = count(); }
EXPECT <<EOT

  10.0.0.1                                                          2
EOT

NAME one-liner tcp:::accept-established { @[args[3]->tcps_raddr] = count(); } on tcp-ipv6.pcap
ARGS --local=all -n
PCAP fixtures/pcaps/tcp-ipv6.pcap
PROG tcp:::accept-established { @[args[3]->tcps_raddr] = count(); }
EXPECT <<EOT

  2001:db8::1                                                       1
EOT

NAME one-liner tcp:::accept-established { @[args[3]->tcps_lport] = count(); } on tcp-wscale.pcap
ARGS --local=all -n
PCAP fixtures/pcaps/tcp-wscale.pcap
PROG tcp:::accept-established { @[args[3]->tcps_lport] = count(); }
EXPECT <<EOT

   443                2
EOT

NAME one-liner tcp:::accept-established { @[args[3]->tcps_raddr, args[3]->tcps_lport] = count(); } on tcp-reuse.pcap
ARGS --local=all -n
PCAP fixtures/pcaps/tcp-reuse.pcap
PROG tcp:::accept-established { @[args[3]->tcps_raddr, args[3]->tcps_lport] = count(); }
EXPECT <<EOT

  10.0.0.1                                              80                2
EOT

NAME one-liner tcp:::accept-refused { @[args[2]->ip_daddr, args[4]->tcp_sport] = count(); } on tcp-refused.pcap
ARGS --local=all -n
PCAP fixtures/pcaps/tcp-refused.pcap
PROG tcp:::accept-refused { @[args[2]->ip_daddr, args[4]->tcp_sport] = count(); }
EXPECT <<EOT

  10.0.0.1                                              23                2
EOT

NAME one-liner tcp:::receive { @[args[2]->ip_saddr] = count(); } on tcp-retrans.pcap
ARGS --local=all -n
PCAP fixtures/pcaps/tcp-retrans.pcap
PROG tcp:::receive { @[args[2]->ip_saddr] = count(); }
EXPECT <<EOT

  10.0.0.2                                                          8
  10.0.0.1                                                         13
EOT

NAME one-liner tcp:::receive { @[args[2]->ip_saddr] = count(); } on tcp-ipv6.pcap
ARGS --local=all -n
PCAP fixtures/pcaps/tcp-ipv6.pcap
PROG tcp:::receive { @[args[2]->ip_saddr] = count(); }
EXPECT <<EOT

  2001:db8::2                                                       4
  2001:db8::1                                                       5
EOT

NAME one-liner tcp:::receive { @[args[4]->tcp_dport] = count(); } on tcp-halfclose.pcap
ARGS --local=all -n
PCAP fixtures/pcaps/tcp-halfclose.pcap
PROG tcp:::receive { @[args[4]->tcp_dport] = count(); }
EXPECT <<EOT

 40030                6
  2049                8
EOT

NAME one-liner tcp:::send { @[args[2]->ip_daddr] = quantize(args[2]->ip_plength); } on tcp-retrans.pcap
ARGS --local=all -n
PCAP fixtures/pcaps/tcp-retrans.pcap
PROG tcp:::send { @[args[2]->ip_daddr] = quantize(args[2]->ip_plength); }
EXPECT <<EOT

  10.0.0.1                                          
           value  ------------- Distribution ------------- count    
               8 |                                         0        
              16 |@@@@@@@@@@@@@@@@@@@@                     4        
              32 |@@@@@@@@@@@@@@@@@@@@                     4        
              64 |                                         0        

  10.0.0.2                                          
           value  ------------- Distribution ------------- count    
               8 |                                         0        
              16 |@@@@@@@@@@@@                             4        
              32 |@@@@@@                                   2        
              64 |                                         0        
             128 |                                         0        
             256 |                                         0        
             512 |@@@@@@@@@@@@@@@@@@@@@@                   7        
            1024 |                                         0        

EOT

NAME one-liner udp:::receive { @[args[2]->ip_saddr] = count(); } on udp.pcap
ARGS --local=all -n
PCAP fixtures/pcaps/udp.pcap
PROG udp:::receive { @[args[2]->ip_saddr] = count(); }
EXPECT <<EOT

  2001:db8::1                                                       1
  2001:db8::2                                                       1
  10.0.0.1                                                          2
  10.0.0.2                                                          2
EOT

NAME one-liner udp:::receive { @[args[4]->udp_dport] = count(); } on udp.pcap
ARGS --local=all -n
PCAP fixtures/pcaps/udp.pcap
PROG udp:::receive { @[args[4]->udp_dport] = count(); }
EXPECT <<EOT

   123                1
 33000                1
 33001                1
 33002                1
    53                2
EOT

NAME one-liner udp:::send { @[args[2]->ip_daddr] = quantize(args[2]->ip_plength); } on udp.pcap
ARGS --local=all -n
PCAP fixtures/pcaps/udp.pcap
PROG udp:::send { @[args[2]->ip_daddr] = quantize(args[2]->ip_plength); }
EXPECT <<EOT

  2001:db8::1                                       
           value  ------------- Distribution ------------- count    
              16 |                                         0        
              32 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 1        
              64 |                                         0        

  2001:db8::2                                       
           value  ------------- Distribution ------------- count    
              16 |                                         0        
              32 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 1        
              64 |                                         0        

  10.0.0.2                                          
           value  ------------- Distribution ------------- count    
              16 |                                         0        
              32 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 2        
              64 |                                         0        

  10.0.0.1                                          
           value  ------------- Distribution ------------- count    
              64 |                                         0        
             128 |@@@@@@@@@@@@@@@@@@@@                     1        
             256 |@@@@@@@@@@@@@@@@@@@@                     1        
             512 |                                         0        

EOT

# tcp-synack-first.pcap (fixtures/gen/tcp.py synack_first): the server's SYN/ACK
# (t=0) is captured 1 ms before the client's SYN, then the client's ACK (2 ms),
# 7 bytes "GET /\r\n" (3 ms) and the server's ACK (4 ms).  The SYN/ACK presumes
# the SYN: the client goes idle -> bound -> syn-sent -> established all at the
# SYN/ACK (deltas 0); the server goes listen -> syn-received at the SYN/ACK and
# established at the ACK 2000 us later; the late SYN changes no state.

NAME tcpstate.d SYN/ACK before SYN, client
ARGS --local=10.0.0.1
PCAP fixtures/pcaps/tcp-synack-first.pcap
SCRIPT tcpstate.d
EXPECT <<EOT
 CPU    DELTA(us)  OLD                     NEW                 
   0            -  state-idle           -> state-bound         
   0            0  state-bound          -> state-syn-sent      
   0            0  state-syn-sent       -> state-established   

EOT

NAME tcpstate.d SYN/ACK before SYN, server
ARGS --local=10.0.0.2
PCAP fixtures/pcaps/tcp-synack-first.pcap
SCRIPT tcpstate.d
EXPECT <<EOT
 CPU    DELTA(us)  OLD                     NEW                 
   0            -  state-listen         -> state-syn-received  
   0         2000  state-syn-received   -> state-established   

EOT

NAME tcpio.d SYN/ACK before SYN, client
ARGS --local=10.0.0.1
PCAP fixtures/pcaps/tcp-synack-first.pcap
SCRIPT tcpio.d
EXPECT <<EOT
 CPU           LADDR:LPORT                RADDR:RPORT  BYTES  FLAGS
   0         10.0.0.1:40080 <-         10.0.0.2:80         0  (SYN|ACK|)
   0         10.0.0.1:40080 ->         10.0.0.2:80         0  (SYN|)
   0         10.0.0.1:40080 ->         10.0.0.2:80         0  (ACK|)
   0         10.0.0.1:40080 ->         10.0.0.2:80         7  (PUSH|ACK|)
   0         10.0.0.1:40080 <-         10.0.0.2:80         0  (ACK|)

EOT

NAME tcpio.d SYN/ACK before SYN, server
ARGS --local=10.0.0.2
PCAP fixtures/pcaps/tcp-synack-first.pcap
SCRIPT tcpio.d
EXPECT <<EOT
 CPU           LADDR:LPORT                RADDR:RPORT  BYTES  FLAGS
   0         10.0.0.2:80    ->         10.0.0.1:40080      0  (SYN|ACK|)
   0         10.0.0.2:80    <-         10.0.0.1:40080      0  (SYN|)
   0         10.0.0.2:80    <-         10.0.0.1:40080      0  (ACK|)
   0         10.0.0.2:80    <-         10.0.0.1:40080      7  (PUSH|ACK|)
   0         10.0.0.2:80    ->         10.0.0.1:40080      0  (ACK|)

EOT

# Window scaling, tcp-wscale.pcap (fixtures/gen/tcp.py window_scaling), from
# each end.  Connection 40050: client SYN MSS 1460 WS 7 win 64240, server
# SYN/ACK MSS 1460 without WS win 29200 -> no scaling either way (RFC 7323
# needs both SYNs), mss 1460; then ACK/PA win 64240, server ACK win 29200.
# Connection 40051: SYN MSS 1460 WS 7 win 64240, SYN/ACK MSS 1400 WS 8 win
# 65160 -> server snd_ws 7 / rcv_ws 8, client snd_ws 8 / rcv_ws 7, mss
# min(1460, 1400) = 1400; then ACK win 502, PA win 501, server ACK win 255.
# rwnd/swnd are the raw window fields last sent/received.  receive shows the
# state before the segment (mss 536 = IPv4 default before any SYN is seen);
# the passive side takes swnd from the third ACK, not from the SYN, and the
# active side from the SYN/ACK (RFC 9293 3.10.7: SND.WND <- SEG.WND in
# SYN-SENT on the SYN/ACK and in SYN-RECEIVED on the ACK).

NAME tcpsinfo_t window scaling from 10.0.0.2
ARGS --local=10.0.0.2 -q
PCAP fixtures/pcaps/tcp-wscale.pcap
PROG <<END
tcp:::send, tcp:::receive
{
        printf("%-7s %5d -> %5d %-3s snd_ws %d rcv_ws %d rwnd %5d swnd %5d mss %d\n",
            probename, args[4]->tcp_sport, args[4]->tcp_dport,
            args[4]->tcp_flags & TH_SYN ? (args[4]->tcp_flags & TH_ACK ? "SA" : "S") : "A",
            args[3]->tcps_snd_ws, args[3]->tcps_rcv_ws, args[3]->tcps_rwnd,
            args[3]->tcps_swnd, args[3]->tcps_mss);
}
END
EXPECT <<EOT
receive 40050 ->   443 S   snd_ws 0 rcv_ws 0 rwnd     0 swnd     0 mss 536
send      443 -> 40050 SA  snd_ws 0 rcv_ws 0 rwnd 29200 swnd     0 mss 1460
receive 40050 ->   443 A   snd_ws 0 rcv_ws 0 rwnd 29200 swnd     0 mss 1460
receive 40050 ->   443 A   snd_ws 0 rcv_ws 0 rwnd 29200 swnd 64240 mss 1460
send      443 -> 40050 A   snd_ws 0 rcv_ws 0 rwnd 29200 swnd 64240 mss 1460
receive 40051 ->   443 S   snd_ws 0 rcv_ws 0 rwnd     0 swnd     0 mss 536
send      443 -> 40051 SA  snd_ws 7 rcv_ws 8 rwnd 65160 swnd     0 mss 1400
receive 40051 ->   443 A   snd_ws 7 rcv_ws 8 rwnd 65160 swnd     0 mss 1400
receive 40051 ->   443 A   snd_ws 7 rcv_ws 8 rwnd 65160 swnd   502 mss 1400
send      443 -> 40051 A   snd_ws 7 rcv_ws 8 rwnd   255 swnd   501 mss 1400

EOT

NAME tcpsinfo_t window scaling from 10.0.0.1
ARGS --local=10.0.0.1 -q
PCAP fixtures/pcaps/tcp-wscale.pcap
PROG <<END
tcp:::send, tcp:::receive
{
        printf("%-7s %5d -> %5d %-3s snd_ws %d rcv_ws %d rwnd %5d swnd %5d mss %d\n",
            probename, args[4]->tcp_sport, args[4]->tcp_dport,
            args[4]->tcp_flags & TH_SYN ? (args[4]->tcp_flags & TH_ACK ? "SA" : "S") : "A",
            args[3]->tcps_snd_ws, args[3]->tcps_rcv_ws, args[3]->tcps_rwnd,
            args[3]->tcps_swnd, args[3]->tcps_mss);
}
END
EXPECT <<EOT
send    40050 ->   443 S   snd_ws 0 rcv_ws 0 rwnd 64240 swnd     0 mss 1460
receive   443 -> 40050 SA  snd_ws 0 rcv_ws 0 rwnd 64240 swnd     0 mss 1460
send    40050 ->   443 A   snd_ws 0 rcv_ws 0 rwnd 64240 swnd 29200 mss 1460
send    40050 ->   443 A   snd_ws 0 rcv_ws 0 rwnd 64240 swnd 29200 mss 1460
receive   443 -> 40050 A   snd_ws 0 rcv_ws 0 rwnd 64240 swnd 29200 mss 1460
send    40051 ->   443 S   snd_ws 0 rcv_ws 0 rwnd 64240 swnd     0 mss 1460
receive   443 -> 40051 SA  snd_ws 0 rcv_ws 0 rwnd 64240 swnd     0 mss 1460
send    40051 ->   443 A   snd_ws 8 rcv_ws 7 rwnd   502 swnd 65160 mss 1400
send    40051 ->   443 A   snd_ws 8 rcv_ws 7 rwnd   501 swnd 65160 mss 1400
receive   443 -> 40051 A   snd_ws 8 rcv_ws 7 rwnd   501 swnd 65160 mss 1400

EOT
