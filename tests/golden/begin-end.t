# BEGIN and END: exit() from either, a clause on both, their default output,
# and dtrace(1M)'s "matched N probes" line for -n (cropped at '{', '/', ';').

NAME a clause on BEGIN and END runs twice and matches 2 probes
ARGS -n
PROG BEGIN, END { printf("%s ", probename); } BEGIN { exit(0); }
EXPECT <<EOT
CPU     ID                    FUNCTION:NAME
  0      1                           :BEGIN BEGIN 
  0      1                           :BEGIN 
  0      2                             :END END 

EOT
STDERR <<EOT
pcapprobe: description 'BEGIN, END ' matched 3 probes
EOT

NAME default output of BEGIN and END without actions
ARGS -n
PROG BEGIN, END {} dtrace:::BEGIN { exit(0); }
EXPECT <<EOT
CPU     ID                    FUNCTION:NAME
  0      1                           :BEGIN 
  0      1                           :BEGIN 
  0      2                             :END 

EOT
STDERR <<EOT
pcapprobe: description 'BEGIN, END ' matched 3 probes
EOT

NAME the description is cropped at the predicate
ARGS -n
PROG BEGIN /1/ { exit(0); }
EXPECT <<EOT
CPU     ID                    FUNCTION:NAME
  0      1                           :BEGIN 

EOT
STDERR <<EOT
pcapprobe: description 'BEGIN ' matched 1 probe
EOT

NAME exit() from BEGIN: END still fires, with the status
ARGS -q
PROG BEGIN { exit(3); } END { printf("end\n"); }
EXPECT <<EOT
end

EOT
EXIT 3

NAME exit() from END sets the status anew
ARGS -q
PROG BEGIN { exit(0); } END { printf("end\n"); exit(2); }
EXPECT <<EOT
end

EOT
EXIT 2

NAME a clause whose actions store nothing prints no line
# dt_compile_exp gives an expression statement a void DIFEXPR and
# dtrace_ecb_resize gives a clause that stores nothing no record: no
# "CPU ID FUNCTION:NAME" line for the assignment-only clauses.
PROG <<END
BEGIN { x = 1; }
BEGIN { y++; @c = count(); }
BEGIN { trace(x + y); exit(0); }
END
EXPECT <<EOT
CPU     ID                    FUNCTION:NAME
  0      1                           :BEGIN                    2

                1
EOT
