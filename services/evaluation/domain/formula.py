"""Formulas over KPIs, parsed into a whitelisted AST and evaluated without `eval`.

Grammar (a subset of Python expressions): numbers, KPI names, + - * /, unary minus, parentheses
and the functions min, max, abs. Anything else is rejected at model validation. A division by a
literal zero is rejected too; a division by a KPI that is zero at run time gives "no data"
(None), never an exception.
"""

from __future__ import annotations

import ast
import math

_BINOPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.Mult: lambda a, b: a * b, ast.Div: None}
_FUNCS = {"min": min, "max": max, "abs": abs}
MAX_LENGTH = 500


class FormulaError(ValueError):
    pass


def parse(text: str, known: set[str] | frozenset[str]) -> ast.Expression:
    """Parse and check a formula; raises FormulaError with a reader-friendly reason."""
    if not text or not text.strip():
        raise FormulaError("must not be empty")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"must be at most {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"is not a valid expression ({exc.msg})") from None
    _check(tree.body, known)
    return tree


def _check(node: ast.AST, known) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise FormulaError(f"only numbers are allowed as constants, not {node.value!r}")
    elif isinstance(node, ast.Name):
        if node.id not in known:
            raise FormulaError(f"references unknown KPI {node.id!r}")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise FormulaError(f"operator {type(node.op).__name__} is not allowed (use + - * /)")
        if isinstance(node.op, ast.Div) and isinstance(node.right, ast.Constant) and node.right.value == 0:
            raise FormulaError("divides by zero")
        _check(node.left, known)
        _check(node.right, known)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise FormulaError("only unary + and - are allowed")
        _check(node.operand, known)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCS or node.keywords:
            raise FormulaError(f"only the functions {', '.join(_FUNCS)} may be called")
        if not node.args:
            raise FormulaError(f"{node.func.id}() needs arguments")
        for a in node.args:
            _check(a, known)
    else:
        raise FormulaError(f"{type(node).__name__} is not allowed in a formula")


def evaluate(tree: ast.Expression, values: dict[str, float]) -> float | None:
    """The formula's value, or None when an input is missing or a divisor is zero."""
    try:
        result = _eval(tree.body, values)
    except _NoData:
        return None
    if result is None or math.isnan(result) or math.isinf(result):
        return None
    return result


class _NoData(Exception):
    pass


def _eval(node, values):
    if isinstance(node, ast.Constant):
        return float(node.value)  # type: ignore[arg-type]  # the checked tree holds numeric constants only
    if isinstance(node, ast.Name):
        v = values.get(node.id)
        if v is None:
            raise _NoData
        return float(v)
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, values), _eval(node.right, values)
        if isinstance(node.op, ast.Div):
            if b == 0:
                raise _NoData
            return a / b
        return _BINOPS[type(node.op)](a, b)
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, values)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.Call):
        return float(_FUNCS[node.func.id](*[_eval(a, values) for a in node.args]))  # type: ignore[attr-defined,operator]
    raise _NoData  # unreachable for a checked tree
