"""PostgreSQL's ``log_line_prefix`` as a regular expression over stderr log lines.

The server starts every line of a message with ``log_line_prefix`` (PostgreSQL 15's default
is ``'%m [%p] '``), then the severity and two spaces: ``2026-12-05 01:36:33.897 UTC [10696]
LOG:  duration: 0.254 ms  statement: SELECT 1``. :func:`compile_prefix` turns the setting
into one precompiled pattern that matches such a line and names its parts.

Escapes (PostgreSQL 15, "What to log"): ``%m`` time with milliseconds, ``%t`` time, ``%n``
epoch with milliseconds, ``%p`` process id, ``%c`` session id, ``%u`` user, ``%d``
database, ``%a`` application, ``%h`` remote host, ``%r`` host(port), ``%l`` line number in
the session, ``%x`` transaction id, ``%v`` virtual transaction id, ``%e`` SQLSTATE, ``%s``
session start, ``%i`` command tag, ``%b`` backend type, ``%Q`` query id, ``%P`` parallel
leader, ``%q`` (what follows is left out for processes that are not sessions) and ``%%``; a
width such as ``%-10u`` pads with spaces. A prefix without a time (``%m``, ``%t``, ``%n``)
or a process (``%p``, ``%c``) cannot attribute a line to a moment and a session, and is
refused.

>>> p = compile_prefix("%m [%p] %q%u@%d ")
>>> m = p.line.match("2026-12-05 01:36:33.897 UTC [10696] app@erp LOG:  duration: 1.5 ms")
>>> m["ts_ms"], m["pid"], m["user"], m["db"], m["severity"], m["message"]
('2026-12-05 01:36:33.897 UTC', '10696', 'app', 'erp', 'LOG', 'duration: 1.5 ms')
>>> p.line.match("2026-12-05 01:36:34.178 UTC [10688] LOG:  shutting down")["user"] is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from erpcap.errors import BadInput

#: PostgreSQL 15's default ``log_line_prefix``.
DEFAULT_PREFIX = "%m [%p] "

#: A name (user, database, application) is at most NAMEDATALEN - 1 = 63 bytes long.
_NAME = r".{0,63}?"
_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+"

#: Escape letter → (group name, pattern of its value).
_ESCAPES: dict[str, tuple[str, str]] = {
    "m": ("ts_ms", r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \S+"),
    "t": ("ts_s", _TIME),
    "n": ("ts_epoch", r"\d+\.\d+"),
    "p": ("pid", r"\d+"),
    "c": ("session", r"[0-9a-f]+\.[0-9a-f]+"),
    "u": ("user", _NAME),
    "d": ("db", _NAME),
    "a": ("app", _NAME),
    "h": ("host", r"\S*"),
    "r": ("host_port", r"\S*"),
    "l": ("line_num", r"\d+"),
    "x": ("txid", r"\d*"),
    "v": ("vxid", r"[\d/]*"),
    "e": ("sqlstate", r"[0-9A-Z]{5}"),
    "s": ("session_start", _TIME),
    "i": ("tag", _NAME),
    "b": ("backend_type", _NAME),
    "Q": ("query_id", r"-?\d+"),
    "P": ("leader_pid", r"\d*"),
}
#: What a prefix must show: a time and a process (escape letters, in words, what for).
_REQUIRED = (
    ("time", "mtn", "%m, %t or %n", "moments"),
    ("process", "pc", "%p or %c", "sessions"),
)
_ESCAPE = re.compile(r"%(-?\d+)?(.?)")
#: After the prefix: the severity (DEBUG1 … PANIC, DETAIL, HINT, CONTEXT, STATEMENT, …; a
#: word in the server's lc_messages language) and two spaces.
_SEVERITY = r"(?P<severity>\w+):  "


@dataclass(frozen=True)
class Prefix:
    """A compiled ``log_line_prefix``."""

    text: str
    #: Matches a whole first line of a message: the prefix's groups, severity, message.
    line: re.Pattern[str]
    #: Finds a prefix and severity anywhere: two lines run together (interleaved writes).
    inner: re.Pattern[str]
    #: The group names the prefix fills.
    fields: frozenset[str]


def compile_prefix(text: str) -> Prefix:
    """The pattern of ``text``; :class:`BadInput` when it cannot attribute a line.

    >>> compile_prefix("%t:%r:%u@%d:[%p]: ").line.match(
    ...     "2026-12-05 01:36:33 UTC:127.0.0.1(40522):app@erp:[812]: LOG:  x")["host_port"]
    '127.0.0.1(40522)'
    >>> compile_prefix("%m %-8u|%p ").line.match(  # a width pads with spaces
    ...     "2026-12-05 01:36:33.897 UTC bob     |812 LOG:  x")["user"]
    'bob'
    >>> compile_prefix("%m %u ")
    Traceback (most recent call last):
    ...
    erpcap.errors.BadInput: log_line_prefix '%m %u ' has no process escape (%p or %c): the log cannot be attributed to sessions (set log_line_prefix = '%m [%p] %q%u@%d ' on the server for new logs)
    """
    parts: list[str] = []
    fields: set[str] = set()
    optional_from = -1
    pos = 0
    for match in _ESCAPE.finditer(text):
        parts.append(re.escape(text[pos : match.start()]))
        pos = match.end()
        width, letter = match.group(1), match.group(2)
        if letter == "%":
            parts.append("%")
        elif letter == "q":
            optional_from = len(parts)
        elif letter in _ESCAPES:
            name, pattern = _ESCAPES[letter]
            group = f"(?P<{name}>{pattern})" if name not in fields else f"(?:{pattern})"
            fields.add(name)
            if width:  # padded with spaces: on the left, or on the right for a negative width
                group = f"{group} *" if width.startswith("-") else f" *{group}"
            parts.append(group)
        else:
            shown = f"%{width or ''}{letter}" if letter else "a lone % at the end"
            raise BadInput(
                f"log_line_prefix {text!r}: {shown} is not an escape PostgreSQL 15 knows",
                hint="give the server's setting exactly as SHOW log_line_prefix prints it",
            )
    parts.append(re.escape(text[pos:]))
    if optional_from >= 0:
        parts[optional_from:] = ["(?:" + "".join(parts[optional_from:]) + ")?"]
    letters = {letter for letter, (name, _) in _ESCAPES.items() if name in fields}
    for what, escapes, words, attributed in _REQUIRED:
        if not letters.intersection(escapes):
            raise BadInput(
                f"log_line_prefix {text!r} has no {what} escape ({words}): the log cannot be "
                f"attributed to {attributed}",
                hint="set log_line_prefix = '%m [%p] %q%u@%d ' on the server for new logs",
            )
    body = "".join(parts)
    return Prefix(
        text=text,
        line=re.compile(body + _SEVERITY + "(?P<message>.*)", re.S),
        inner=re.compile(body + _SEVERITY),
        fields=frozenset(fields),
    )
