# Errors DTrace reports at compile time (exit 1, nothing runs), with their
# dt_errtags.h tags under -x errtags.  Wording from dt_parser.c, dt_cc.c,
# dt_printf.c and dt_lex.l.

NAME division by a constant zero
ARGS -q -x errtags
PROG BEGIN { x = 10; y = x / (2 - 2); exit(0); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_DIV_ZERO] line 1: expression contains division by zero
EOT
EXIT 1

NAME modulo-assignment by a zero-valued inline
ARGS -q -x errtags
PROG <<END
inline int NONE = 0;
BEGIN
{
	x = 7;
	x %= NONE;
}
END
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_DIV_ZERO] line 5: expression contains division by zero
EOT
EXIT 1

NAME division by a variable that is zero is a run-time fault, not a compile error
ARGS -q
PROG BEGIN { z = 0; x = 1 / z; } ERROR { printf("fault %d\n", arg4); exit(0); }
EXPECT <<EOT
fault 4

EOT
STDERR <<EOT
pcapprobe: error on enabled probe ID 1 (ID 1: dtrace:::BEGIN): divide-by-zero in action #2
EOT

NAME lquantize base outside 32 bits
ARGS -q -x errtags
PROG BEGIN { @ = lquantize(1, -2147483649, 0, 1); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_LQUANT_BASEVAL] line 1: lquantize( ) argument #1 must be a 32-bit quantity
EOT
EXIT 1

NAME lquantize limit outside 32 bits
ARGS -q -x errtags
PROG BEGIN { @ = lquantize(1, 0, 0x80000000, 1); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_LQUANT_LIMVAL] line 1: lquantize( ) argument #2 must be a 32-bit quantity
EOT
EXIT 1

NAME lquantize step too small for 16-bit levels
ARGS -q -x errtags
PROG BEGIN { @ = lquantize(1, 0, 70000, 1); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_LQUANT_STEPSMALL] line 1: lquantize( ) step (argument #3) too small: number of quantization levels must be a 16-bit quantity
EOT
EXIT 1

NAME lquantize step larger than the range
ARGS -q -x errtags
PROG BEGIN { @ = lquantize(1, 0, 10, 20); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_LQUANT_STEPLARGE] line 1: lquantize( ) step (argument #3) too large: must have at least one quantization level
EOT
EXIT 1

NAME lquantize step zero
ARGS -q -x errtags
PROG BEGIN { @ = lquantize(1, 0, 10, 0); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_LQUANT_STEPTYPE] line 1: lquantize( ) argument #3 must be a non-zero positive integer constant
EOT
EXIT 1

NAME lquantize with another limit than before
ARGS -q -x errtags
PROG BEGIN { @ = lquantize(1, 0, 10, 2); @ = lquantize(1, 0, 20, 2); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_LQUANT_MATCHLIM] line 1: lquantize( ) limit (argument #2) doesn't match previous declaration: expected 10, found 20
EOT
EXIT 1

NAME quantize increment that is not a scalar
ARGS -q -x errtags
PROG BEGIN { @ = quantize(1, "many"); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_PROTO_ARG] line 1: quantize( ) increment value (argument #2) must be of scalar type
EOT
EXIT 1

NAME lquantize increment that is not a scalar
ARGS -q -x errtags
PROG BEGIN { @ = lquantize(1, 0, 10, 1, probefunc); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_PROTO_ARG] line 1: lquantize( ) increment value (argument #5) must be of scalar type
EOT
EXIT 1

NAME printa of aggregations with different key counts
ARGS -q -x errtags
PROG BEGIN { @a["x"] = count(); @b["x", 1] = count(); printa("%s %@d %@d\n", @a, @b); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_PRINTA_AGGKEY] line 1: printa( ): @a and @b do not have matching key signatures: @a has 1 key, @b has 2 keys
EOT
EXIT 1

NAME printa of aggregations with different key types
ARGS -q -x errtags
PROG BEGIN { @a["x"] = count(); @b[1] = sum(2); printa(@a, @b); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_PRINTA_AGGPROTO] line 1: printa( ): @b[ ] key #1 is incompatible with @a:
       @a key #1: string
       @b key #1: int
EOT
EXIT 1

NAME printa of aggregations with integer keys of different widths
ARGS -q
PROG BEGIN { @a[(char)1] = count(); @b[1LL] = sum(5); printa("%d %@d %@d\n", @a, @b); exit(0); }
EXPECT <<EOT
1 1 5

EOT

NAME printa format with a key conversion of the wrong type
ARGS -q -x errtags
PROG BEGIN { @a["x"] = count(); printa("%d %@d\n", @a); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_PRINTF_ARG_TYPE] line 1: printa( ) argument #2 is incompatible with conversion #1 prototype:
	conversion: %d
	 prototype: char, short, int, long, or long long
	  argument: string
EOT
EXIT 1

NAME a program of comments and declarations only is empty
ARGS -x errtags
PROG <<END
/* nothing to enable */
int x;
END
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_EMPTY] line 3: empty D program translation unit
EOT
EXIT 1

NAME -x empty accepts an empty program
ARGS -e -x empty
PROG #pragma D option quiet
EXPECT <<EOT
EOT

NAME unknown option in a pragma
ARGS -x errtags
PROG <<END
#pragma D option nosuchoption
BEGIN { exit(0); }
END
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_PRAGMA_OPTSET] line 1: failed to set option 'nosuchoption': Invalid option name
EOT
EXIT 1

NAME character constant longer than eight bytes
ARGS -x errtags
PROG BEGIN { c = 'abcdefghi'; }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_CHR_OFLOW] line 1: character constant is too long
EOT
EXIT 1

NAME a string is not a scalar for ?: && || ^^ ! and predicates
ARGS -x errtags
PROG BEGIN { x = probefunc ? 1 : 0; }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_OP_SCALAR] line 1: operator ?: expression must be of scalar type
EOT
EXIT 1

NAME a string operand of a logical operator
ARGS -x errtags
PROG BEGIN { x = 1 || probename; }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_OP_SCALAR] line 1: operator || requires operands of scalar type
EOT
EXIT 1

NAME a string predicate
ARGS -x errtags
PROG BEGIN /execname/ { exit(0); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_PRED_SCALAR] line 1: predicate result must be of scalar type
EOT
EXIT 1

NAME inline redefined
ARGS -x errtags
PROG <<END
inline int LIMIT = 10;
inline int LIMIT = 20;
BEGIN { exit(0); }
END
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_DECL_IDRED] line 2: identifier redefined: LIMIT
	 current: inline definition
	previous: scalar inline
EOT
EXIT 1

NAME inline over a variable
ARGS -x errtags
PROG <<END
int limit;
inline int limit = 20;
END
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_DECL_IDRED] line 2: identifier redefined: limit
	 current: inline definition
	previous: scalar 
EOT
EXIT 1

NAME the same declaration twice is accepted, another type is not
ARGS -x errtags
PROG <<END
int n;
int n;
long n;
END
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_DECL_IDRED] line 3: identifier redeclared: n
	 current: scalar long
	previous: scalar int
EOT
EXIT 1

NAME an action may declare what the predicate reads
ARGS -q
PROG BEGIN /n == 0/ { n++; printf("%d\n", n); exit(0); }
EXPECT <<EOT
1

EOT

NAME ++ and -- need a scalar operand
ARGS -q -x errtags
PROG BEGIN { s = "abc"; t = ++s; }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_OP_SCALAR] line 1: operator ++ requires operand of scalar type
EOT
EXIT 1

NAME an action as an operand of ?:
ARGS -q -x errtags
PROG BEGIN { i = 1; x = i == 0 ? trace(0) : trace(1); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_OP_ACT] line 1: action cannot be used in a conditional context
EOT
EXIT 1

NAME an action of the wrong arity in ?: is a prototype error first
ARGS -q -x errtags
PROG BEGIN { i = 1; x = i == 0 ? printf("no\n") : trace(); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: [D_PROTO_LEN] line 1: trace( ) prototype mismatch: 0 args passed, 1 expected
EOT
EXIT 1
