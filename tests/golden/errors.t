# Compile errors in DTrace's wording, and runtime faults.

NAME probe description matching nothing
PROG tcp:::recieve { }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: probe description tcp:::recieve does not match any probes
EOT
EXIT 1

NAME probe description matching nothing with -n
ARGS -n
PROG tcp:::recieve { }
STDERR <<EOT
pcapprobe: invalid probe specifier tcp:::recieve { }: probe description tcp:::recieve does not match any probes
EOT
EXIT 1

NAME -Z permits descriptions that match nothing
ARGS -q -Z
PROG <<END
nosuch:::probe { @ = count(); }
BEGIN { printf("ok\n"); exit(0); }
END
EXPECT <<EOT
ok

EOT

NAME errtags
ARGS -x errtags
PROG BEGIN { x = y; }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_IDENT_UNDEF] line 1: failed to resolve y: Unknown variable name
EOT
EXIT 1

NAME syntax error names the line
PROG <<END
/* a comment
   spanning lines */
BEGIN
{
	x = 1 +;
}
END
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 5: syntax error near ";"
EOT
EXIT 1

NAME syntax error at end of input
PROG BEGIN { x = 1;
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: syntax error near end of input
EOT
EXIT 1

NAME unknown member
PROG ip:::receive { @[args[2]->ip_nosuch] = count(); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: translator does not define conversion for member: ip_nosuch
EOT
EXIT 1

NAME args index out of range
PROG ip:::receive { @[args[9]] = count(); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: index 9 is out of range for ip:ip:ip_input:receive args[ ]
EOT
EXIT 1

NAME type mismatch in assignment
PROG BEGIN { x = 1; x = "s"; }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: operands have incompatible types: "int" = "string"
EOT
EXIT 1

NAME incompatible comparison
PROG BEGIN { x = "a" == 1; }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: operands have incompatible types: "string" == "int"
EOT
EXIT 1

NAME printf prototype mismatch
PROG BEGIN { printf("%d %d\n", 1); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: printf( ) prototype mismatch: conversion #2 (%d) is missing a corresponding value argument
EOT
EXIT 1

NAME printf conversion type
PROG BEGIN { printf("%d\n", "str"); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: printf( ) argument #2 is incompatible with conversion #1 prototype:
	conversion: %d
	 prototype: char, short, int, long, or long long
	  argument: string
EOT
EXIT 1

NAME aggregation redefined
PROG BEGIN { @a = count(); @a = sum(1); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: aggregation redefined: @a
EOT
EXIT 1

NAME unknown function
PROG BEGIN { x = nosuch(1); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: failed to resolve nosuch: Unknown function
EOT
EXIT 1

NAME wrong argument count
PROG BEGIN { x = strlen("a", "b"); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: strlen( ) prototype mismatch: 2 args passed, 1 expected
EOT
EXIT 1

NAME undefined macro argument
PROG BEGIN { x = $1; }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: macro argument $1 is not defined
EOT
EXIT 1

NAME invalid pragma option
PROG <<END
#pragma D option nosuchoption
BEGIN { }
END
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: failed to set option 'nosuchoption': Invalid option name
EOT
EXIT 1

NAME unterminated comment
PROG BEGIN { } /* never closed
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: end-of-file encountered before matching */
EOT
EXIT 1

NAME runtime fault names the probe and action
ARGS -q
PROG <<END
BEGIN { x = 0; y = 5 % x; }
BEGIN { printf("still running\n"); exit(0); }
END
EXPECT <<EOT
still running

EOT
STDERR <<EOT
pcapprobe: error on enabled probe ID 1 (ID 1: dtrace:::BEGIN): divide-by-zero in action #2
EOT

NAME printf %s given an integer is a type error
PROG BEGIN { x = 1; printf("%s\n", x); }
EXPECT <<EOT
EOT
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: printf( ) argument #2 is incompatible with conversion #1 prototype:
	conversion: %s
	 prototype: char [] or string (or use stringof)
	  argument: int
EOT
EXIT 1

NAME extra printf argument
PROG BEGIN { printf("%d %%d\n", 1, 2); }
EXPECT <<EOT
EOT
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: printf( ) prototype mismatch: only 1 arguments required by this format string
EOT
EXIT 1

NAME %% is a conversion: numbering as in iscsixfersnoop.d
PROG BEGIN { printf("%26s %%8d %108s\n", "a", 1, "b"); }
EXPECT <<EOT
EOT
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: printf( ) argument #3 is incompatible with conversion #3 prototype:
	conversion: %s
	 prototype: char [] or string (or use stringof)
	  argument: int
EOT
EXIT 1

NAME printa %s given an integer key, as in iscsixfer.d
PROG <<END
BEGIN { @["a", (uint32_t)1] = sum(2); }
END { printa("%26s %10s %15@d\n", @); }
END
EXPECT <<EOT
EOT
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 2: printa( ) argument #3 is incompatible with conversion #2 prototype:
	conversion: %s
	 prototype: char [] or string (or use stringof)
	  argument: uint32_t
EOT
EXIT 1
