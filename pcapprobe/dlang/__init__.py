"""The D language engine: lexer, parser, passes, code generation and runtime.

Public API (docs/architecture.md "The D engine API")::

    program = compile_program(sources, options, macro_args, out)
"""

from pcapprobe.dlang.diagnostics import DCompileError
from pcapprobe.dlang.engine import Program, compile_program
from pcapprobe.dlang.source import Source

__all__ = ["DCompileError", "Program", "Source", "compile_program"]
