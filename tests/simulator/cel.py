"""A small evaluator for the CEL subset used by the x-kubernetes-validations rules in our CRDs.

Supported: literals (strings, ints, floats, true/false/null), `self`, `oldSelf`, field access, `has(x.f)`,
`size(x)`, `! - && || == != < <= > >= + in ?:`, methods `matches`, `lowerAscii`, `upperAscii`,
`startsWith`, `endsWith`, `contains`, `size`, and the macros `all`, `exists`, `exists_one`, `map`, `filter`.
A rule that uses anything else raises Unsupported at compile time and is skipped (see README.md).
"""
from __future__ import annotations

import re
from typing import Any


class Unsupported(Exception):
    pass


class EvalError(Exception):
    pass


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<float>\d+\.\d+)
  | (?P<int>\d+)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<op>&&|\|\||==|!=|<=|>=|[!<>?:.,()\[\]+\-*/%])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
""", re.X)

_MISSING = object()


def _unescape(s: str) -> str:
    body = s[1:-1]
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            n = body[i + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}.get(n, "\\" + n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _tokens(src: str) -> list[tuple[str, str]]:
    pos, out = 0, []
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m:
            raise Unsupported(f"cannot tokenize CEL at {src[pos:pos + 10]!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group(kind)))
    out.append(("eof", ""))
    return out


class _Parser:
    """Pratt parser producing nested tuples."""

    PREC = {"?": 1, "||": 2, "&&": 3, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4, "in": 4,
            "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}

    def __init__(self, src: str):
        self.toks = _tokens(src)
        self.i = 0

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i]

    def next(self) -> tuple[str, str]:
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, value: str) -> None:
        t = self.next()
        if t[1] != value:
            raise Unsupported(f"expected {value!r}, got {t[1]!r}")

    def parse(self):
        e = self.expr(0)
        if self.peek()[0] != "eof":
            raise Unsupported(f"trailing input {self.peek()[1]!r}")
        return e

    def expr(self, min_prec: int):
        left = self.unary()
        while True:
            kind, val = self.peek()
            op = val if kind in ("op", "ident") else None
            prec = self.PREC.get(op) if op else None
            if prec is None or prec < min_prec or (kind == "ident" and op != "in"):
                return left
            self.next()
            if op == "?":
                a = self.expr(0)
                self.expect(":")
                b = self.expr(1)
                left = ("cond", left, a, b)
            else:
                right = self.expr(prec + 1)
                left = ("bin", op, left, right)

    def unary(self):
        kind, val = self.peek()
        if val == "!" and kind == "op":
            self.next()
            return ("not", self.unary())
        if val == "-" and kind == "op":
            self.next()
            return ("neg", self.unary())
        return self.postfix(self.primary())

    def primary(self):
        kind, val = self.next()
        if kind == "int":
            return ("lit", int(val))
        if kind == "float":
            return ("lit", float(val))
        if kind == "str":
            return ("lit", _unescape(val))
        if kind == "op" and val == "(":
            e = self.expr(0)
            self.expect(")")
            return e
        if kind == "op" and val == "[":
            items = []
            if self.peek()[1] != "]":
                items.append(self.expr(0))
                while self.peek()[1] == ",":
                    self.next()
                    items.append(self.expr(0))
            self.expect("]")
            return ("list", items)
        if kind == "ident":
            if val in ("true", "false"):
                return ("lit", val == "true")
            if val == "null":
                return ("lit", None)
            if self.peek()[1] == "(":
                self.next()
                args = self.args()
                if val == "has":
                    if len(args) != 1 or args[0][0] != "field":
                        raise Unsupported("has() needs a field selection")
                    return ("has", args[0])
                if val == "size" and len(args) == 1:
                    return ("call", "size", None, args)
                raise Unsupported(f"function {val}()")
            return ("var", val)
        raise Unsupported(f"unexpected {val!r}")

    def args(self) -> list:
        args = []
        if self.peek()[1] != ")":
            args.append(self.expr(0))
            while self.peek()[1] == ",":
                self.next()
                args.append(self.expr(0))
        self.expect(")")
        return args

    def postfix(self, e):
        while True:
            kind, val = self.peek()
            if val == "." and kind == "op":
                self.next()
                k2, name = self.next()
                if k2 != "ident":
                    raise Unsupported("field name expected")
                if self.peek()[1] == "(":
                    self.next()
                    e = ("call", name, e, self.args())
                else:
                    e = ("field", e, name)
            elif val == "[" and kind == "op":
                self.next()
                idx = self.expr(0)
                self.expect("]")
                e = ("index", e, idx)
            else:
                return e


METHODS = {"matches", "lowerAscii", "upperAscii", "startsWith", "endsWith", "contains", "size",
           "all", "exists", "exists_one", "map", "filter"}


def _check(node) -> None:
    if not isinstance(node, tuple):
        return
    if node[0] == "call" and node[1] not in METHODS:
        raise Unsupported(f"method {node[1]}()")
    for x in node[1:]:
        if isinstance(x, tuple):
            _check(x)
        elif isinstance(x, list):
            for y in x:
                _check(y)


def go_regex(pattern: str) -> str:
    """Translate the RE2 bits Python's re lacks (POSIX classes inside brackets)."""
    return (pattern.replace("[:cntrl:]", r"\x00-\x1f\x7f").replace("[:alpha:]", "A-Za-z")
            .replace("[:digit:]", "0-9").replace("[:alnum:]", "A-Za-z0-9").replace("[:space:]", r"\s"))


class Program:
    def __init__(self, rule: str):
        self.rule = rule
        self.ast = _Parser(rule).parse()
        _check(self.ast)
        self.uses_old = "oldSelf" in rule

    def eval(self, self_value: Any, old_value: Any = _MISSING) -> Any:
        env = {"self": self_value}
        if old_value is not _MISSING:
            env["oldSelf"] = old_value
        return _eval(self.ast, env)


def compile_rule(rule: str) -> Program:
    return Program(rule)


def _eval(n, env: dict) -> Any:
    t = n[0]
    if t == "lit":
        return n[1]
    if t == "list":
        return [_eval(x, env) for x in n[1]]
    if t == "var":
        if n[1] not in env:
            raise EvalError(f"undeclared reference to {n[1]!r}")
        return env[n[1]]
    if t == "field":
        obj = _eval(n[1], env)
        if not isinstance(obj, dict) or n[2] not in obj:
            raise EvalError(f"no such key: {n[2]}")
        return obj[n[2]]
    if t == "index":
        obj, idx = _eval(n[1], env), _eval(n[2], env)
        try:
            return obj[idx]
        except (KeyError, IndexError, TypeError):
            raise EvalError(f"no such key/index {idx!r}") from None
    if t == "has":
        obj = _eval(n[1][1], env)
        return isinstance(obj, dict) and n[1][2] in obj
    if t == "not":
        v = _eval(n[1], env)
        if not isinstance(v, bool):
            raise EvalError("! needs a bool")
        return not v
    if t == "neg":
        return -_eval(n[1], env)
    if t == "cond":
        c = _eval(n[1], env)
        return _eval(n[2], env) if c else _eval(n[3], env)
    if t == "bin":
        op = n[1]
        if op == "&&":
            a = _eval(n[2], env)
            if a is False:
                return False
            return bool(a) and bool(_eval(n[3], env))
        if op == "||":
            a = _eval(n[2], env)
            if a is True:
                return True
            return bool(_eval(n[3], env))
        a, b = _eval(n[2], env), _eval(n[3], env)
        try:
            if op == "==":
                return a == b
            if op == "!=":
                return a != b
            if op == "<":
                return a < b
            if op == "<=":
                return a <= b
            if op == ">":
                return a > b
            if op == ">=":
                return a >= b
            if op == "in":
                return a in b
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "/":
                return a // b if isinstance(a, int) and isinstance(b, int) else a / b
            if op == "%":
                return a % b
        except TypeError as e:
            raise EvalError(str(e)) from None
    if t == "call":
        name, target, args = n[1], n[2], n[3]
        if target is None:          # size(x)
            return len(_eval(args[0], env))
        recv = _eval(target, env)
        if name in ("all", "exists", "exists_one", "map", "filter"):
            if len(args) != 2 or args[0][0] != "var":
                raise EvalError(f"{name} needs (var, expr)")
            var = args[0][1]
            items = list(recv.keys()) if isinstance(recv, dict) else list(recv)
            results = []
            for it in items:
                sub = dict(env)
                sub[var] = it
                results.append((it, _eval(args[1], sub)))
            if name == "all":
                return all(r for _item, r in results)
            if name == "exists":
                return any(r for _item, r in results)
            if name == "exists_one":
                return sum(1 for _item, r in results if r) == 1
            if name == "map":
                return [r for _item, r in results]
            return [it for it, r in results if r]
        vals = [_eval(a, env) for a in args]
        if name == "matches":
            return re.search(go_regex(vals[0]), recv) is not None
        if name == "lowerAscii":
            return recv.lower()
        if name == "upperAscii":
            return recv.upper()
        if name == "startsWith":
            return recv.startswith(vals[0])
        if name == "endsWith":
            return recv.endswith(vals[0])
        if name == "contains":
            return vals[0] in recv
        if name == "size":
            return len(recv)
    raise EvalError(f"cannot evaluate {t}")
