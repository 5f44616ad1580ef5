# dtrace(1M) framing: non-quiet probe lines, exit status, speculations, trace.

NAME non-quiet probe lines
PROG <<END
BEGIN { printf("hello"); }
BEGIN { x = 1; }
BEGIN { @ = count(); }
profile:::tick-1sec { trace(42); trace("str"); exit(0); }
END { }
END
EXPECT <<EOT
CPU     ID                    FUNCTION:NAME
  0      1                           :BEGIN hello
  0    273                       :tick-1sec          42  str                              
  0      2                             :END 

                1
EOT
STDERR <<EOT
pcapprobe: script 'prog.d' matched 5 probes
EOT

NAME exit status from exit()
ARGS -q
PROG BEGIN { exit(7); }
EXPECT <<EOT

EOT
EXIT 7

NAME trace in quiet mode
ARGS -q
PROG BEGIN { trace(1); trace(" "); trace((uint8_t)255); trace("\n"); exit(0); }
EXPECT <<EOT
1 255

EOT

NAME setopt quiet at runtime
PROG BEGIN { setopt("quiet"); printf("quiet now\n"); exit(0); }
EXPECT <<EOT
CPU     ID                    FUNCTION:NAME
  0      1                           :BEGIN quiet now

EOT

NAME several probe descriptions per clause
ARGS -q
PROG <<END
BEGIN, profile:::tick-1sec, dtrace:::END
{
	printf("%s\n", probename);
}
profile:::tick-1sec { exit(0); }
END
EXPECT <<EOT
BEGIN
tick-1sec
END

EOT

NAME profile units
ARGS -q
PROG <<END
profile:::tick-1000 /++a == 1/ { printf("1000hz at %d\n", timestamp); }
profile:::tick-2ms /++b == 1/ { printf("2ms at %d\n", timestamp); }
profile:::tick-500us /++c == 1/ { printf("500us at %d\n", timestamp); }
profile:::profile-1sec { printf("1s at %d\n", timestamp); exit(0); }
END
EXPECT <<EOT
500us at 1500000
1000hz at 2000000
2ms at 3000000
1s at 1001000000

EOT

NAME speculation commit and discard
ARGS -q
PROG <<END
BEGIN { s = speculation(); }
BEGIN { speculate(s); printf("kept\n"); }
BEGIN { commit(s); t = speculation(); }
BEGIN { speculate(t); printf("dropped\n"); }
BEGIN { discard(t); printf("done\n"); exit(0); }
END
EXPECT <<EOT
kept
done

EOT

NAME interpreter line and pragmas
PROG <<END
#!/usr/sbin/dtrace -s
#pragma D option quiet
#pragma D option switchrate=10hz
#pragma D option bufsize=4m
// a C++ comment
BEGIN { printf("ok\n"); exit(0); }
END
EXPECT <<EOT
ok

EOT

NAME empty clause
PROG BEGIN { } profile:::tick-1s { exit(0); }
EXPECT <<EOT
CPU     ID                    FUNCTION:NAME
  0      1                           :BEGIN 
  0    273                         :tick-1s 

EOT
STDERR <<EOT
pcapprobe: script 'prog.d' matched 2 probes
EOT

NAME bare probe description with -n
ARGS -n
PROG BEGIN
EXPECT <<EOT
CPU     ID                    FUNCTION:NAME
  0      1                           :BEGIN 

EOT
STDERR <<EOT
pcapprobe: description 'BEGIN' matched 1 probe
pcapprobe: no capture given and exit() was not called: stopped after 3600 s of virtual time
EOT

NAME bare probe description in a script
PROG BEGIN
EXPECT <<EOT
EOT
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: expected predicate and/or actions following probe description
EOT
EXIT 1

NAME printf flags and widths
ARGS -q
PROG <<END
BEGIN
{
	printf("[%5d][%-5d][%05d][%+d][% d][%x][%X][%#x][%o][%#o]\n", 42, 42, 42, 42, 42, 255, 255, 255, 8, 8);
	printf("[%10s][%-10s][%.2s][%c][%%][%u][%i]\n", "abc", "abc", "abc", 65, -1, -3);
	printf("[%*d][%-*d][%lld][%hd]\n", 6, 7, 4, 7, 1LL << 40, (short)-2);
	exit(0);
}
END
EXPECT <<EOT
[   42][42   ][00042][+42][ 42][ff][FF][0xff][10][010]
[       abc][abc       ][ab][A][%][4294967295][-3]
[     7][7   ][1099511627776][-2]

EOT

NAME virtual run without exit is bounded
ARGS -q
PROG BEGIN { printf("begin\n"); }
EXPECT <<EOT
begin

EOT
STDERR <<EOT
pcapprobe: no capture given and exit() was not called: stopped after 3600 s of virtual time
EOT

NAME printf %Y of walltimestamp
ARGS -q
PROG profile:::tick-1sec /++n == 2/ { printf("%Y|%d\n", walltimestamp, walltimestamp / 1000000000); exit(0); }
EXPECT <<EOT
1970 Jan  1 00:00:02|2

EOT

NAME several probe descriptions with compatible argument types
ARGS -q --local all
PCAP fixtures/pcaps/udp.pcap
PROG <<END
ip:::send, udp:::send { @[probeprov, args[2]->ip_saddr] = count(); }
END
EXPECT <<EOT

  ip                                                  2001:db8::1                                                       1
  ip                                                  2001:db8::2                                                       1
  udp                                                 2001:db8::1                                                       1
  udp                                                 2001:db8::2                                                       1
  ip                                                  10.0.0.1                                                          2
  ip                                                  10.0.0.2                                                          2
  udp                                                 10.0.0.1                                                          2
  udp                                                 10.0.0.2                                                          2
EOT

NAME several probe descriptions with incompatible argument types
ARGS -q --local all
PCAP fixtures/pcaps/udp.pcap
PROG tcp:::send, udp:::send { @[args[4]->tcp_sport] = count(); }
EXPECT <<EOT
EOT
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: translator does not define conversion for member: tcp_sport
EOT
EXIT 1
