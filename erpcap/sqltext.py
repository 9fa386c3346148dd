"""SQL text without its values: the fingerprint that lets one statement meet across sources.

The same statement arrives as ``SELECT * FROM t WHERE id = 42`` in a server log, as
``SELECT * FROM t WHERE id = $1`` in pg_stat_statements, as ``SELECT * FROM `t` WHERE `id` = ?``
in performance_schema and with a ``/*op='…'*/`` tag from an instrumented application. Its
fingerprint is one string for all of them (../shared/SQL.md): comments stripped; string,
numeric and parameter literals (``'…'``, ``42``, ``$1``, ``?``, ``%s``) become ``?``; ``IN``
lists and multi-row ``VALUES`` collapse to one element; ``ASC`` in ordering is dropped;
keywords and unquoted names fold to lower case; whitespace collapses to one space, and a comma
is followed by one space.

Regular expressions only, no parse: it runs once per logged statement, so it must be cheap.

>>> fingerprint("SELECT * FROM Orders WHERE id = 42 AND name = 'O''Brien'")
'select * from orders where id = ? and name = ?'
>>> fingerprint("select * from orders where id = $1 and name = $2")
'select * from orders where id = ? and name = ?'
>>> fingerprint("SELECT a FROM t WHERE id IN (1, 2, 3) /*op='x'*/ ORDER BY a ASC LIMIT 10")
'select a from t where id in (?) order by a limit ?'
>>> fingerprint("INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')")
'insert into t (a, b) values (?)'
>>> fingerprint("SELECT x::float FROM t WHERE d > :since")
'select x::float from t where d > ?'
>>> fingerprint('SELECT `Name` FROM "Mixed"')
'select name from "Mixed"'
>>> fingerprint("SELECT a,b FROM t WHERE s = '-- not a comment' AND d = $$x$$")
'select a, b from t where s = ? and d = ?'
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import unquote

# Strings, quoted names and comments in one left-to-right pass, so that each hides the others'
# markers: a ``--`` inside a string is no comment, a quote inside a comment opens no string.
_LEXICAL = re.compile(
    r"(?P<dollar>\$(?P<tag>(?:[A-Za-z_]\w*)?)\$.*?\$(?P=tag)\$)"
    r"|(?P<string>[EeNnBbXx]?'(?:[^'\\]|''|\\.)*')"
    r'|(?P<quoted>"(?:[^"]|"")*")'
    r"|`(?P<backtick>[^`]*)`"
    r"|(?P<comment>/\*.*?\*/|--[^\n]*)",
    re.S,
)
_COMMA = re.compile(r" ?, ?")
_PARAM = re.compile(r"\$\d+|%s|%\(\w+\)s|(?<![:\w]):[A-Za-z_]\w*")
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)\b")
_HEX = re.compile(r"\b0x[0-9A-Fa-f]+\b")
_IN_LIST = re.compile(r"\bin\s*\(\s*\?(?:\s*,\s*\?)*\s*\)", re.I)
_VALUES = re.compile(
    r"\bvalues\s*\(\s*\?(?:\s*,\s*\?)*\s*\)(?:\s*,\s*\(\s*\?(?:\s*,\s*\?)*\s*\))*", re.I
)
_ASC = re.compile(r"\s+asc\b", re.I)
_LIMIT_PAIR = re.compile(r"\blimit\s+\?\s*,\s*\?", re.I)
_SPACE = re.compile(r"\s+")
_TAG_COMMENT = re.compile(r"/\*(.*?)\*/", re.S)
_TAG = re.compile(r"([\w.%-]+)\s*=\s*'((?:[^'\\]|\\.)*)'")
_ESCAPED = re.compile(r"\\(.)")


def fingerprint(sql: str) -> str:
    """``sql`` with its values, comments and layout removed (see the module's doc).

    Each substitution after the lexical pass runs only when the text holds a character or
    word its pattern cannot match without (a substring test costs far less than a regular
    expression scan); the result is the same as running them all.
    """
    quoted: list[str] = []

    def lexical(match: re.Match[str]) -> str:
        kind = match.lastgroup
        if kind == "comment":
            return " "
        if kind == "backtick":
            return match.group("backtick")
        if kind == "quoted":
            quoted.append(match.group(0))
            return chr(0xE000 + len(quoted) - 1)  # a private-use character: no digit to replace
        return "?"  # a string, dollar-quoted or not

    lexical_marks = "'" in sql or '"' in sql or "`" in sql or "$" in sql or "/*" in sql
    text = _LEXICAL.sub(lexical, sql) if lexical_marks or "--" in sql else sql
    if "0x" in text or "0X" in text:
        text = _HEX.sub("?", text)
    if "$" in text or "%" in text or ":" in text:
        text = _PARAM.sub("?", text)
    text = _NUMBER.sub("?", text)
    text = _SPACE.sub(" ", text).strip().rstrip(";").strip().lower()
    if "," in text:
        text = _COMMA.sub(", ", text)
    if "(" in text:
        if "in" in text:
            text = _IN_LIST.sub("in (?)", text)
        if "values" in text:
            text = _VALUES.sub("values (?)", text)
    if "limit" in text:
        text = _LIMIT_PAIR.sub("limit ?", text)
    if "asc" in text:
        text = _ASC.sub("", text)
    if quoted:
        text = re.sub("[\ue000-\uf8ff]", lambda m: quoted[ord(m.group(0)) - 0xE000], text)
    return text


def fingerprint_id(text: str) -> str:
    """A short stable id of a fingerprint (16 hex digits), for file names and links.

    >>> fingerprint_id("select ?")
    'b9a4c90ce4157373'
    """
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


#: Tag keys that name the operation, first found wins (sqlcommenter frameworks write
#: ``route``, ``controller`` and ``action``; the reference ERP writes ``op``).
OPERATION_KEYS = ("op", "operation", "route", "action", "controller")
#: Tag keys that name the request (``traceparent``: W3C trace context, its trace id).
REQUEST_KEYS = ("rid", "request_id", "traceparent")


def operation(found: dict[str, str]) -> str | None:
    """The operation a statement's :func:`tags` name, or None.

    >>> operation({"rid": "r", "route": "/orders"}), operation({})
    ('/orders', None)
    """
    for key in OPERATION_KEYS:
        if found.get(key):
            return found[key]
    return None


def tags(sql: str) -> dict[str, str]:
    """The sqlcommenter-style tags of a statement (``/*op='create_order',rid='r1'*/``).

    Values are unescaped as sqlcommenter writes them: ``\\'`` is a quote, ``%XX`` a
    URL-encoded character. A key seen twice keeps its last value.

    >>> tags("SELECT 1 /*op='create_order',rid='r-7'*/")
    {'op': 'create_order', 'rid': 'r-7'}
    >>> tags("SELECT 1 /*route='%2Fpolls%2F',controller='it\\\\'s'*/")
    {'route': '/polls/', 'controller': "it's"}
    >>> tags("SELECT 1"), tags("SELECT '/* not */' /* a comment */")
    ({}, {})
    """
    found: dict[str, str] = {}
    if "/*" not in sql:
        return found
    for comment in _TAG_COMMENT.findall(sql):
        for key, value in _TAG.findall(comment):
            found[unquote(key)] = unquote(_ESCAPED.sub(r"\1", value))
    return found
