"""Recursive-descent parser of the decision-rule expression language.

A hand-written parser rather than ``ast.parse`` plus a whitelist: it owns the grammar exactly
(``true``/``false``, no implicit string concatenation, no f-strings), reports character
offsets rather than UTF-8 byte columns, and cannot hit Python's own parser limits. Its
recursion is bounded by ``MAX_DEPTH`` nesting and the text by ``MAX_LENGTH``, so hostile text
yields an :class:`ExprSyntaxError` and nothing else.

Precedence, loosest first (the same as Python's): ``or``, ``and``, ``not``, comparisons and
``in``/``not in`` (never chained), ``+ -``, ``* / %``, unary ``-``, then literals, references
and parentheses.
"""

from __future__ import annotations

from collections.abc import Callable

from mlopsgen.expr.lex import GENERIC_HINT, Token, tokenize
from mlopsgen.expr.nodes import (
    ARITH_OPS,
    COMPARE_OPS,
    MAX_DEPTH,
    MAX_LENGTH,
    Arith,
    ArithOp,
    Compare,
    CompareOp,
    Const,
    Expr,
    ExprIssue,
    ExprSyntaxError,
    InList,
    ListLit,
    Logic,
    LogicOp,
    Neg,
    Not,
    Ref,
    issue_at,
    walk,
)

_ARITH: dict[str, ArithOp] = {op: op for op in ARITH_OPS}
_COMPARE: dict[str, CompareOp] = {op: op for op in COMPARE_OPS}
_DEPTH_HINT = "split the rule into simpler rules or remove redundant parentheses"


def parse_expression(text: str) -> Expr:
    """Parse rule text into a tree of frozen nodes.

    Args:
        text: The rule, e.g. ``amount_usd > 5000 and country in ['KP', 'IR']``.

    Returns:
        The root node; every node records its character span in ``text``.

    Raises:
        ExprSyntaxError: The text is empty, too long, nested too deeply, or not in the
            language; the issue points at the leftmost problem.
    """
    if len(text) > MAX_LENGTH:
        message = f"expression is too long ({len(text)} characters; the limit is {MAX_LENGTH})"
        issue = ExprIssue(message, MAX_LENGTH, len(text) - MAX_LENGTH, _DEPTH_HINT)
        raise ExprSyntaxError(issue)
    if not text.strip(" \t\r\n"):
        hint = "write a condition such as amount_usd > 5000"
        raise ExprSyntaxError(ExprIssue("expression is empty", 0, max(1, len(text)), hint))
    try:
        expr = _Parser(text).parse()
    except (RecursionError, MemoryError) as err:
        issue = ExprIssue("expression is too complex", 0, len(text), _DEPTH_HINT)
        raise ExprSyntaxError(issue) from err
    for node, depth in walk(expr):
        if depth > MAX_DEPTH:
            message = f"expression is nested too deeply (more than {MAX_DEPTH} levels)"
            raise ExprSyntaxError(issue_at(node, message, _DEPTH_HINT))
    return expr


class _Parser:
    """One parse of one text; methods follow the grammar levels, loosest first."""

    def __init__(self, text: str) -> None:
        self._tokens = tokenize(text)
        self._pos = 0
        self._nesting = 0
        self._last_end = 0

    def parse(self) -> Expr:
        expr = self._logic("or")
        token = self._peek()
        if token.kind != "end":
            raise self._unexpected(token)
        return expr

    # -- token helpers -------------------------------------------------------------------

    def _peek(self) -> Token:
        """The next token; reaching an error token raises its issue (the leftmost problem)."""
        token = self._tokens[self._pos]
        if token.kind == "error" and token.issue is not None:
            raise ExprSyntaxError(token.issue)
        return token

    def _lookahead(self) -> Token:
        """The token after the next one, without raising: deciding is not reaching it."""
        return self._tokens[min(self._pos + 1, len(self._tokens) - 1)]

    def _advance(self) -> Token:
        token = self._peek()
        self._pos += 1
        self._last_end = token.end
        return token

    def _at(self, kind: str, text: str) -> bool:
        token = self._peek()
        return token.kind == kind and token.text == text

    def _nested(self, token: Token, parse: Callable[[], Expr]) -> Expr:
        """Parse one nesting level deeper (parenthesis or prefix operator), within the cap."""
        self._nesting += 1
        if self._nesting > MAX_DEPTH:
            message = f"expression is nested too deeply (more than {MAX_DEPTH} levels)"
            raise ExprSyntaxError(ExprIssue(message, token.offset, 1, _DEPTH_HINT))
        expr = parse()
        self._nesting -= 1
        return expr

    # -- grammar levels ------------------------------------------------------------------

    def _logic(self, op: LogicOp) -> Expr:
        """``or`` over ``and`` over ``not``: flat n-ary chains."""
        start = self._peek().offset

        def operand() -> Expr:
            return self._logic("and") if op == "or" else self._not()

        operands = [operand()]
        while self._at("keyword", op):
            self._advance()
            operands.append(operand())
        if len(operands) == 1:
            return operands[0]
        return Logic(op, tuple(operands), offset=start, end=self._last_end)

    def _not(self) -> Expr:
        token = self._peek()
        if token.kind == "keyword" and token.text == "not":
            self._advance()
            operand = self._nested(token, self._not)
            return Not(operand, offset=token.offset, end=self._last_end)
        return self._comparison()

    def _comparison(self) -> Expr:
        start = self._peek().offset
        left = self._additive()
        token = self._peek()
        node: Expr
        if token.kind == "op" and token.text in _COMPARE:
            self._advance()
            right = self._additive()
            node = Compare(_COMPARE[token.text], left, right, offset=start, end=self._last_end)
        elif self._at("keyword", "in") or (
            self._at("keyword", "not") and _is_keyword(self._lookahead(), "in")
        ):
            negated = self._advance().text == "not"
            if negated:
                self._advance()
            items = self._list()
            node = InList(left, items, negated, offset=start, end=self._last_end)
        else:
            return left
        following = self._peek()
        if _is_comparison(following, self._lookahead()):
            hint = "write two comparisons joined by 'and', e.g. 'a < b and b < c'"
            message = "chained comparisons like 'a < b < c' are not supported"
            raise ExprSyntaxError(ExprIssue(message, following.offset, len(following.text), hint))
        return node

    def _additive(self) -> Expr:
        return self._binary(("+", "-"), self._multiplicative)

    def _multiplicative(self) -> Expr:
        return self._binary(("*", "/", "%"), self._unary)

    def _binary(self, ops: tuple[str, ...], operand: Callable[[], Expr]) -> Expr:
        """A left-associative chain: ``a - b - c`` is ``(a - b) - c``, as in Python."""
        start = self._peek().offset
        left = operand()
        while (token := self._peek()).kind == "op" and token.text in ops:
            self._advance()
            right = operand()
            left = Arith(_ARITH[token.text], left, right, offset=start, end=self._last_end)
        return left

    def _unary(self) -> Expr:
        token = self._peek()
        if token.kind == "op" and token.text == "-":
            self._advance()
            number = self._peek()
            if number.kind == "number" and isinstance(number.value, int | float):
                self._advance()
                return Const(-number.value, offset=token.offset, end=number.end)
            operand = self._nested(token, self._unary)
            return Neg(operand, offset=token.offset, end=self._last_end)
        if token.kind == "op" and token.text == "+":
            raise ExprSyntaxError(_issue(token, "unary '+' is not supported", "remove the '+'"))
        return self._primary()

    def _primary(self) -> Expr:
        token = self._peek()
        if token.kind in ("number", "string", "bool") and token.value is not None:
            self._advance()
            return Const(token.value, offset=token.offset, end=token.end)
        if token.kind == "name":
            self._advance()
            self._reject_postfix(token)
            return Ref(token.text, offset=token.offset, end=token.end)
        if token.kind == "op" and token.text == "(":
            self._advance()
            expr = self._nested(token, lambda: self._logic("or"))
            if not self._at("op", ")"):
                closing = self._peek()
                if closing.kind == "end":
                    hint = "add the missing ')'"
                    raise ExprSyntaxError(_issue(token, "'(' is never closed", hint))
                raise self._unexpected(closing)
            self._advance()
            return expr
        raise self._operand_expected(token)

    def _list(self) -> ListLit:
        opening = self._peek()
        if not (opening.kind == "op" and opening.text == "["):
            hint = "write the values as a list, e.g. country in ['KP', 'IR']"
            raise ExprSyntaxError(_issue(opening, "'in' needs a list literal on its right", hint))
        self._advance()
        items: list[Const] = []
        while not self._at("op", "]"):
            items.append(self._list_item())
            if self._at("op", ","):
                self._advance()
            elif not self._at("op", "]"):
                token = self._peek()
                if token.kind == "end":
                    raise ExprSyntaxError(_issue(opening, "'[' is never closed", "add the ']'"))
                hint = "separate list items with ','"
                raise ExprSyntaxError(
                    _issue(token, f"expected ',' or ']', found {_show(token)}", hint)
                )
        self._advance()
        return ListLit(tuple(items), offset=opening.offset, end=self._last_end)

    def _list_item(self) -> Const:
        start = self._peek()
        sign = 1
        if start.kind == "op" and start.text == "-":
            self._advance()
            sign = -1
        token = self._peek()
        if token.kind == "number" and isinstance(token.value, int | float):
            self._advance()
            return Const(sign * token.value, offset=start.offset, end=token.end)
        if sign == 1 and token.kind in ("string", "bool") and token.value is not None:
            self._advance()
            return Const(token.value, offset=token.offset, end=token.end)
        if token.kind == "end":
            raise ExprSyntaxError(_issue(token, "'[' is never closed", "add the ']'"))
        hint = "lists may only hold numbers, quoted strings and true/false"
        raise ExprSyntaxError(
            _issue(token, f"list items must be literals, found {_show(token)}", hint)
        )

    # -- errors --------------------------------------------------------------------------

    def _reject_postfix(self, name: Token) -> None:
        token = self._peek()
        if token.kind != "op" or token.text not in ("(", "["):
            return
        if token.text == "(":
            message = f"function calls are not supported ('{name.text}(...)')"
        else:
            message = f"subscripts are not supported ('{name.text}[...]')"
        raise ExprSyntaxError(_issue(token, message, GENERIC_HINT))

    def _operand_expected(self, token: Token) -> ExprSyntaxError:
        if token.kind == "end":
            message = "expression ends where a value was expected"
            hint = "complete the expression, e.g. amount_usd > 5000"
        elif token.kind == "op" and token.text == "[":
            message = "list literals are only allowed after 'in' or 'not in'"
            hint = "write membership as country in ['KP', 'IR']"
        elif token.kind == "keyword" and token.text == "not":
            message = "'not' cannot appear inside arithmetic or a comparison operand"
            hint = "wrap it in parentheses: (not ...)"
        else:
            message = f"expected a value, found {_show(token)}"
            hint = GENERIC_HINT
        return ExprSyntaxError(_issue(token, message, hint))

    def _unexpected(self, token: Token) -> ExprSyntaxError:
        if token.kind == "op" and token.text == ")":
            return ExprSyntaxError(_issue(token, "unmatched ')'", "remove it or add the '('"))
        if token.kind == "op" and token.text == ",":
            hint = "commas only separate items of a list like ['a', 'b']"
            return ExprSyntaxError(_issue(token, "unexpected ','", hint))
        if token.kind == "keyword" and token.text == "not":
            hint = "use 'not in [...]' for membership, or 'and not ...' to negate a condition"
            return ExprSyntaxError(_issue(token, "unexpected 'not'", hint))
        if token.kind == "op" and token.text in ("(", "["):
            hint = "put an operator such as 'and' or '==' between two values"
            return ExprSyntaxError(_issue(token, f"unexpected {_show(token)} after a value", hint))
        hint = "join conditions with 'and' or 'or', or use an operator such as '==' or '+'"
        return ExprSyntaxError(_issue(token, f"expected an operator, found {_show(token)}", hint))


def _is_keyword(token: Token, word: str) -> bool:
    return token.kind == "keyword" and token.text == word


def _is_comparison(token: Token, following: Token) -> bool:
    if token.kind == "op" and token.text in _COMPARE:
        return True
    return _is_keyword(token, "in") or (_is_keyword(token, "not") and _is_keyword(following, "in"))


def _show(token: Token) -> str:
    if token.kind == "end":
        return "the end of the expression"
    text = token.text if len(token.text) <= 30 else token.text[:27] + "..."
    return repr(text)


def _issue(token: Token, message: str, hint: str | None) -> ExprIssue:
    return ExprIssue(message, token.offset, max(1, token.end - token.offset), hint)
