"""The recursive-descent parser: precedence, D statements and declarations."""

from __future__ import annotations

import pytest

from pcapprobe.dlang import DCompileError, Source, ast
from pcapprobe.dlang.parser import parse


def expr(text: str) -> ast.Node:
    program = parse(Source("x.d", f"BEGIN {{ {text}; }}"), frozenset({"uint8_t"}))
    clause = program.items[0]
    assert isinstance(clause, ast.Clause) and clause.body
    statement = clause.body[0]
    assert isinstance(statement, ast.ExprStmt)
    return statement.expr


def show(node: ast.Node) -> str:
    """A parenthesized rendering that makes the tree's shape visible."""
    if isinstance(node, ast.Binary):
        return f"({show(node.left)} {node.op} {show(node.right)})"
    if isinstance(node, ast.Unary):
        return f"({node.op}{show(node.operand)})"
    if isinstance(node, ast.Assign):
        return f"({show(node.target)} {node.op} {show(node.value)})"
    if isinstance(node, ast.Ternary):
        return f"({show(node.cond)} ? {show(node.then)} : {show(node.other)})"
    if isinstance(node, ast.IncDec):
        return f"({node.op}{show(node.operand)})" if node.prefix else f"({show(node.operand)}{node.op})"
    if isinstance(node, ast.IntLit):
        return str(node.value)
    if isinstance(node, ast.Ident):
        return node.name
    if isinstance(node, ast.Member):
        return f"{show(node.base)}{'->' if node.arrow else '.'}{node.name}"
    if isinstance(node, ast.Index):
        return f"{show(node.base)}[{', '.join(show(i) for i in node.indexes)}]"
    if isinstance(node, ast.Cast):
        return f"(({node.type.base}){show(node.operand)})"
    if isinstance(node, ast.VarRef):
        return f"{node.scope}->{node.name}"
    return type(node).__name__


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("a = 1 + 2 * 3", "(a = (1 + (2 * 3)))"),
        ("a = b = 2", "(a = (b = 2))"),
        ("x = 1 - 2 - 3", "(x = ((1 - 2) - 3))"),
        ("x = a || b ^^ c && d", "(x = (a || (b ^^ (c && d))))"),
        ("x = a | b ^ c & d == e < f << g + h * i", "(x = (a | (b ^ (c & (d == (e < (f << (g + (h * i)))))))))"),
        ("x = a ? b : c ? d : e", "(x = (a ? b : (c ? d : e)))"),
        ("x = -a++ + --b", "(x = ((-(a++)) + (--b)))"),
        ("x = (uint8_t)a + 1", "(x = (((uint8_t)a) + 1))"),
        ("x = args[2]->res_u.ok.data.data_len", "(x = args[2]->res_u.ok.data.data_len)"),
        ("x = args[2]->ic_cdb[0]", "(x = args[2]->ic_cdb[0])"),
        ("self->t += a[1, \"k\"]", "(self->t += a[1, StrLit])"),
    ],
)
def test_expression_shapes(text: str, shape: str) -> None:
    assert show(expr(text)) == shape


def test_clause_parts() -> None:
    program = parse(Source("x.d", "a:::b, c:::d\n/x/\n{ @n[1, 2] = lquantize(x, 0, 10, 2); printa(@n); }"))
    clause = program.items[0]
    assert isinstance(clause, ast.Clause)
    assert [p.text for p in clause.probes] == ["a:::b", "c:::d"]
    assert isinstance(clause.predicate, ast.Ident)
    assert clause.body is not None
    agg = clause.body[0]
    assert isinstance(agg, ast.AggStmt) and agg.name == "n" and agg.func == "lquantize"
    assert len(agg.keys) == 2 and len(agg.args) == 4


def test_declarations() -> None:
    program = parse(Source("x.d", "int last[int];\nself string s;\ninline int N = 3;\nunsigned long long v;"))
    decl, self_decl, inline, wide = program.items
    assert isinstance(decl, ast.VarDecl) and decl.key_types is not None and decl.name == "last"
    assert isinstance(self_decl, ast.VarDecl) and self_decl.scope == "self"
    assert isinstance(inline, ast.InlineDecl) and inline.name == "N"
    assert isinstance(wide, ast.VarDecl) and wide.type.base == "unsigned long long"


def test_spans_point_into_the_source() -> None:
    source = Source("x.d", "BEGIN\n{\n  x = foo + 1;\n}")
    node = expr("x = foo + 1")
    assert isinstance(node, ast.Assign)
    program = parse(source)
    clause = program.items[0]
    assert isinstance(clause, ast.Clause) and clause.body
    span = clause.body[0].span
    assert source.line_col(span.start) == (3, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("BEGIN { x = 1 +; }", 'syntax error near ";"'),
        ("BEGIN { x = 1", "syntax error near end of input"),
        ("BEGIN { x = (1; }", 'syntax error near ";"'),
        ("BEGIN { @a[1 = count(); }", 'syntax error near ";"'),
        ("BEGIN", "expected predicate and/or actions following probe description"),
    ],
)
def test_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(DCompileError) as info:
        parse(Source("x.d", text))
    assert info.value.diagnostic.message == message


@pytest.mark.parametrize("text", ["(" * 5000 + "1" + ")" * 5000, "-" * 5001 + "1",
                                  "x = " * 5000 + "1", "!" * 5000 + "1"])
def test_absurd_nesting_is_a_syntax_error_not_a_recursion_error(text: str) -> None:
    # found by tests/test_fuzz_captures.py: RecursionError escaped the parser
    with pytest.raises(DCompileError, match="nested too deeply"):
        parse(Source("x.d", f"BEGIN {{ y = {text}; }}"))


def test_reasonable_nesting_still_parses() -> None:
    assert show(expr("x = " + "(" * 40 + "1" + ")" * 40)) == "(x = 1)"
