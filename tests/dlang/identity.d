BEGIN { }
BEGIN
BEGIN /x/
BEGIN { x = 1; }
dtrace:::BEGIN, dtrace:::END { trace(1); }
ip:::send, ip:::receive /args[2]->ip_plength > 100/ { @[args[2]->ip_saddr] = count(); }
tcp:::state-change /args[3]->tcps_state == TCP_STATE_ESTABLISHED/ { printf("%s\n", tcp_state_string[args[3]->tcps_state]); }
nfsv3:::op-read-done { @bytes = sum(args[2]->res_u.ok.data.data_len); }
iscsi*::: { @[probename] = count(); }
profile:::tick-1sec /tick-- == 0/ { exit(0); }
BEGIN { x = 1 + 2 * 3; y = (1 + 2) * 3; z = 1 - (2 - 3); w = 1 - 2 - 3; }
BEGIN { x = a || b && c; y = (a || b) && c; z = a ^^ b; v = a | b ^ c & d; }
BEGIN { x = a == b != c; y = a < b == c > d; z = a << 2 >> 1; }
BEGIN { x = a ? b : c ? d : e; y = (a ? b : c) ? d : e; z = a ? b = 1 : c; }
BEGIN { x = y = z; x += 1; x -= 1; x *= 2; x /= 2; x %= 3; x &= 1; x |= 2; x ^= 3; x <<= 1; x >>= 1; }
BEGIN { x = -y; x = - -y; x = - -1; x = !y; x = ~y; x = *p; x = &y; x = & &y; }
BEGIN { x++; ++x; x--; --x; x = y++ + ++z; self->n++; this->v = --a[1]; }
BEGIN { x = (int)y; x = (unsigned long long)y + 1; x = (uint8_t *)p; x = (char)(y + 1); }
BEGIN { x = sizeof (int); x = sizeof (y + 1); x = sizeof (struct foo *); x = stringof(args[1]->name); }
BEGIN { x = a->b.c->d; y = a[1, "k"]->b; z = (a + b)->c; w = f(1)[2]; }
BEGIN { x = strjoin("a", "b"); y = substr(s, 0, 3); z = strlen(""); exit(0); }
BEGIN { s = "tab\there \"quoted\" back\\slash nl\n bell\a ctl\001"; }
BEGIN { x = 0x1f; y = 10u; z = 0xffffffffffffffffull; w = 9223372036854775807ll; }
BEGIN { @ = count(); @a = sum(x); @b[k1, k2] = avg(x); @c[probefunc] = quantize(x); }
BEGIN { @l = lquantize(x, 0, 100, 10); @ll = llquantize(x, 10, 0, 6, 20); @m = max(x, 2); }
BEGIN { printa(@a); printa("%s %@d\n", @a, @b); trunc(@a, 10); normalize(@a, 1000); clear(@b); }
BEGIN { self->ts[arg0] = timestamp; this->d = timestamp - self->ts[arg0]; self->ts[arg0] = 0; }
BEGIN { x = $1; y = $$2; z = $target; }
BEGIN { spec = speculation(); speculate(spec); commit(spec); discard(spec); }
int x; self int y; this string s; int last[int]; string names[int, string]; char *p;
inline int LIMIT = 10 * 2; BEGIN /x < LIMIT/ { x++; }
