# Variables: globals, declarations, associative arrays, self->, this->, inlines.

NAME declared associative array and deletion by zero
ARGS -q
PROG <<END
int last[int];
BEGIN
{
	last[1] = 5; last[2] = 6; last[1] = 0;
	printf("%d %d %d\n", last[1], last[2], last[3]);
	exit(0);
}
END
EXPECT <<EOT
0 6 0

EOT

NAME multi-key associative arrays
ARGS -q
PROG BEGIN { a["x", 1] = 10; a["x", 2] = 20; printf("%d %d %d\n", a["x", 1], a["x", 2], a["y", 1]); exit(0); }
EXPECT <<EOT
10 20 0

EOT

NAME inline declarations
ARGS -q
PROG <<END
inline int TOP = 10;
inline string WHO = "me";
BEGIN { printf("%d %s %d\n", TOP * 2, WHO, TOP_X); exit(0); }
END
EXPECT <<EOT
EOT
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 3: failed to resolve TOP_X: Unknown variable name
EOT
EXIT 1

NAME inline used in a program
ARGS -q
PROG <<END
inline int TOP = 10;
inline string WHO = "me";
BEGIN { printf("%d %s\n", TOP * 2, WHO); exit(0); }
END
EXPECT <<EOT
20 me

EOT

NAME built-in inlines
ARGS -q
PROG BEGIN { printf("%d %d %d %d %s %d\n", TH_SYN | TH_ACK, IPPROTO_UDP, TCP_STATE_ESTABLISHED, B_READ, tcp_state_string[TCP_STATE_SYN_SENT], NULL == 0); exit(0); }
EXPECT <<EOT
18 17 0 64 state-syn-sent 1

EOT

NAME this variables are shared by the clauses of one firing
ARGS -q
PROG <<END
BEGIN { this->x = 41; }
BEGIN { printf("%d\n", this->x + 1); exit(0); }
END
EXPECT <<EOT
42

EOT

NAME self variables
ARGS -q
PROG <<END
BEGIN { self->start = 100; }
BEGIN { printf("%d\n", self->start); self->start = 0; }
BEGIN { printf("%d\n", self->start); exit(0); }
END
EXPECT <<EOT
100
0

EOT

NAME declared variables
ARGS -q
PROG <<END
string name;
uint8_t small;
BEGIN { small = 255; small++; printf("[%s] %d\n", name, small); exit(0); }
END
EXPECT <<EOT
[] 0

EOT

NAME built-in variables
ARGS -q
PROG BEGIN { printf("%s:%s:%s:%s %d %d %s %d %d\n", probeprov, probemod, probefunc, probename, cpu, pid, execname, epid, id); exit(0); }
EXPECT <<EOT
dtrace:::BEGIN 0 0 sched 1 1

EOT

NAME macro arguments
ARGS -q 42 hello
PROG BEGIN { printf("%d %s %s\n", $1 + 1, $$2, $$0); exit(0); }
EXPECT <<EOT
43 hello prog.d

EOT

NAME missing macro argument with defaultargs
ARGS -q -x defaultargs
PROG BEGIN { printf("%d [%s]\n", $3, $$3); exit(0); }
EXPECT <<EOT
0 []

EOT

NAME timestamps on the virtual clock
ARGS -q
PROG <<END
BEGIN { start = timestamp; }
profile:::tick-100ms /++n == 5/ { printf("%d %d\n", (timestamp - start) / 1000000, walltimestamp); exit(0); }
END
EXPECT <<EOT
500 500000000

EOT

NAME thread-local associative arrays
ARGS -q
PROG <<END
BEGIN
{
	self->ts[1] = 100; self->ts[2] = 200; self->ts[1] += 5;
	self->k["a", 7] = 1; self->name[3] = "three";
	printf("%d %d %d %d %s|\n", self->ts[1], self->ts[2], self->ts[9], self->k["a", 7], self->name[3]);
	self->ts[1] = 0; self->name[3] = "";
	printf("%d %d %s|\n", self->ts[1], self->ts[2], self->name[3]);
	exit(0);
}
END
EXPECT <<EOT
105 200 0 1 three|
0 200 |

EOT

NAME declared thread-local associative array keeps its types
ARGS -q
PROG <<END
self uint8_t small[int];
BEGIN { self->small[1] = 257; printf("%d\n", self->small[1]); exit(0); }
END
EXPECT <<EOT
1

EOT

NAME thread-local associative array needs a subscript
ARGS -q
PROG BEGIN { self->ts[1] = 5; x = self->ts; }
EXPECT <<EOT
EOT
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: ts[ ] must be referenced with a subscript
EOT
EXIT 1

NAME self->start predicate, then deletion by zero
ARGS -q
PROG <<END
BEGIN { self->start = timestamp + 1; }
profile:::tick-1ms /self->start/ { printf("once %d\n", self->start); self->start = 0; }
profile:::tick-1ms /!self->start && ++n == 3/ { printf("n=%d start=%d\n", n, self->start); exit(0); }
END
EXPECT <<EOT
once 1000001
n=3 start=0

EOT

NAME self++ and += before any assignment are int
ARGS -q
PROG BEGIN { self->n++; self->n++; self->m += 5; this->t++; printf("%d %d %d\n", self->n, self->m, this->t); exit(0); }
EXPECT <<EOT
2 5 1

EOT
