"""Recursive-descent parser for D with precedence climbing for binary operators.

The grammar (libdtrace dt_grammar.y, documented in docs/d-grammar.md) is C's
expression grammar plus D's clauses, aggregations, ``self->``/``this->``
variables, ``stringof`` and the logical exclusive-or ``^^``.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum

from pcapprobe.dlang import ast
from pcapprobe.dlang.diagnostics import D_DECL_COMBO, D_DECL_ENCONST, D_DECL_ENOFLOW, D_DIV_ZERO, D_SYNTAX, DCompileError, error
from pcapprobe.dlang.lexer import tokenize
from pcapprobe.dlang.source import Source, Span
from pcapprobe.dlang.tokens import TYPE_KEYWORDS, T, Token


class Precedence(IntEnum):
    """Binary operator precedence, loosest first (C's table, with D's ^^)."""

    LOGICAL_OR = 1
    LOGICAL_XOR = 2
    LOGICAL_AND = 3
    BIT_OR = 4
    BIT_XOR = 5
    BIT_AND = 6
    EQUALITY = 7
    RELATIONAL = 8
    SHIFT = 9
    ADDITIVE = 10
    MULTIPLICATIVE = 11


BINARY_PRECEDENCE: dict[str, Precedence] = {
    "||": Precedence.LOGICAL_OR,
    "^^": Precedence.LOGICAL_XOR,
    "&&": Precedence.LOGICAL_AND,
    "|": Precedence.BIT_OR,
    "^": Precedence.BIT_XOR,
    "&": Precedence.BIT_AND,
    "==": Precedence.EQUALITY,
    "!=": Precedence.EQUALITY,
    "<": Precedence.RELATIONAL,
    "<=": Precedence.RELATIONAL,
    ">": Precedence.RELATIONAL,
    ">=": Precedence.RELATIONAL,
    "<<": Precedence.SHIFT,
    ">>": Precedence.SHIFT,
    "+": Precedence.ADDITIVE,
    "-": Precedence.ADDITIVE,
    "*": Precedence.MULTIPLICATIVE,
    "/": Precedence.MULTIPLICATIVE,
    "%": Precedence.MULTIPLICATIVE,
}

# Deepest expression nesting accepted, counted in assignment and unary levels
# (one pair of parentheses costs two): dtrace's yacc parser has a bounded stack
# too, and deeper input would exhaust Python's recursion limit here or in the
# later passes.
MAX_NESTING = 100

U64 = (1 << 64) - 1
# Constant folding of the operators whose zero-ness does not depend on
# signedness (dt_node_op2); comparisons fold to 0 or 1.
FOLDS: dict[str, Callable[[int, int], int]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
    "<<": lambda a, b: a << (b & 63), ">>": lambda a, b: a >> (b & 63),
    "==": lambda a, b: int(a == b), "!=": lambda a, b: int(a != b),
    "&&": lambda a, b: int(bool(a and b)), "||": lambda a, b: int(bool(a or b)),
    "^^": lambda a, b: int(bool(a) != bool(b)),
}

ASSIGN_OPS = frozenset("= += -= *= /= %= &= |= ^= <<= >>=".split())
UNARY_OPS = frozenset("- + ! ~ * &".split())
POSTFIX_OPS = frozenset("[ -> . ++ --".split())


class Parser:
    """Parses one source into an ``ast.Program``."""

    def __init__(self, source: Source, type_names: frozenset[str] = frozenset()) -> None:
        self.source = source
        self.type_names = set(type_names)  # the lexer adds typedef names to it
        self.tokens = tokenize(source, self.type_names)
        self.i = 0
        self.depth = 0
        # inlines whose value is an integer constant: dt_node_ident turns a
        # use of one into that constant as the program is parsed
        self.constants: dict[str, int] = {}
        # control lines inside a clause body: dt_lex.l handles a #pragma
        # wherever a line starts with '#', so they apply as at top level
        self.block_pragmas: list[ast.Pragma] = []
        # types defined inside a struct or union body, declared before it
        self.inner_types: list[ast.Node] = []

    # Token helpers -------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, n: int = 1) -> Token:
        return self.tokens[min(self.i + n, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.i]
        if token.kind is not T.EOF:
            self.i += 1
        return token

    def syntax_error(self, token: Token | None = None) -> DCompileError:
        token = token or self.tok
        if token.kind is T.EOF:
            return error(D_SYNTAX, "syntax error near end of input", self.source, token.span)
        return error(D_SYNTAX, f'syntax error near "{token.text}"', self.source, token.span)

    def expect_op(self, text: str) -> Token:
        if not self.tok.is_op(text):
            raise self.syntax_error()
        return self.advance()

    def accept_op(self, text: str) -> bool:
        token = self.tokens[self.i]
        if token.kind is T.OP and token.text == text:
            self.i += 1  # an operator is never the EOF token
            return True
        return False

    def span_from(self, start: Span) -> Span:
        return Span(start.start, self.tokens[max(self.i - 1, 0)].span.end)

    # Top level -----------------------------------------------------------

    def parse_program(self) -> ast.Program:
        """program := (pragma | declaration | clause | ';')*"""
        items: list[ast.Node] = []
        while self.tok.kind is not T.EOF:
            token = self.tok
            if token.kind is T.PRAGMA:
                self.advance()
                items.append(ast.Pragma(token.span, tuple(str(token.value).split())))
            elif token.is_op(";"):
                self.advance()
            elif token.kind is T.PSPEC:
                items.append(self.parse_clause())
                items.extend(self.block_pragmas)
                self.block_pragmas.clear()
            elif token.is_kw("inline"):
                items.append(self.parse_inline())
            elif token.is_kw("typedef"):
                items.extend(self.parse_typedef())
            elif token.is_kw("translator"):
                items.append(self.parse_translator())
            elif self.starts_enum_body():
                items.append(self.parse_enum())
                self.refuse_second_type()
                self.expect_op(";")
            elif self.starts_record_body():
                items.extend(self.parse_record_declaration())
            elif self.starts_type() or token.is_kw("self") or token.is_kw("this"):
                items.extend(self.parse_var_decl())
            else:
                raise self.syntax_error()
        return ast.Program(Span(0, len(self.source.text)), self.source, tuple(items))

    def parse_clause(self) -> ast.Clause:
        """clause := pspec (',' pspec)* ['/' expr '/'] ['{' statements '}']"""
        start = self.tok.span
        probes = [self.parse_pspec()]
        while self.accept_op(","):
            if self.tok.kind is not T.PSPEC:
                raise self.syntax_error()
            probes.append(self.parse_pspec())
        predicate = None
        if self.accept_op("/"):
            predicate = self.parse_expr()
            if self.tok.kind is not T.EPRED:
                raise self.syntax_error()
            self.advance()
        body = None
        if self.tok.is_op("{"):
            body = self.parse_block()
        elif self.tok.kind is not T.EOF:
            raise self.syntax_error()
        elif predicate is None and self.source.kind == "script":
            # dt_grammar.y: only dtrace -n may give a bare description.
            raise error(D_SYNTAX, "expected predicate and/or actions following probe description", self.source, probes[-1].span)
        return ast.Clause(self.span_from(start), tuple(probes), predicate, body)

    def parse_pspec(self) -> ast.ProbeDesc:
        token = self.advance()
        return ast.ProbeDesc(token.span, token.text)

    def parse_block(self) -> tuple[ast.Node, ...]:
        self.expect_op("{")
        statements: list[ast.Node] = []
        while not self.tok.is_op("}"):
            if self.accept_op(";"):
                continue
            if self.tok.kind is T.EOF:
                raise self.syntax_error()
            if self.tok.kind is T.PRAGMA:
                token = self.advance()
                self.block_pragmas.append(ast.Pragma(token.span, tuple(str(token.value).split())))
                continue
            statements.append(self.parse_statement())
            if not self.tok.is_op("}"):
                self.expect_op(";")
        self.advance()
        return tuple(statements)

    def parse_statement(self) -> ast.Node:
        token = self.tok
        if token.kind is T.AGG and self.is_agg_assignment():
            return self.parse_agg_statement()
        expr = self.parse_expr()
        return ast.ExprStmt(expr.span, expr)

    def is_agg_assignment(self) -> bool:
        # '@a = f(...)' or '@a[...] = f(...)': skip a balanced [...] then look for '='.
        j = self.i + 1
        if self.tokens[j].is_op("["):
            depth = 0
            while j < len(self.tokens) and self.tokens[j].kind is not T.EOF:
                if self.tokens[j].is_op("["):
                    depth += 1
                elif self.tokens[j].is_op("]"):
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            j += 1
        return self.tokens[min(j, len(self.tokens) - 1)].is_op("=")

    def parse_agg_statement(self) -> ast.AggStmt:
        """agg := '@'name ['[' expr (',' expr)* ']'] '=' func '(' args ')'"""
        start = self.advance()
        keys: tuple[ast.Node, ...] = ()
        if self.accept_op("["):
            keys = self.parse_arguments("]")
        self.expect_op("=")
        func = self.tok
        if func.kind is not T.IDENT:
            raise self.syntax_error()
        self.advance()
        self.expect_op("(")
        args = self.parse_arguments(")")
        return ast.AggStmt(self.span_from(start.span), str(start.value), keys, func.text, args, func.span)

    def parse_arguments(self, closer: str) -> tuple[ast.Node, ...]:
        args: list[ast.Node] = []
        if self.accept_op(closer):
            return ()
        while True:
            args.append(self.parse_assignment())
            if self.accept_op(closer):
                return tuple(args)
            self.expect_op(",")

    # Declarations ----------------------------------------------------------

    def starts_type(self) -> bool:
        token = self.tok
        if token.kind is T.KEYWORD:
            return token.text in TYPE_KEYWORDS
        return token.kind is T.IDENT and token.text in self.type_names

    def parse_type(self) -> ast.TypeName:
        """type := type-word+ '*'*  (e.g. 'unsigned long long', 'uint8_t *')"""
        start = self.tok.span
        words: list[str] = []
        # a type name (typedef or catalog) never follows a keyword's words
        while self.starts_type() and not (words and self.tok.kind is T.IDENT):
            word = self.advance().text
            if word in ("const", "volatile"):
                continue
            if word in ("struct", "union", "enum"):
                if self.tok.kind is not T.IDENT:
                    raise self.syntax_error()
                word = f"{word} {self.advance().text}"
            words.append(word)
            if words[-1] not in ("unsigned", "signed", "long", "short") and not (
                words[-1] == "int" or words[-1] == "char"
            ):
                break
        if not words:
            raise self.syntax_error()
        pointers = 0
        while self.accept_op("*"):
            pointers += 1
        return ast.TypeName(self.span_from(start), " ".join(words), pointers)

    def starts_enum_body(self) -> bool:
        """'enum {' or 'enum TAG {': an enumeration defined here."""
        if not self.tok.is_kw("enum"):
            return False
        after = self.peek(2) if self.peek().kind is T.IDENT else self.peek()
        return after.is_op("{")

    def parse_enum(self) -> ast.EnumDecl:
        """enum := 'enum' [tag] '{' NAME ['=' expr] (',' NAME ['=' expr])* [','] '}'

        dt_decl_enumerator: a value must fold to an integer constant within
        an int; without one it is the previous value plus one (0 first)."""
        start = self.advance().span
        tag = self.advance().text if self.tok.kind is T.IDENT else ""
        self.expect_op("{")
        names: list[str] = []
        values: list[int] = []
        spans: list[Span] = []
        value = 0
        while not self.tok.is_op("}"):
            if self.tok.kind is not T.IDENT:
                raise self.syntax_error()
            name = self.advance().text
            given = self.parse_assignment() if self.accept_op("=") else None
            reported = self.tok.span  # the token after the enumerator
            if given is not None:
                folded = self.folded(given)
                if folded is None:
                    raise error(D_DECL_ENCONST, f"enumerator '{name}' must be assigned to an integral "
                                "constant expression", self.source, reported)
                value = folded - (1 << 64) if folded >> 63 else folded
                if not -(1 << 31) <= value < 1 << 31:
                    raise error(D_DECL_ENOFLOW, f"enumerator '{name}' value overflows INT_MAX (2147483647)",
                                self.source, reported)
            names.append(name)
            values.append(value)
            spans.append(reported)
            self.constants[name] = value & U64
            value += 1
            if not self.tok.is_op("}"):
                self.expect_op(",")
        self.advance()
        return ast.EnumDecl(self.span_from(start), tag, tuple(names), tuple(values), tuple(spans))

    def starts_record_body(self) -> bool:
        """'struct {', 'struct TAG {' (or union): a type defined here."""
        if not (self.tok.is_kw("struct") or self.tok.is_kw("union")):
            return False
        after = self.peek(2) if self.peek().kind is T.IDENT else self.peek()
        return after.is_op("{")

    def parse_record(self, tag: str = "") -> ast.StructDecl:
        """record := ('struct'|'union') [tag] '{' (type NAME ['[' expr ']'] (',' ...)* ';')* '}'"""
        start = self.tok.span
        kind = self.advance().text
        if self.tok.kind is T.IDENT:
            tag = self.advance().text
        self.expect_op("{")
        members: list[ast.MemberDecl] = []
        while not self.accept_op("}"):
            if self.starts_record_body() or self.starts_enum_body():
                # a type defined inside the body: declared first, in scope after
                inner = self.parse_record() if self.starts_record_body() else self.parse_enum()
                if isinstance(inner, ast.StructDecl) and not inner.tag:
                    inner = ast.StructDecl(inner.span, inner.kind, f"<{tag}.{len(members)}>", inner.members)
                self.inner_types.append(inner)
                kind = inner.kind if isinstance(inner, ast.StructDecl) else "enum"
                type_name = ast.TypeName(inner.span, f"{kind} {inner.tag}" if inner.tag else "int")
            else:
                type_name = self.parse_type()
            while True:
                if self.tok.kind is not T.IDENT:
                    raise self.syntax_error()
                name_token = self.advance()
                dimension = None
                if self.accept_op("["):
                    dimension = self.parse_assignment()
                    self.expect_op("]")
                members.append(ast.MemberDecl(self.span_from(name_token.span), type_name, name_token.text, dimension))
                if not self.accept_op(","):
                    break
            self.expect_op(";")
        return ast.StructDecl(self.span_from(start), kind, tag, tuple(members))

    def parse_record_declaration(self) -> list[ast.Node]:
        """A struct/union definition, then any variables declared with it
        (``struct s { ... } a, b;``)."""
        record = self.parse_record()
        self.refuse_second_type()
        items: list[ast.Node] = [*self.inner_types, record]
        self.inner_types.clear()
        while self.tok.kind is T.IDENT or self.tok.is_op("*"):
            pointers = 0
            while self.accept_op("*"):
                pointers += 1
            if self.tok.kind is not T.IDENT:
                raise self.syntax_error()
            name = self.advance()
            type_name = ast.TypeName(record.span, f"{record.kind} {record.tag}", pointers)
            items.append(ast.VarDecl(name.span, type_name, "global", name.text, None))
            if not self.accept_op(","):
                break
        self.expect_op(";")
        return items

    def parse_translator(self) -> ast.TranslatorDecl:
        """translator := 'translator' type '<' type NAME '>' '{' (NAME '=' expr ';')* '}' ';'"""
        start = self.advance().span
        output = self.parse_type()
        self.expect_op("<")
        input_type = self.parse_type()
        if self.tok.kind is not T.IDENT:
            raise self.syntax_error()
        param = self.advance().text
        self.expect_op(">")
        self.expect_op("{")
        members: list[tuple[str, ast.Node, Span]] = []
        while not self.accept_op("}"):
            if self.tok.kind is not T.IDENT:
                raise self.syntax_error()
            name = self.advance()
            self.expect_op("=")
            members.append((name.text, self.parse_assignment(), name.span))
            self.expect_op(";")
        self.expect_op(";")
        return ast.TranslatorDecl(self.span_from(start), output, input_type, param, tuple(members))

    def refuse_second_type(self) -> None:
        """A type defined and then another type name, as when the ';' after
        a struct body is missing: dt_decl_spec's "invalid type combination"."""
        if self.starts_type():
            raise error(D_DECL_COMBO, "invalid type combination", self.source, self.tok.span)

    def parse_typedef(self) -> list[ast.Node]:
        """typedef := 'typedef' (type | enum) NAME ';' -- an enum defined in
        the typedef comes first, as its own declaration."""
        start = self.advance().span
        items: list[ast.Node] = []
        if self.starts_enum_body():
            enum = self.parse_enum()
            items.append(enum)
            type_name = ast.TypeName(enum.span, f"enum {enum.tag}" if enum.tag else "int")
        elif self.starts_record_body():
            record = self.parse_record()
            if not record.tag:  # typedef struct { ... } name_t: tagged by its typedef name
                name = self.tok.text if self.tok.kind is T.IDENT else ""
                record = ast.StructDecl(record.span, record.kind, f"<{name}>", record.members)
            items.extend(self.inner_types)
            self.inner_types.clear()
            items.append(record)
            type_name = ast.TypeName(record.span, f"{record.kind} {record.tag}")
        else:
            type_name = self.parse_type()
        if self.tok.kind is not T.IDENT:
            raise self.syntax_error()
        name = self.advance().text
        self.expect_op(";")
        items.append(ast.TypedefDecl(self.span_from(start), type_name, name))
        return items

    def parse_inline(self) -> ast.InlineDecl:
        """inline := 'inline' type name '=' expr ';'"""
        start = self.advance().span
        type_name = self.parse_type()
        if self.tok.kind is not T.IDENT:
            raise self.syntax_error()
        name = self.advance().text
        params = None
        if self.accept_op("["):  # an inline array: inline int f[int x, int y] = x + y;
            found: list[tuple[ast.TypeName, str]] = []
            while not self.accept_op("]"):
                param_type = self.parse_type()
                if self.tok.kind is not T.IDENT:
                    raise self.syntax_error()
                found.append((param_type, self.advance().text))
                if not self.tok.is_op("]"):
                    self.expect_op(",")
            params = tuple(found)
        self.expect_op("=")
        value = self.parse_assignment()
        self.expect_op(";")
        folded = self.folded(value)
        if folded is not None and not type_name.pointers and params is None:
            self.constants[name] = folded
        return ast.InlineDecl(self.span_from(start), type_name, name, value, params)

    def parse_var_decl(self) -> list[ast.VarDecl]:
        """decl := ['self'|'this'] type declarator (',' declarator)* ';'
        declarator := name ['[' type (',' type)* ']' | '[' constant ']']"""
        start = self.tok.span
        scope = "global"
        if self.tok.is_kw("self") or self.tok.is_kw("this"):
            scope = self.advance().text
        type_name = self.parse_type()
        declarations = []
        while True:
            pointers = 0
            while self.accept_op("*"):  # int *p, *q: each declarator's own stars
                pointers += 1
            declared = ast.TypeName(type_name.span, type_name.base, type_name.pointers + pointers)
            if self.tok.kind is not T.IDENT:
                raise self.syntax_error()
            name = self.advance().text
            key_types = None
            dimension = None
            if self.accept_op("["):
                if not self.starts_type() and not self.tok.is_op("]"):
                    # int a[5]: a scalar array (its dimension a constant expression)
                    dimension = self.parse_assignment()
                    self.expect_op("]")
                else:
                    keys: list[ast.TypeName] = []
                    while not self.accept_op("]"):
                        keys.append(self.parse_type())
                        if not self.tok.is_op("]"):
                            self.expect_op(",")
                    key_types = tuple(keys)
            declarations.append(ast.VarDecl(self.span_from(start), declared, scope, name, key_types, dimension))
            if not self.accept_op(","):
                break
        self.expect_op(";")
        return declarations

    # Expressions -----------------------------------------------------------

    def parse_expr(self) -> ast.Node:
        """expr := assignment (',' assignment)* -- D has no comma operator here."""
        return self.parse_assignment()

    def nested(self, parse: Callable[[], ast.Node]) -> ast.Node:
        """Run one recursive expression rule, refusing absurd nesting."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise error(D_SYNTAX, f'syntax error near "{self.tok.text}": expression nested too deeply',
                        self.source, self.tok.span)
        node = parse()
        self.depth -= 1
        return node

    def parse_assignment(self) -> ast.Node:
        return self.nested(self._parse_assignment)

    def _parse_assignment(self) -> ast.Node:
        left = self.parse_ternary()
        token = self.tokens[self.i]
        if token.kind is T.OP and token.text in ASSIGN_OPS:
            self.advance()
            value = self.parse_assignment()
            self.check_divisor(token.text, value)
            return ast.Assign(left.span.join(value.span), token.text, left, value)
        return left

    def check_divisor(self, op: str, right: ast.Node) -> None:
        """dt_node_op2 refuses / and % (and /=, %=) by a constant that folds
        to zero as it builds the node, before any type is known."""
        if op in ("/", "%", "/=", "%=") and self.folded(right) == 0:
            raise error(D_DIV_ZERO, "expression contains division by zero", self.source, self.tok.span)

    def folded(self, node: ast.Node) -> int | None:
        """The value dt_node_op1/op2/op3 fold an integer constant expression
        to while parsing (64-bit, unsigned), or None when it is not one."""
        if isinstance(node, ast.IntLit):
            return node.value & U64
        if isinstance(node, ast.Ident):
            return self.constants.get(node.name)
        if isinstance(node, ast.Unary) and node.op in "-+~!":
            inner = self.folded(node.operand)
            if inner is None:
                return None
            return {"-": -inner & U64, "+": inner, "~": ~inner & U64, "!": int(not inner)}[node.op]
        if isinstance(node, ast.Ternary):
            cond = self.folded(node.cond)
            return None if cond is None else self.folded(node.then if cond else node.other)
        if isinstance(node, ast.Binary):
            a, b = self.folded(node.left), self.folded(node.right)
            if a is None or b is None:
                return None
            if node.op in ("/", "%"):
                return (a // b if node.op == "/" else a % b) if b else None
            fold = FOLDS.get(node.op)
            return None if fold is None else fold(a, b) & U64
        return None

    def parse_ternary(self) -> ast.Node:
        cond = self.parse_binary(Precedence.LOGICAL_OR)
        if not self.accept_op("?"):
            return cond
        then = self.parse_assignment()
        self.expect_op(":")
        # right-nested ?: (a ? b : c ? d : ...) counts towards MAX_NESTING too
        other = self.nested(self.parse_ternary)
        return ast.Ternary(cond.span.join(other.span), cond, then, other)

    def parse_binary(self, minimum: Precedence) -> ast.Node:
        """Precedence climbing: every binary operator is left-associative."""
        left = self.parse_unary()
        while True:
            token = self.tokens[self.i]
            if token.kind is not T.OP:
                return left
            precedence = BINARY_PRECEDENCE.get(token.text)
            if precedence is None or precedence < minimum:
                return left
            self.advance()
            right = self.parse_binary(Precedence(precedence + 1)) if precedence < Precedence.MULTIPLICATIVE else self.parse_unary()
            self.check_divisor(token.text, right)
            left = ast.Binary(left.span.join(right.span), token.text, left, right)

    def parse_unary(self) -> ast.Node:
        return self.nested(self._parse_unary)

    def _parse_unary(self) -> ast.Node:
        token = self.tokens[self.i]
        if token.kind is T.OP:
            if token.text in ("++", "--"):
                self.advance()
                operand = self.parse_unary()
                return ast.IncDec(token.span.join(operand.span), token.text, True, operand)
            if token.text in UNARY_OPS:
                self.advance()
                operand = self.parse_unary()
                return ast.Unary(token.span.join(operand.span), token.text, operand)
            if token.text == "(" and self.is_cast():
                self.advance()
                type_name = self.parse_type()
                self.expect_op(")")
                operand = self.parse_unary()
                return ast.Cast(token.span.join(operand.span), type_name, operand)
        elif token.kind is T.KEYWORD:
            if token.is_kw("sizeof"):
                return self.parse_sizeof()
            if token.is_kw("offsetof"):  # offsetof ( type , member )
                self.advance()
                self.expect_op("(")
                type_name = self.parse_type()
                self.expect_op(",")
                if self.tok.kind is not T.IDENT:
                    raise self.syntax_error()
                member = self.advance().text
                self.expect_op(")")
                return ast.Offsetof(self.span_from(token.span), type_name, member)
            if token.is_kw("xlate"):
                self.advance()
                self.expect_op("<")
                type_name = self.parse_type()
                self.expect_op(">")
                self.expect_op("(")
                operand = self.parse_expr()
                self.expect_op(")")
                return self.parse_postfix(ast.Xlate(self.span_from(token.span), type_name, operand))
            if token.is_kw("stringof"):
                self.advance()
                operand = self.parse_unary()
                return ast.Stringof(token.span.join(operand.span), operand)
        return self.parse_postfix(self.parse_primary())

    def is_cast(self) -> bool:
        nxt = self.peek()
        if nxt.kind is T.KEYWORD:
            return nxt.text in TYPE_KEYWORDS
        return nxt.kind is T.IDENT and nxt.text in self.type_names

    def parse_sizeof(self) -> ast.Node:
        start = self.advance().span
        if self.tok.is_op("(") and self.is_cast():
            self.advance()
            type_name = self.parse_type()
            self.expect_op(")")
            return ast.Sizeof(self.span_from(start), type_name, None)
        operand = self.parse_unary()
        return ast.Sizeof(start.join(operand.span), None, operand)

    def parse_postfix(self, expr: ast.Node) -> ast.Node:
        while True:
            token = self.tokens[self.i]
            if token.kind is not T.OP or token.text not in POSTFIX_OPS:
                return expr
            if token.text == "[":
                self.advance()
                indexes = self.parse_arguments("]")
                if not indexes:
                    raise self.syntax_error(self.tokens[self.i - 1])
                expr = ast.Index(self.span_from(expr.span), expr, indexes)
            elif token.text in ("->", "."):
                self.advance()
                name = self.tok
                if name.kind not in (T.IDENT, T.KEYWORD):
                    raise self.syntax_error()
                self.advance()
                expr = ast.Member(expr.span.join(name.span), expr, name.text, token.text == "->")
            else:  # ++ or --
                self.advance()
                expr = ast.IncDec(expr.span.join(token.span), token.text, False, expr)

    def parse_primary(self) -> ast.Node:
        token = self.tokens[self.i]
        kind = token.kind
        if kind is T.INT:
            self.advance()
            value, suffix, non_decimal = token.value  # type: ignore[misc]
            return ast.IntLit(token.span, value, suffix, non_decimal)
        if kind is T.STRING:
            self.advance()
            text = str(token.value)
            # Adjacent string literals concatenate, as in C.
            while self.tok.kind is T.STRING:
                text += str(self.advance().value)
            return ast.StrLit(self.span_from(token.span), text)
        if kind is T.IDENT:
            self.advance()
            if self.tok.is_op("("):
                self.advance()
                args = self.parse_arguments(")")
                return ast.Call(self.span_from(token.span), token.text, args)
            return ast.Ident(token.span, token.text)
        if kind is T.KEYWORD and token.text in ("self", "this"):
            self.advance()
            self.expect_op("->")
            name = self.tok
            if name.kind is not T.IDENT:
                raise self.syntax_error()
            self.advance()
            return ast.VarRef(token.span.join(name.span), token.text, name.text)
        if kind is T.AGG:
            self.advance()
            return ast.AggName(token.span, str(token.value))
        if kind is T.MACRO:
            self.advance()
            as_string, name = token.value  # type: ignore[misc]
            return ast.MacroArg(token.span, name, as_string)
        if token.is_op("("):
            self.advance()
            expr = self.parse_expr()
            self.expect_op(")")
            return expr
        raise self.syntax_error()


def parse(source: Source, type_names: frozenset[str] = frozenset()) -> ast.Program:
    """Parse one source; raises ``DCompileError`` on the first error."""
    return Parser(source, type_names).parse_program()
