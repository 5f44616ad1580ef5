"""D conformance classes of issue 17, each checked from the language's definition
(the Dynamic Tracing Guide, dt_consume.c and dtrace.c), not from one program."""

from __future__ import annotations

import pytest

from tests.test_cli import pcapprobe
from tests.test_golden import run_engine

PREFIX = "  0      1                           :BEGIN"  # the non-quiet BEGIN line


def quiet(program: str) -> str:
    result = run_engine(program, ["-q"], [])
    assert result.status == 0, result.stderr
    return result.stdout


def loud(program: str) -> str:
    result = run_engine(program, [], [])
    assert result.status == 0, result.stderr
    return result.stdout


# trace() prints an integer by its D type (Oracle dt_print_trace): signed or
# unsigned at its own size; not quiet, after a space at widths 19/20 (8 bytes),
# 10 (4), 5 (2), 3 (1).
TRACE_CASES = [
    ("-1ul", "18446744073709551615", " 18446744073709551615"),
    ("(uint64_t)-2", "18446744073709551614", " 18446744073709551614"),
    ("(size_t)-1", "18446744073709551615", " 18446744073709551615"),
    ("-1L", "-1", "                  -1"),
    ("(int64_t)1 << 62", "4611686018427387904", " 4611686018427387904"),
    ("(uint32_t)-1", "4294967295", " 4294967295"),
    ("-1", "-1", "         -1"),
    ("(uint16_t)-1", "65535", " 65535"),
    ("(short)-1", "-1", "    -1"),
    ("(uint8_t)-1", "255", " 255"),
    ("(int8_t)-1", "-1", "  -1"),
    ("(char)200", "-56", " -56"),
]


@pytest.mark.parametrize(("expr", "in_quiet", "not_quiet"), TRACE_CASES)
def test_trace_prints_integers_by_type_and_size(expr: str, in_quiet: str, not_quiet: str) -> None:
    program = f"BEGIN {{ trace({expr}); exit(0); }}"
    assert quiet(program) == in_quiet + "\n"
    assert loud(program).splitlines()[1] == PREFIX + " " + not_quiet


# dtrace -l -v (dtrace.c print_probe_info): the description attributes are the
# least (dt_attr_min) of the provider's and those of the probe's non-empty fields.
BEGIN_VERBOSE = """\
   ID   PROVIDER            MODULE                          FUNCTION NAME
    1     dtrace                                                     BEGIN

\tProbe Description Attributes
\t\tIdentifier Names: Stable
\t\tData Semantics:   Stable
\t\tDependency Class: Common

\tArgument Attributes
\t\tIdentifier Names: Stable
\t\tData Semantics:   Stable
\t\tDependency Class: Common

\tArgument Types
\t\tNone

"""


def test_list_v_prints_dtrace_stability_blocks() -> None:
    assert pcapprobe("list", "-v", "-n", "BEGIN") == BEGIN_VERBOSE


@pytest.mark.parametrize("provider", ["ip", "tcp", "udp", "io", "nfsv3", "nfsv4", "iscsi", "fc", "srp"])
def test_list_v_network_probes_are_private_with_evolving_isa_arguments(provider: str) -> None:
    """A probe with a module and a function takes their Private/Unknown; the
    arguments keep the provider's Evolving/ISA (the seeds' tables)."""
    text = pcapprobe("list", "-v", "-P", provider)
    blocks = text.count("\tProbe Description Attributes\n")
    assert blocks == len([line for line in text.splitlines() if line[:5].strip().isdigit()])
    assert text.count(
        "\tProbe Description Attributes\n\t\tIdentifier Names: Private\n"
        "\t\tData Semantics:   Private\n\t\tDependency Class: Unknown\n") == blocks
    assert text.count(
        "\tArgument Attributes\n\t\tIdentifier Names: Evolving\n"
        "\t\tData Semantics:   Evolving\n\t\tDependency Class: ISA\n") == blocks


def test_stability_is_the_least_of_each_attribute() -> None:
    from pcapprobe.probes.stability import Attribute

    low = Attribute("Evolving", "Stable", "ISA") & Attribute("Stable", "Private", "Common")
    assert low == Attribute("Evolving", "Private", "ISA")


# Enumerations and typedefs (Dynamic Tracing Guide, "Type and Constant
# Definitions"; dt_decl.c dt_decl_enumerator's checks and words).
ENUM_PROGRAM = """\
enum color { RED, GREEN, BLUE = 5, PINK };
typedef unsigned long long u64_t;
typedef enum { OFF, ON } switch_t;
enum color c;
u64_t big;
switch_t s;
BEGIN
{
	c = PINK;
	big = (u64_t)-1;
	s = ON;
	printf("%d %d %d %d %d\\n", RED, GREEN, BLUE, PINK, c);
	printf("%d %d %d %d\\n", sizeof (enum color), sizeof (u64_t), sizeof (s), s);
	printf("%d %d\\n", big, RED < PINK && BLUE != GREEN);
	exit(0);
}
"""


def test_enumerators_count_up_from_zero_or_the_last_value() -> None:
    assert quiet(ENUM_PROGRAM) == "0 1 5 6 6\n4 8 4 1\n18446744073709551615 1\n\n"


@pytest.mark.parametrize(("program", "tag", "message", "line"), [
    ("enum e {\n\tx = 3,\n\tx = 4\n};\n", "D_DECL_IDRED", "identifier redeclared: x", 4),
    ("enum e {\n\ttoobig = 2147483648\n};\n", "D_DECL_ENOFLOW",
     "enumerator 'toobig' value overflows INT_MAX (2147483647)", 3),
    ("enum e {\n\ttoosmall = -2147483649\n};\n", "D_DECL_ENOFLOW",
     "enumerator 'toosmall' value overflows INT_MAX (2147483647)", 3),
    ("enum e {\n\tTAG = \"text\"\n};\n", "D_DECL_ENCONST",
     "enumerator 'TAG' must be assigned to an integral constant expression", 3),
    ("int x;\nenum e { x };\n", "D_DECL_IDRED", "identifier redeclared: x", 2),
    ("enum e { a };\nenum e { b };\n", "D_DECL_TYPERED", "type redeclared: enum e", 2),
    ("typedef int a_t;\ntypedef long a_t;\n", "D_DECL_IDRED", "typedef redeclared: a_t", 2),
])
def test_bad_declarations_are_dtrace_errors(program: str, tag: str, message: str, line: int) -> None:
    """An enumerator's error is reported on the line of the token after it,
    where dt_grammar.y reduces the enumerator."""
    result = run_engine(program + "BEGIN { exit(0); }\n", ["-x", "errtags"], [], "e.d")
    assert result.status == 1
    assert result.stderr == f"pcapprobe: failed to compile script e.d: [{tag}] line {line}: {message}\n"


def test_integers_cast_to_pointers() -> None:
    """dt_node_is_castable: an integer may be cast to any pointer type."""
    program = 'BEGIN { p = (char *)0x1234; q = (int *)0; printf("%p %d %d\\n", p, q == NULL, p != NULL); exit(0); }'
    assert quiet(program) == "1234 1 1\n\n"


# Structs and unions the program declares (Dynamic Tracing Guide, "Structs and
# Unions"): C's LP64 layout, members read and written in place, assigned and
# used as associative array keys by value.
RECORD_PROGRAM = """\
struct inner { int position; char content; };
struct outer { struct inner in; long total; char name[12]; } o;
struct outer copy;
union overlay { uint64_t whole; uint32_t low; uint8_t first; };
union overlay u;
typedef struct { short a; long b; } pair_t;
pair_t p;
BEGIN
{
	o.in.position = 5;
	o.in.content = 'e';
	o.total = -7;
	o.name = "outer";
	o.in.position++;
	o.total += 10;
	copy = o;
	o.in.position = 0;
	u.whole = 0x1122334455667788;
	p.a = 1;
	keyed[copy] = 3;
	printf("%d %c %d %s\\n", copy.in.position, copy.in.content, copy.total, copy.name);
	printf("%x %x %d\\n", u.low, u.first, keyed[copy]);
	printf("%d %d %d %d\\n", sizeof (struct inner), sizeof (struct outer), sizeof (union overlay), sizeof (p));
	exit(0);
}
"""


def test_struct_and_union_members_layout_and_copies() -> None:
    assert quiet(RECORD_PROGRAM) == "6 e 3 outer\n55667788 88 3\n8 32 8 16\n\n"


def test_struct_keys_compare_by_value() -> None:
    program = """struct r { int a; char c; };
struct r r1; struct r r2;
BEGIN { r1.a = 1; r2.a = 1; x[r1] = 1000; x[r2] = 2000; printf("%d %d\\n", x[r1], x[r2]); exit(0); }"""
    assert quiet(program) == "2000 2000\n\n"


def test_trace_of_a_struct_is_its_bytes() -> None:
    program = "struct s { int a; char b; }; struct s x; BEGIN { x.a = 0x41424344; x.b = 0x45; trace(x); exit(0); }"
    assert quiet(program).splitlines()[2] == "         0: 44 43 42 41 45 00 00 00                          DCBAE..."


@pytest.mark.parametrize(("program", "tag", "message"), [
    ("struct s {\n\tstruct nosuch q;\n};\n", "D_DECL_INCOMPLETE", "incomplete struct/union/enum struct nosuch: q"),
    ("struct a {\n\tint n;\n}\n\nstruct a x;\n", "D_DECL_COMBO", "invalid type combination"),
    ("struct s {\n\tint a;\n\tint a;\n};\n", "D_DECL_IDRED", "identifier redeclared: a"),
    ("struct s { int a; };\nstruct s { int b; };\n", "D_DECL_TYPERED", "type redeclared: struct s"),
    ("struct s { int a; };\nstruct s x;\nBEGIN { x.b = 1; }\n", "D_TYPE_MEMBER", "b is not a member of struct s"),
])
def test_bad_struct_declarations(program: str, tag: str, message: str) -> None:
    result = run_engine(program + "BEGIN { exit(0); }\n", ["-x", "errtags"], [], "s.d")
    assert result.status == 1 and f"[{tag}]" in result.stderr and result.stderr.endswith(f": {message}\n")


def test_types_defined_inside_a_struct_body() -> None:
    program = """struct record {
	char c;
	struct { char ch; int in; long lg; } inner;
	union { char ch; int in; } either;
	enum colors { RED, GREEN, BLUE } color;
	unsigned long *pointer;
} var;
BEGIN { var.inner.in = 4; var.either.ch = 100; var.color = BLUE; this->copy = var;
	printf("%d %d %d %d %d\\n", var.inner.in, var.either.in, this->copy.color, GREEN, sizeof (var)); exit(0); }"""
    assert quiet(program) == "4 100 2 1 40\n\n"


@pytest.mark.parametrize(("expr", "tag", "message"), [
    ("&x", "D_ADDROF_VAR", "cannot take address of dynamic variable"),
    ("&self->y", "D_ADDROF_VAR", "cannot take address of dynamic variable"),
    ("&this->y", "D_ADDROF_VAR", "cannot take address of dynamic variable"),
    ("&a[1]", "D_ADDROF_VAR", "cannot take address of dynamic variable"),
    ("&timestamp", "D_ADDROF_VAR", "cannot take address of dynamic variable"),
    ("&rec", "D_ADDROF_VAR", "cannot take address of dynamic variable"),
    ("&rec.n", "D_ADDROF_VAR", "cannot take address of dynamic object"),
    ("&(x + 1)", "D_ADDROF_LVAL", "unacceptable operand for unary & operator"),
])
def test_address_of_a_d_variable_is_refused(expr: str, tag: str, message: str) -> None:
    """dt_cook_op1 DT_TOK_ADDROF: D variables live in DTrace's own storage."""
    program = f"struct r {{ int n; }}; struct r rec;\nBEGIN {{ x = 1; a[1] = 2; p = {expr}; }}\n"
    result = run_engine(program, ["-x", "errtags"], [], "a.d")
    assert result.stderr == f"pcapprobe: failed to compile script a.d: [{tag}] line 2: {message}\n"


def test_declarator_lists_and_struct_assignment_between_scopes() -> None:
    """int a, b; this struct s p, q; each declarator declares a variable;
    structs assign by value between globals and clause-locals, and an
    assignment declares a struct variable as any other."""
    program = """struct coords { int x, y; };
struct particle { struct coords position, velocity; };
int K, L;
this int k, l;
struct coords P, Q;
this struct coords p, q;
struct particle A, B;
BEGIN {
	L = 11; this->l = 12; Q.x = 13; Q.y = 14; this->q.x = 15;
	B.velocity.y = 20;
	P = this->q; this->p = B.velocity; A.velocity = Q; IMPLICIT = A;
	printf("%d %d %d %d %d %d %d\\n", L, this->l, P.x, this->p.y, A.velocity.y, IMPLICIT.velocity.x, K + this->k);
	exit(0);
}"""
    assert quiet(program) == "11 12 15 20 14 13 0\n\n"


def test_increment_creates_an_int64_variable() -> None:
    """dt_cook_op1: a variable ++ or -- has just created is typed int64_t
    (global, self->, this->, array element); op= leaves dt_xcook_ident's int."""
    program = ('BEGIN { x++; --y; self->z++; this->w--; a[1]++; n += 1; '
               'printf("%d %d %d %d %d %d\\n", sizeof (x), sizeof (y), sizeof (self->z), sizeof (this->w), '
               'sizeof (a[1]), sizeof (n)); exit(0); }')
    assert quiet(program) == "8 8 8 8 8 4\n\n"


@pytest.mark.parametrize(("expr", "tag", "message"), [
    ("x.a", "D_OP_SOU", 'operator . cannot be applied to type "int"; must be applied to a struct or union'),
    ("x->a", "D_OP_PTR", "operator -> must be applied to a pointer"),
    ("p->a", "D_OP_SOU", 'operator -> cannot be applied to pointer to type "int"; '
     "must be applied to a struct or union pointer"),
    ("args[2]->nosuch", "D_XLATE_NOCONV", "translator does not define conversion for member: nosuch"),
])
def test_member_operators_on_the_wrong_operand(expr: str, tag: str, message: str) -> None:
    """dt_cook_op2 DT_TOK_PTR/DT_TOK_DOT; the providers' args[] are translated types."""
    program = f"ip:::receive {{ x = 1; p = (int *)0; y = {expr}; }}\n"
    result = run_engine(program, ["-x", "errtags"], [], "m.d")
    assert result.stderr == f"pcapprobe: failed to compile script m.d: [{tag}] line 1: {message}\n"


# Translators (Dynamic Tracing Guide, "Translators"; dt_node_xlator and
# dt_cook_op2 DT_TOK_XLATE).
TRANSLATOR_PROGRAM = """\
struct in_s { int i; char c; };
struct out_s { int twice; char same; long unset; };
typedef struct out_s out_t;
translator struct out_s < struct in_s v > {
	twice = ((struct in_s) v).i * 2;
	same = v.c;
};
translator out_t < int n > { twice = n + n; };
struct in_s f;
BEGIN
{
	f.i = 10;
	f.c = 'c';
	whole = xlate < struct out_s > (f);
	printf("%d %c %d %d %d\\n", xlate < struct out_s > (f).twice, xlate < struct out_s > (f).same,
	    whole.twice, whole.unset, xlate < out_t * > (21)->twice);
	exit(0);
}
"""


def test_translators_translate_members_and_whole_values() -> None:
    assert quiet(TRANSLATOR_PROGRAM) == "20 c 20 0 42\n\n"


@pytest.mark.parametrize(("program", "tag", "message"), [
    ("struct o { int a; };\ntranslator struct o < int x > { a = x; };\ntranslator struct o < int y > { a = y; };\n",
     "D_XLATE_REDECL", "translator from int to struct o has already been declared"),
    ("translator int < int x > { a = x; };\n", "D_XLATE_SOU", "translator output type must be a struct or union"),
    ("translator struct nosuch < int x > { a = x; };\n", "D_XLATE_SOU", "incomplete struct/union/enum struct nosuch"),
    ("struct o { int a; };\ntranslator struct o < int x > { b = x; };\n", "D_XLATE_MEMB",
     "translator member b is not a member of struct o"),
    ('struct o { int a; };\ntranslator struct o < int x > { a = x; };\nBEGIN { y = xlate<struct o>("s").a; }\n',
     "D_XLATE_NONE", 'cannot translate from "string" to "struct o"'),
    ("struct o { int a, b; };\ntranslator struct o < int x > { a = x; };\nBEGIN { y = xlate<struct o>(1).b; }\n",
     "D_XLATE_NOCONV", "translator does not define conversion for member: b"),
])
def test_translator_errors(program: str, tag: str, message: str) -> None:
    result = run_engine(program + "BEGIN { exit(0); }\n", ["-x", "errtags"], [], "t.d")
    assert result.status == 1 and f"[{tag}]" in result.stderr and result.stderr.endswith(f": {message}\n")


def test_inline_arrays_and_struct_inlines() -> None:
    """inline TYPE name[TYPE p, ...] = expr; is expr with the subscripts bound
    to the parameters, at each use (Dynamic Tracing Guide, "Inlines")."""
    program = """struct s { int s_x; };
translator struct s < int T > { s_x = T + 1; };
inline int sum[int x, int y] = x + y;
inline string greet[string who] = strjoin("hi ", who);
inline int next[int x] = (xlate < struct s > (x)).s_x;
inline struct s made = xlate < struct s > (122);
BEGIN { printf("%d %s %d %d\\n", sum[10, 20] * 2, greet["bob"], next[123], made.s_x); exit(0); }"""
    assert quiet(program) == "60 hi bob 124 123\n\n"
    result = run_engine("inline int f[int x] = x;\nBEGIN { y = f[1, 2]; }\n", ["-x", "errtags"], [], "i.d")
    assert result.stderr.endswith("[D_PROTO_LEN] line 2: f[ ] prototype mismatch: 2 args passed, 1 expected\n")


def test_offsetof_of_a_struct_member() -> None:
    program = ('struct s { char c; long l; int i; }; BEGIN { printf("%d %d %d\\n", offsetof(struct s, c), '
               'offsetof(struct s, l), offsetof(struct s, i)); exit(0); }')
    assert quiet(program) == "0 8 16\n\n"
    result = run_engine("BEGIN { x = offsetof(int, c); }\n", ["-x", "errtags"], [], "o.d")
    assert result.stderr.endswith("[D_OFFSETOF_TYPE] line 1: offsetof operand must be a struct or union type\n")
