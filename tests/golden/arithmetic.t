# D integer semantics: 64-bit wrap-around, truncating division, types of
# constants and the usual arithmetic conversions.

NAME truncating division and remainder
ARGS -q
PROG BEGIN { printf("%d %d %d %d\n", 7 / 2, -7 / 2, 7 % -3, -7 % 3); exit(0); }
EXPECT <<EOT
3 -3 1 -1

EOT

NAME 64-bit wrap-around
ARGS -q
PROG <<END
BEGIN
{
	x = 9223372036854775807;
	x = x + 1;
	y = 0xffffffffffffffff;
	y++;
	printf("%d %u\n", x, y);
	exit(0);
}
END
EXPECT <<EOT
-9223372036854775808 0

EOT

NAME int constants wrap at 32 bits
ARGS -q
PROG BEGIN { i = 2147483647; i = i + 1; printf("%d\n", i); exit(0); }
EXPECT <<EOT
-2147483648

EOT

NAME unsigned comparison
ARGS -q
PROG BEGIN { u = 0xffffffffffffffff; printf("%d %d\n", u > 1, -1 < 1); exit(0); }
EXPECT <<EOT
1 1

EOT

NAME precedence and associativity
ARGS -q
PROG BEGIN { printf("%d %d %d %d %d\n", 1 + 2 * 3, (1 + 2) * 3, 10 - 4 - 3, 1 << 4 >> 2, 6 & 3 | 8 ^ 1); exit(0); }
EXPECT <<EOT
7 9 3 4 11

EOT

NAME logical operators and xor
ARGS -q
PROG BEGIN { printf("%d %d %d %d %d\n", 1 && 0, 0 || 2, 1 ^^ 1, 1 ^^ 0, !5); exit(0); }
EXPECT <<EOT
0 1 0 1 0

EOT

NAME ternary and casts
ARGS -q
PROG BEGIN { x = 300; printf("%d %d %d %s\n", (uint8_t)x, (int8_t)200, (short)70000, x > 5 ? "big" : "small"); exit(0); }
EXPECT <<EOT
44 -56 4464 big

EOT

NAME compound assignment
ARGS -q
PROG <<END
BEGIN
{
	x = 10; x += 5; x -= 3; x *= 4; x /= 5; x %= 7; x <<= 3; x >>= 1; x |= 1; x &= 13; x ^= 6;
	printf("%d\n", x);
	exit(0);
}
END
EXPECT <<EOT
15

EOT

NAME increment and decrement in predicates
ARGS -q
PROG <<END
BEGIN { tick = 2; n = 0; }
profile:::tick-1sec
/tick-- == 0/
{
	printf("fired after %d ticks, tick=%d\n", ++n, tick);
	exit(0);
}
profile:::tick-1sec
{
	n++;
}
END
EXPECT <<EOT
fired after 3 ticks, tick=-1

EOT

NAME sizeof
ARGS -q
PROG BEGIN { printf("%d %d %d %d\n", sizeof (int), sizeof (uint16_t), sizeof (long), sizeof (ipinfo_t)); exit(0); }
EXPECT <<EOT
4 2 8 516

EOT

NAME division by zero is a runtime error and fires ERROR
ARGS -q
PROG <<END
BEGIN { x = 0; printf("%d\n", 1 / x); }
ERROR { printf("ERROR arg4=%d\n", arg4); exit(3); }
END
EXPECT <<EOT
ERROR arg4=4

EOT
STDERR <<EOT
pcapprobe: error on enabled probe ID 1 (ID 1: dtrace:::BEGIN): divide-by-zero in action #2
EOT
EXIT 3
