# Aggregating functions, histograms, printa, normalize/trunc/clear, sort order.

NAME count sum avg min max stddev printed at exit
ARGS -q
PROG <<END
BEGIN
{
	@c = count(); @c = count();
	@s = sum(10); @s = sum(-3);
	@a = avg(3); @a = avg(4);
	@mn = min(5); @mn = min(-2);
	@mx = max(5); @mx = max(9);
	@sd = stddev(2); @sd = stddev(4); @sd = stddev(4); @sd = stddev(4); @sd = stddev(5); @sd = stddev(5); @sd = stddev(7); @sd = stddev(9);
	exit(0);
}
END
EXPECT <<EOT

                2
                7
                3
               -2
                9
                2
EOT

NAME keyed aggregation sorted by value then key
ARGS -q
PROG <<END
BEGIN
{
	@[ "b" ] = sum(5); @["a"] = sum(5); @["c"] = sum(1); @["d"] = sum(100);
	exit(0);
}
END
EXPECT <<EOT

  c                                                                 1
  a                                                                 5
  b                                                                 5
  d                                                               100
EOT

NAME integer key widths
ARGS -q
PROG <<END
BEGIN
{
	i = 7;
	@a[i] = count();
	@b[(uint16_t)7] = count();
	@c[(uint8_t)7] = count();
	@d[7LL] = count();
	@e["x", 1] = count();
	exit(0);
}
END
EXPECT <<EOT

        7                1
     7                1
   7                1
                7                1
  x                                                         1                1
EOT

NAME quantize with negative zero and huge values
ARGS -q
PROG <<END
BEGIN
{
	@q = quantize(0); @q = quantize(1); @q = quantize(3); @q = quantize(-5);
	@q = quantize(1000); @q = quantize(0x7fffffffffffffff);
	exit(0);
}
END
EXPECT <<EOT


           value  ------------- Distribution ------------- count    
              -8 |                                         0        
              -4 |@@@@@@@                                  1        
              -2 |                                         0        
              -1 |                                         0        
               0 |@@@@@@@                                  1        
               1 |@@@@@@@                                  1        
               2 |@@@@@@@                                  1        
               4 |                                         0        
               8 |                                         0        
              16 |                                         0        
              32 |                                         0        
              64 |                                         0        
             128 |                                         0        
             256 |                                         0        
             512 |@@@@@@@                                  1        
            1024 |                                         0        
            2048 |                                         0        
            4096 |                                         0        
            8192 |                                         0        
           16384 |                                         0        
           32768 |                                         0        
           65536 |                                         0        
          131072 |                                         0        
          262144 |                                         0        
          524288 |                                         0        
         1048576 |                                         0        
         2097152 |                                         0        
         4194304 |                                         0        
         8388608 |                                         0        
        16777216 |                                         0        
        33554432 |                                         0        
        67108864 |                                         0        
       134217728 |                                         0        
       268435456 |                                         0        
       536870912 |                                         0        
      1073741824 |                                         0        
      2147483648 |                                         0        
      4294967296 |                                         0        
      8589934592 |                                         0        
     17179869184 |                                         0        
     34359738368 |                                         0        
     68719476736 |                                         0        
    137438953472 |                                         0        
    274877906944 |                                         0        
    549755813888 |                                         0        
   1099511627776 |                                         0        
   2199023255552 |                                         0        
   4398046511104 |                                         0        
   8796093022208 |                                         0        
  17592186044416 |                                         0        
  35184372088832 |                                         0        
  70368744177664 |                                         0        
 140737488355328 |                                         0        
 281474976710656 |                                         0        
 562949953421312 |                                         0        
1125899906842624 |                                         0        
2251799813685248 |                                         0        
4503599627370496 |                                         0        
9007199254740992 |                                         0        
18014398509481984 |                                         0        
36028797018963968 |                                         0        
72057594037927936 |                                         0        
144115188075855872 |                                         0        
288230376151711744 |                                         0        
576460752303423488 |                                         0        
1152921504606846976 |                                         0        
2305843009213693952 |                                         0        
4611686018427387904 |@@@@@@@                                  1        

EOT

NAME quantize with increment
ARGS -q
PROG BEGIN { @q = quantize(8, 3); @q = quantize(100, 2); exit(0); }
EXPECT <<EOT


           value  ------------- Distribution ------------- count    
               4 |                                         0        
               8 |@@@@@@@@@@@@@@@@@@@@@@@@                 3        
              16 |                                         0        
              32 |                                         0        
              64 |@@@@@@@@@@@@@@@@                         2        
             128 |                                         0        

EOT

NAME lquantize underflow and overflow
ARGS -q
PROG <<END
BEGIN
{
	@l = lquantize(-1, 0, 100, 10); @l = lquantize(5, 0, 100, 10);
	@l = lquantize(55, 0, 100, 10); @l = lquantize(55, 0, 100, 10); @l = lquantize(500, 0, 100, 10);
	exit(0);
}
END
EXPECT <<EOT


           value  ------------- Distribution ------------- count    
             < 0 |@@@@@@@@                                 1        
               0 |@@@@@@@@                                 1        
              10 |                                         0        
              20 |                                         0        
              30 |                                         0        
              40 |                                         0        
              50 |@@@@@@@@@@@@@@@@                         2        
              60 |                                         0        
              70 |                                         0        
              80 |                                         0        
              90 |                                         0        
          >= 100 |@@@@@@@@                                 1        

EOT

NAME llquantize steps below the factor must divide it (Oracle's rule)
# Oracle Solaris 11 accepts fewer steps than the factor when they divide it
# (illumos: D_LLQUANT_FACTORNSTEPS for any steps < factor); 3 does not divide 10.
PROG BEGIN { @l = llquantize(320, 10, 0, 5, 3); exit(0); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: llquantize( ) number of linear steps per magnitude (argument #4) must evenly divide the factor (argument #1) when it is less than the factor
EOT
EXIT 1

NAME llquantize with 5 steps of factor 10 (Oracle's rule)
# [10^k, 10^(k+1)) in 5 bins 2 * 10^k wide: 320 -> [300, 500), 35 -> [30, 50),
# 1 -> [1, 3), 9 -> [9, 10) (the last bin of a magnitude stops at the next power).
ARGS -q
PROG BEGIN { @l = llquantize(320, 10, 0, 5, 5); @l = llquantize(35, 10, 0, 5, 5); @l = llquantize(1, 10, 0, 5, 5); @l = llquantize(9, 10, 0, 5, 5); exit(0); }
EXPECT <<EOT


           value  ------------- Distribution ------------- count    
             < 1 |                                         0        
               1 |@@@@@@@@@@                               1        
               3 |                                         0        
               5 |                                         0        
               7 |                                         0        
               9 |@@@@@@@@@@                               1        
              10 |                                         0        
              30 |@@@@@@@@@@                               1        
              50 |                                         0        
              70 |                                         0        
              90 |                                         0        
             100 |                                         0        
             300 |@@@@@@@@@@                               1        
             500 |                                         0        

EOT

NAME llquantize factor 10, magnitudes 2-3, 20 steps
# [100, 1000) in 18 bins 50 wide, [1000, 10000) in 18 bins 500 wide:
# 320 -> bin 1 + (320 - 100) / 50 = 5, labelled 100 + 4 * 50 = 300;
# one empty row each side (dt_print_llquantize first_bin/last_bin).
ARGS -q
PROG BEGIN { @l = llquantize(320, 10, 2, 3, 20); exit(0); }
EXPECT <<EOT


           value  ------------- Distribution ------------- count    
             250 |                                         0        
             300 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 1        
             350 |                                         0        

EOT

NAME llquantize factor 2, magnitudes 0-3, 4 steps, every row
# labels (dt_print_llquantize): < 1 | 1 | 2 3 | 4 6 | 8 12 | >= 16;
# buckets (dtrace_aggregate_llquantize_bucket): 0 -> "< 1", 3 -> "3",
# 7 -> 4 + (7 - 4) / 2 = bin 5 "6", 100 -> the top bin ">= 16".
ARGS -q
PROG <<END
BEGIN
{
	@ = llquantize(0, 2, 0, 3, 4);
	@ = llquantize(3, 2, 0, 3, 4);
	@ = llquantize(7, 2, 0, 3, 4);
	@ = llquantize(6, 2, 0, 3, 4);
	@ = llquantize(100, 2, 0, 3, 4);
	exit(0);
}
END
EXPECT <<EOT


           value  ------------- Distribution ------------- count    
             < 1 |@@@@@@@@                                 1        
               1 |                                         0        
               2 |                                         0        
               3 |@@@@@@@@                                 1        
               4 |                                         0        
               6 |@@@@@@@@@@@@@@@@                         2        
               8 |                                         0        
              12 |                                         0        
           >= 16 |@@@@@@@@                                 1        

EOT

NAME llquantize factor 10, magnitude 1-2, 100 steps is linear by 1 then 10
# [10, 100): steps = 100, not more than factor^2, so 90 bins 1 wide;
# [100, 1000): 90 bins 10 wide.  50 -> "50", 155 -> "150", incr 3.
ARGS -q
PROG BEGIN { @ = llquantize(50, 10, 1, 2, 100); @ = llquantize(155, 10, 1, 2, 100, 3); exit(0); }
EXPECT_FILE llquantize_linear.txt

NAME llquantize parameter errors, in dt_cc.c's order and words
PROG BEGIN { @a = llquantize(1, 1, 0, 6, 20); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: llquantize( ) factor (argument #1) must be two or more
EOT
EXIT 1

NAME llquantize high magnitude must exceed low
PROG BEGIN { @a = llquantize(1, 10, 3, 3, 10); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: llquantize( ) high magnitude (argument #3) must be greater than low magnitude (argument #2)
EOT
EXIT 1

NAME llquantize steps must divide a power of the factor
PROG BEGIN { @a = llquantize(1, 10, 2, 6, 80); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: llquantize( ) factor (argument #1) must evenly divide the number of steps per magnitude (argument #4), and the number of steps per magnitude must evenly divide a power of the factor
EOT
EXIT 1

NAME llquantize non-constant steps
PROG BEGIN { s = 10; @a = llquantize(1, 10, 0, 6, s); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: llquantize( ) argument #4 (linear steps per magnitude) must be an integer constant
EOT
EXIT 1

NAME llquantize 16-bit parameters
PROG BEGIN { @a = llquantize(1, 10, 0, 70000, 10); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: llquantize( ) argument #3 (high magnitude) must be an unsigned 16-bit quantity
EOT
EXIT 1

NAME llquantize overflowing 64 bits
PROG BEGIN { @a = llquantize(1, 10, 0, 18, 10); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: llquantize( ) factor (10) raised to power of high magnitude (18) plus 1 overflows 64-bits
EOT
EXIT 1

NAME llquantize redeclared with other parameters
PROG BEGIN { @a = llquantize(1, 10, 0, 6, 10); @a = llquantize(1, 10, 0, 5, 10); }
STDERR <<EOT
pcapprobe: failed to compile script prog.d: line 1: llquantize( ) high magnitude (argument #3) doesn't match previous declaration: expected 6, found 5
EOT
EXIT 1

NAME printa with format and keys
ARGS -q
PROG <<END
BEGIN
{
	@n["tcp", 80] = count(); @n["tcp", 80] = count(); @n["udp", 53] = count();
	printa("%-5s %5d %@8d\n", @n);
	exit(0);
}
END
EXPECT <<EOT
udp      53        1
tcp      80        2

EOT

NAME printa with several aggregations and missing keys
ARGS -q
PROG <<END
BEGIN
{
	@r["a"] = count(); @r["b"] = count(); @r["b"] = count();
	@w["b"] = sum(100); @w["c"] = sum(7);
	printa("%-3s %@4d %@6d\n", @r, @w);
	exit(0);
}
END
EXPECT <<EOT
c      0      7
a      1      0
b      2    100

EOT

NAME default printa writes a leading newline and marks printed
ARGS -q
PROG BEGIN { @["x"] = count(); printa(@); printf("--\n"); exit(0); }
EXPECT <<EOT

  x                                                                 1
--

EOT

NAME normalize with non-divisible values then denormalize
ARGS -q
PROG <<END
BEGIN
{
	@["a"] = sum(7); @["b"] = sum(10); @["c"] = sum(-7);
	normalize(@, 3);
	printa(@);
	denormalize(@);
	printa(@);
	exit(0);
}
END
EXPECT <<EOT

  c                                                  6148914691236517203
  a                                                                 2
  b                                                                 3

  c                                                                -7
  a                                                                 7
  b                                                                10

EOT

NAME trunc keeps the largest and negative keeps the smallest
ARGS -q
PROG <<END
BEGIN
{
	@a[1] = sum(1); @a[2] = sum(2); @a[3] = sum(3); @a[4] = sum(4);
	@b[1] = sum(1); @b[2] = sum(2); @b[3] = sum(3); @b[4] = sum(4);
	@c[1] = sum(1);
	trunc(@a, 2); trunc(@b, -1); trunc(@c);
	exit(0);
}
END
EXPECT <<EOT

        3                3
        4                4
        1                1
EOT

NAME clear keeps keys with zero values
ARGS -q
PROG BEGIN { @["k"] = count(); @["j"] = count(); @["j"] = count(); clear(@); exit(0); }
EXPECT <<EOT

  j                                                                 0
  k                                                                 0
EOT

NAME aggsortkey and aggsortrev
ARGS -q -x aggsortkey -x aggsortrev
PROG BEGIN { @["b"] = sum(1); @["a"] = sum(2); @["c"] = sum(3); exit(0); }
EXPECT <<EOT

  c                                                                 3
  b                                                                 1
  a                                                                 2
EOT

NAME aggregation keyed by probe name through clauses
ARGS -q
PROG <<END
BEGIN { @[probename] = count(); }
profile:::tick-1sec { @[probename] = count(); }
profile:::tick-1sec /++n == 3/ { exit(0); }
END { @[probename] = count(); }
END
EXPECT <<EOT

  BEGIN                                                             1
  END                                                               1
  tick-1sec                                                         3
EOT

NAME count, printa and trunc in a tick clause
ARGS -q
PROG <<END
BEGIN { n = 0; }
profile:::tick-10ms { @x[n % 4] = count(); n++; }
profile:::tick-100ms
{
	trunc(@x, 2);
	printa("%d %@d\n", @x);
	trunc(@x);
	printf("--\n");
}
profile:::tick-100ms /++t == 2/ { exit(0); }
END
EXPECT <<EOT
0 3
1 3
--
2 3
3 3
--

EOT

NAME aggsortrev makes trunc keep the smallest
ARGS -q
PROG <<END
#pragma D option aggsortrev
BEGIN
{
	@a["one"] = sum(1); @a["two"] = sum(2); @a["three"] = sum(3); @a["four"] = sum(4);
	trunc(@a, 2);
	exit(0);
}
END
EXPECT <<EOT

  two                                                               2
  one                                                               1
EOT
