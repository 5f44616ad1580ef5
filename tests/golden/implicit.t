# Implicit declaration: a variable is declared by its first assignment in
# program order, and every assignment form counts (=, op=, ++, --), in a
# predicate too.  A variable op= creates is an int (dt_xcook_ident); one ++ or
# -- creates is an int64_t (dt_cook_op1 types a new variable it is applied to).

NAME every assignment form declares a global
ARGS -q
PROG BEGIN { i++; ++j; k--; --l; m += 5; n -= 2; o *= 3; printf("%d %d %d %d %d %d %d\n", i, j, k, l, m, n, o); exit(0); }
EXPECT <<EOT
1 1 -1 -1 5 -2 0

EOT

NAME a variable created by -- is an int64_t and does not wrap at 32 bits
ARGS -q
PROG BEGIN { i--; i = i - 2147483647; i--; printf("%d %d\n", i, sizeof (i)); exit(0); }
EXPECT <<EOT
-2147483649 8

EOT

NAME increment in a predicate declares the variable
ARGS -q
PROG <<END
tick-10ms
/i++ < 3/
{
	printf("tick %d\n", i);
}

tick-10ms
/i > 3/
{
	exit(0);
}
END
EXPECT <<EOT
tick 1
tick 2
tick 3

EOT

NAME associative arrays and thread-locals by ++ and +=
ARGS -q
PROG BEGIN { a["x"]++; a["x"]++; b[1, 2] += 7; self->n++; this->m += 4; printf("%d %d %d %d\n", a["x"], b[1, 2], self->n, this->m); exit(0); }
EXPECT <<EOT
2 7 1 4

EOT

NAME post and pre increment values
ARGS -q
PROG BEGIN { x = 5; a = x++; b = ++x; c = x--; d = --x; printf("%d %d %d %d %d\n", a, b, c, d, x); exit(0); }
EXPECT <<EOT
5 7 7 5 5

EOT

NAME a read before the first assignment is still an error
ARGS -q
PROG <<END
BEGIN
{
	trace(y);
}

BEGIN
{
	y++;
}
END
EXPECT <<EOT
EOT
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 3: failed to resolve y: Unknown variable name
EOT
EXIT 1

NAME a variable read by its own first assignment is an int
# dt_cook_op2 creates the variable before the right-hand side reads it
ARGS -q
PROG <<END
tick-1ms
/(n = n + 1) < 3/
{
	printf("%d %d\n", n, sizeof (n));
}

tick-1ms
/n >= 3/
{
	exit(0);
}
END
EXPECT <<EOT
1 4
2 4

EOT
