# Strings: comparison, subroutines, NULL, stringof.

NAME string comparison
ARGS -q
PROG BEGIN { a = "abc"; b = "abd"; printf("%d %d %d %d\n", a < b, a == "abc", a != b, b >= a); exit(0); }
EXPECT <<EOT
1 1 1 1

EOT

NAME string subroutines
ARGS -q
PROG <<END
BEGIN
{
	s = "/usr/lib/libc.so.1";
	printf("%s|%s|%s|%d\n", basename(s), dirname(s), strjoin("ab", "cd"), strlen(s));
	printf("%s|%s|%s|%s\n", substr(s, 5), substr(s, -4), substr(s, 1, 3), strstr(s, "lib"));
	printf("%d %d %s %s\n", index(s, "lib"), rindex(s, "lib"), toupper("abc"), tolower("XyZ"));
	printf("%s %s %s\n", lltostr(-42), strchr(s, 'l'), strrchr(s, '/'));
	printf("%s %s\n", cleanpath("/a/./b/../c"), inet_ntoa(0x7f000001));
	printf("%x %x %x\n", ntohs(0x1234), htonl(0x11223344), ntohll(0x0102030405060708));
	exit(0);
}
END
EXPECT <<EOT
libc.so.1|/usr/lib|abcd|18
lib/libc.so.1|so.1|usr|lib/libc.so.1
5 9 ABC xyz
-42 lib/libc.so.1 /libc.so.1
/a/c 127.0.0.1
3412 44332211 807060504030201

EOT

NAME strtok
ARGS -q
PROG BEGIN { printf("%s,", strtok("a:b::c", ":")); printf("%s,", strtok(NULL, ":")); printf("%s\n", strtok(NULL, ":")); exit(0); }
EXPECT <<EOT
a,b,c

EOT

NAME string associative array compared with NULL
ARGS -q
PROG <<END
BEGIN
{
	op[8] = "read";
	printf("%d %d\n", op[8] != NULL, op[9] == NULL);
	exit(0);
}
END
EXPECT <<EOT
1 1

EOT

NAME adjacent string literals and escapes
ARGS -q
PROG BEGIN { printf("a\tb" "c\\d\"e\101\x42\n"); exit(0); }
EXPECT <<EOT
a	bc\d"eAB

EOT

NAME stringof
ARGS -q
PROG BEGIN { printf("%s %s\n", stringof(42), stringof("x")); exit(0); }
EXPECT <<EOT
42 x

EOT

NAME string comparisons in predicates
ARGS -q
PROG <<END
BEGIN /probename == "BEGIN" && execname != "init"/ { printf("1 "); }
BEGIN /probeprov < "dtracf" && probename >= "BEGIN"/ { printf("2 "); }
BEGIN /probename == "END"/ { printf("never "); }
BEGIN /strjoin(probeprov, lltostr(-42)) == "dtrace-42"/ { printf("3\n"); exit(0); }
END
EXPECT <<EOT
1 2 3

EOT
