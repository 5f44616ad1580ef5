# Declarations: scalar arrays with a dimension, this-> declarations, char
# variables, and the escapes of char and string constants.

NAME a scalar array of five ints
ARGS -q
PROG <<END
int a[5];

BEGIN
{
	a[0] = 10;
	a[4] = 14;
	a[1]++;
	a[2] += 3;
	printf("%d %d %d %d %d %d\n", a[0], a[1], a[2], a[3], a[4], sizeof (a[0]));
	exit(0);
}
END
EXPECT <<EOT
10 1 3 0 14 4

EOT

NAME an index outside a scalar array is an invalid address at run time
ARGS -q
PROG <<END
int a[2 + 3];

BEGIN
{
	i = 5;
	a[i] = 1;
}

ERROR
{
	printf("fault %d in action %d\n", arg4, arg2);
	exit(0);
}
END
EXPECT <<EOT
fault 1 in action 2

EOT
STDERR <<EOT
pcapprobe: error on enabled probe ID 1 (ID 1: dtrace:::BEGIN): invalid address (0x14) in action #2
EOT

NAME an array dimension must be a positive constant
ARGS -x errtags
PROG <<END
int n;
int a[n];
END
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_DECL_ARRSUB] line 2: positive integral constant expression or tuple signature expected as array declaration subscript
EOT
EXIT 1

NAME clause-local declarations start at zero in every firing
ARGS -q
PROG <<END
this int n;
this string s;

tick-1ms
/i++ < 2/
{
	printf("%d [%s]\n", this->n, this->s);
	this->n = 5;
	this->s = "set";
}

tick-1ms
/i >= 2/
{
	exit(0);
}
END
EXPECT <<EOT
0 []
0 []

EOT

NAME char variables and character constants
ARGS -q
PROG <<END
char c;

BEGIN
{
	c = 'a';
	d = 'ab';
	printf("%c %d %d %d %d\n", c, c, sizeof (c), d, sizeof ('a'));
	c = 300;
	printf("%d\n", c);
	exit(0);
}
END
EXPECT <<EOT
a 97 1 24930 4
44

EOT

NAME every escape in character and string constants
ARGS -q
PROG BEGIN { printf("%d %d %d %d %d %d %d %d %d|%s|\n", '\a', '\b', '\f', '\v', '\101', '\x42', '\0', '\\', '\'', "\x41\102\"\?"); exit(0); }
EXPECT <<EOT
7 8 12 11 65 66 0 92 39|AB"?|

EOT

NAME #pragma D option inside a clause
PROG <<END
BEGIN
{
#pragma D option quiet
	printf("quiet\n");
	exit(0);
}
END
EXPECT <<EOT
quiet

EOT
