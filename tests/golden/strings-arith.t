# Strings (NULL, substr) and integer arithmetic as DTrace computes them.

NAME a string compared with and assigned NULL
ARGS -q
PROG <<END
BEGIN
{
	s = "text";
	printf("%d %d\n", s == NULL, s != NULL);
	s = NULL;
	a["k"] = "v";
	a["k"] = NULL;
	self->t = "w";
	self->t = NULL;
	printf("[%s] %d [%s] %d %d\n", s, s == NULL, a["k"], self->t == NULL, NULL == s);
	exit(0);
}
END
EXPECT <<EOT
0 1
[] 1 [] 1 1

EOT

NAME substr with negative and out-of-range index and count
# dtrace_dif_subr DIF_SUBR_SUBSTR: a negative index counts from the end and a
# start before the string shortens the count; a negative count leaves that
# many characters off the end; past the end is the empty string.
ARGS -q
PROG <<END
BEGIN
{
	s = "abcdefgh";
	printf("[%s] [%s] [%s] [%s]\n", substr(s, 2), substr(s, -3), substr(s, 2, 3), substr(s, 2, 100));
	printf("[%s] [%s] [%s] [%s]\n", substr(s, 1, -2), substr(s, -4, -1), substr(s, -10, 4), substr(s, -10, 1));
	printf("[%s] [%s] [%s] [%s]\n", substr(s, 8), substr(s, 20, 2), substr(s, 3, 0), substr(s, 2, -7));
	exit(0);
}
END
EXPECT <<EOT
[cdefgh] [fgh] [cde] [cdefgh]
[bcdef] [efg] [ab] []
[] [] [] []

EOT

NAME trace of strings and integers, quiet
ARGS -q
PROG BEGIN { trace("str"); trace(-5); trace((uint8_t)300); trace(12345678901LL); trace(0xffffffffffffffffULL); exit(0); }
EXPECT <<EOT
str-5441234567890118446744073709551615
EOT

NAME trace of strings and integers, not quiet
PROG BEGIN { trace("str"); trace(-5); trace((short)-1); trace(12345678901LL); exit(0); }
EXPECT <<EOT
CPU     ID                    FUNCTION:NAME
  0      1                           :BEGIN   str                                       -5    -1         12345678901

EOT

NAME mixed signed and unsigned division and modulo
# C's usual arithmetic conversions: int and unsigned int divide as unsigned
# int; a 64-bit signed operand with a 32-bit unsigned one stays signed.
ARGS -q
PROG <<END
BEGIN
{
	i = -7;
	u = 2U;
	l = -7LL;
	printf("%d %d %d %d\n", i / u, i % u, l / u, l % u);
	printf("%d %d %d %d\n", i / 2, i % 2, -7 / -2, 7 % -2);
	printf("%u %d\n", 0xffffffffU / 2, (int)0xffffffffU / 2);
	exit(0);
}
END
EXPECT <<EOT
2147483644 1 -3 -1
-3 -1 3 1
2147483647 0

EOT

NAME 64-bit wrap-around
ARGS -q
PROG <<END
BEGIN
{
	x = 0x7fffffffffffffffLL;
	x++;
	u = 0xffffffffffffffffULL;
	u += 2;
	i = 2147483647;
	i += 1;
	printf("%d %u %d %d\n", x, u, i, 9223372036854775807LL * 3);
	exit(0);
}
END
EXPECT <<EOT
-9223372036854775808 1 -2147483648 9223372036854775805

EOT

NAME long expressions simply work (DTrace spills registers)
ARGS -q
PROG <<END
BEGIN
{
	a = 1; b = 2; c = 3; d = 4; e = 5; f = 6; g = 7; h = 8;
	x = ((a + b) * (c + d) - (e + f) * (g + h)) + (a * (b + (c * (d + (e * (f + (g * (h + (a * (b + (c * (d + (e * (f + (g * h))))))))))))))) + a + b + c + d + e + f + g + h + a + b + c + d + e + f + g + h + a + b + c + d + e + f + g + h + a + b + c + d + e + f + g + h + a + b + c + d + e + f + g + h;
	printf("%d\n", x);
	exit(0);
}
END
EXPECT <<EOT
100100

EOT
