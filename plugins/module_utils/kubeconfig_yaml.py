# Copyright (c) ocp.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Read the block-YAML subset that kubectl/oc write for kubeconfigs, without importing PyYAML.

Every module run is a fresh interpreter, and ``import yaml`` alone costs about 10 ms there. kubeconfig files
are very regular, so ``parse(text)`` reads them with plain string methods. Contract: it returns exactly what
``yaml.safe_load(text)`` returns, or ``UNSUPPORTED`` whenever the text steps outside the subset (or anything
is doubtful); the caller then falls back to PyYAML. The top level must be a block mapping.

Subset: ``\\n`` lines of printable characters, blank and full-line comments; block mappings with plain string
keys; block sequences (indented or at the key's indent, items may be compact mappings); scalars ``{}``, ``[]``,
single-line quoted strings without escapes, YAML 1.1 booleans and nulls, and plain strings that no other
YAML 1.1 type could claim. Numbers, timestamps, anchors, tags, block or multi-line scalars, flow collections,
comments after content, duplicate keys and document markers are left to PyYAML.
"""

from __future__ import annotations

__all__ = ["UNSUPPORTED", "parse"]

UNSUPPORTED = object()

_BOOLS = dict.fromkeys("yes Yes YES true True TRUE on On ON".split(), True)
_BOOLS.update(dict.fromkeys("no No NO false False FALSE off Off OFF".split(), False))
_NULLS = ("", "~", "null", "Null", "NULL")
# first characters of plain scalars left to PyYAML: numbers, timestamps, merge/value keys and the indicators
_HARD_START = "-+.0123456789<=~?:,[]{}#&*!|>'\"%@`"


class _Bail(Exception):
    """The text is outside the subset."""


def _scalar(text: str):
    if text == "{}":
        return {}
    if text == "[]":
        return []
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        inner = text[1:-1]
        if text[0] == '"':
            if '"' in inner or "\\" in inner:
                raise _Bail
            return inner
        if "'" in inner.replace("''", ""):
            raise _Bail
        return inner.replace("''", "'")
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if ": " in text or text[-1] == ":":
        raise _Bail
    # "-" then a letter or "-" (exec plugin args such as --region) cannot be a number; keys stay strict
    if text[0] in _HARD_START and not (text[0] == "-" and (text[1:2] == "-" or text[1:2].isalpha())):
        raise _Bail
    return text


def _key(text: str) -> str:
    # PyYAML refuses simple keys longer than 1024 characters; quoted keys are left to it as well
    if len(text) > 1000 or text != text.rstrip(" ") or text.startswith(("'", '"', "-")):
        raise _Bail
    key = _scalar(text)
    if not isinstance(key, str):
        raise _Bail
    return key


def _is_item(body: str) -> bool:
    return body == "-" or body.startswith("- ")


def _mapping(lines: list, i: int, indent: int):
    result: dict = {}
    while i < len(lines):
        col, body = lines[i]
        if col < indent:
            break
        if col > indent:
            raise _Bail
        if body[-1] == ":":
            key, value = body[:-1], ""
        else:
            key, sep, value = body.partition(": ")
            if not sep:
                raise _Bail
            value = value.lstrip(" ")
        key = _key(key)
        if key in result:
            raise _Bail
        i += 1
        next_col = lines[i][0] if i < len(lines) else -1
        if value:
            if next_col > indent:  # a multi-line plain scalar, or a stray deeper line
                raise _Bail
            result[key] = _scalar(value)
        elif next_col > indent:
            result[key], i = _block(lines, i)
        elif next_col == indent and _is_item(lines[i][1]):  # kubectl style: the sequence at the key's indent
            result[key], i = _sequence(lines, i, indent)
        else:
            result[key] = None
    return result, i


def _sequence(lines: list, i: int, indent: int):
    result: list = []
    while i < len(lines):
        col, body = lines[i]
        if col < indent or (col == indent and not _is_item(body)):
            break
        if col > indent or body == "-":
            raise _Bail
        item = body[2:].lstrip(" ")
        if _is_item(item):  # compact nested sequence
            raise _Bail
        if item[0] not in "'\"" and (item[-1] == ":" or ": " in item):
            lines[i] = (col + len(body) - len(item), item)  # a compact mapping starts at the column of its key
            value, i = _mapping(lines, i, lines[i][0])
        else:
            i += 1
            if i < len(lines) and lines[i][0] > indent:
                raise _Bail
            value = _scalar(item)
        result.append(value)
    return result, i


def _block(lines: list, i: int):
    if _is_item(lines[i][1]):
        return _sequence(lines, i, lines[i][0])
    return _mapping(lines, i, lines[i][0])


def parse(text: str):
    """Return ``yaml.safe_load(text)`` for a kubectl-style kubeconfig, else ``UNSUPPORTED``."""
    lines = []
    for raw in text.split("\n"):
        if not raw.isprintable():  # tabs, CR, BOM, NEL, LS/PS and control characters
            return UNSUPPORTED
        body = raw.lstrip(" ")
        if not body or body[0] == "#":
            continue
        indent = len(raw) - len(body)
        body = body.rstrip(" ")
        if " #" in body:
            return UNSUPPORTED
        lines.append((indent, body))
    if not lines or lines[0][0]:
        return UNSUPPORTED
    try:
        result, end = _mapping(lines, 0, 0)
    except (_Bail, RecursionError):
        return UNSUPPORTED
    return result if end == len(lines) else UNSUPPORTED
