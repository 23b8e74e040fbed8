# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Kubernetes label keys, values and label selectors, checked client-side as the API server checks them."""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from ansible_collections.ocp.registry.plugins.module_utils.errors import InputError

__all__ = ["key_problem", "value_problem", "validate_selector"]

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_SPECIAL = "!=(),<>"
_OPERATORS = ("==", "!=", "=", "<", ">")


def key_problem(key: str) -> Optional[str]:
    """Why ``key`` is not a valid label key ([prefix/]name), or None."""
    prefix, sep, name = key.rpartition("/")
    if sep and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return "the prefix of key %r is not a lower case DNS subdomain" % key
    if not name or len(name) > 63 or not _NAME.match(name):
        return ("key %r is not [prefix/]name with a name of up to 63 letters, digits, '-', '_' or '.', starting and "
                "ending with a letter or digit" % key)
    return None


def value_problem(value: str) -> Optional[str]:
    """Why ``value`` is not a valid label value, or None (an empty value is valid)."""
    if value and (len(value) > 63 or not _NAME.match(value)):
        return ("value %r is not up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or "
                "digit" % value)
    return None


def _tokens(text: str) -> List[Tuple[str, str]]:
    """(kind, text) pairs: kind "id" for identifiers, otherwise the operator or punctuation itself."""
    out: List[Tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
        elif text[pos:pos + 2] in ("==", "!="):
            out.append((text[pos:pos + 2], text[pos:pos + 2]))
            pos += 2
        elif char in _SPECIAL:
            out.append((char, char))
            pos += 1
        else:
            end = pos
            while end < len(text) and not text[end].isspace() and text[end] not in _SPECIAL:
                end += 1
            word = text[pos:end]
            out.append((word if word in ("in", "notin") else "id", word))
            pos = end
    return out


def _check_selector(text: str) -> None:
    """Raise ValueError with the reason when ``text`` is not a label selector."""
    tokens = _tokens(text)
    index = 0

    def peek() -> str:
        return tokens[index][0] if index < len(tokens) else "end"

    while True:
        negated = peek() == "!"
        if negated:
            index += 1
        if peek() != "id":
            raise ValueError("expected a label key%s" % ("" if index >= len(tokens) else ", found %r" % tokens[index][1]))
        key = tokens[index][1]
        index += 1
        problem = key_problem(key)
        if problem:
            raise ValueError(problem)
        kind = peek()
        if negated or kind in (",", "end"):
            if negated and kind not in (",", "end"):
                raise ValueError("'!%s' takes no operator or value" % key)
        elif kind in _OPERATORS:
            index += 1
            value = tokens[index][1] if peek() == "id" else ""
            if peek() == "id":
                index += 1
            elif peek() not in (",", "end"):
                raise ValueError("expected a value after %r%s, found %r" % (key, kind, tokens[index][1]))
            if kind in ("<", ">"):
                if not re.match(r"^-?[0-9]+$", value):
                    raise ValueError("'%s%s' needs an integer value" % (key, kind))
            elif value_problem(value):
                raise ValueError(value_problem(value))
        elif kind in ("in", "notin"):
            index += 1
            if peek() != "(":
                raise ValueError("expected '(' after '%s %s'" % (key, kind))
            index += 1
            values = 0
            while True:
                if peek() == "id":
                    problem = value_problem(tokens[index][1])
                    if problem:
                        raise ValueError(problem)
                    index += 1
                    values += 1
                if peek() == ",":
                    index += 1
                    continue
                if peek() == ")":
                    index += 1
                    break
                raise ValueError("expected a value, ',' or ')' in the set of '%s %s'" % (key, kind))
            if not values:
                raise ValueError("'%s %s ()' has an empty set of values" % (key, kind))
        else:
            raise ValueError("unexpected %r after key %r (operators: =, ==, !=, in, notin, or '!key' / 'key' "
                             "alone)" % (tokens[index][1], key))
        if peek() == "end":
            return
        if peek() != ",":
            raise ValueError("expected ',' between requirements, found %r" % tokens[index][1])
        index += 1


def validate_selector(text: str, option: str) -> None:
    """InputError naming ``option`` when ``text`` is not a Kubernetes label selector (``app=web,tier!=db``,
    ``env in (a,b)``, ``!legacy``)."""
    try:
        _check_selector(text)
    except ValueError as exc:
        raise InputError("%s: %r is not a valid label selector: %s (examples: 'app=web', 'tier!=db', "
                         "'env in (dev,test)', '!legacy')" % (option, text, exc), option=option) from None
