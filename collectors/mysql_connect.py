"""The ``mysql`` collector's connection: its URL, ``mysql://USER:PASSWORD@HOST:PORT/DATABASE``,
and what a failure to use it means.

``mariadb://`` and SQLAlchemy's ``mysql+pymysql://`` are taken too. The port defaults to
3306, the database to none (the collector reads server-wide tables), a password left out
of the URL to the ``MYSQL_PWD`` environment variable (which keeps it out of ``ps``).
``?unix_socket=/run/mysqld/mysqld.sock`` connects through a socket instead of TCP.
Percent-encode a password's ``@``, ``:`` or ``/`` (``%40``, ``%3A``, ``%2F``).

>>> dsn = parse_dsn("mysql://erp:s%40cret@127.0.0.1:3307/erp")
>>> dsn.user, dsn.password, dsn.host, dsn.port, dsn.database, dsn.instance
('erp', 's@cret', '127.0.0.1', 3307, 'erp', '127.0.0.1:3307/erp')
>>> dsn.shown
'mysql://erp:***@127.0.0.1:3307/erp'
>>> parse_dsn("mariadb://root@localhost").instance
'localhost:3306'
>>> parse_dsn("postgresql://erp:pw@127.0.0.1/erp")
Traceback (most recent call last):
erpcap.errors.BadInput: 'postgresql://erp:***@127.0.0.1/erp' is not a MySQL URL (e.g. mysql://USER@...)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pymysql
from pymysql.cursors import DictCursor

from erpcap.errors import BadInput
from erpcap.redact import redact_url

DEFAULT_PORT = 3306
#: Seconds to wait for a connection, and for an answer.
CONNECT_TIMEOUT_S = 5
QUERY_TIMEOUT_S = 10

#: Server error codes: a connection that is gone, and what a login was refused for.
_CONNECTION_LOST = {2006, 2013, 2055, 1927, 4031}
_HINTS = {
    2003: "is the server running and listening there? check the host and port",
    1045: "check the user and the password, in the URL or MYSQL_PWD",
    1044: "grant the user access to that database, or leave the database out of the URL",
    1049: "check the database name in the URL, or leave it out",
    1040: "the server has max_connections sessions: raise it or free one",
}
_LOST_HINT = "the connection was cut (killed, or the server restarted); reconnecting"

_SCHEMES = ("mysql", "mariadb", "mysql+pymysql", "mariadb+pymysql")
_QUERY_KEYS = ("unix_socket",)
_EXAMPLE = "e.g. mysql://USER@127.0.0.1:3306/DATABASE, the password after USER: or in MYSQL_PWD"


@dataclass(frozen=True)
class MysqlDsn:
    """Where and as whom the collector connects. ``repr`` and :attr:`shown` hide the
    password."""

    text: str = field(repr=False)
    host: str
    port: int
    user: str | None
    password: str | None = field(repr=False)
    database: str | None
    unix_socket: str | None = None

    @property
    def shown(self) -> str:
        """The URL as it may be printed: the password replaced by ``***``."""
        return redact_url(self.text)

    @property
    def instance(self) -> str:
        """``host:port`` (or the socket) and ``/database`` when there is one: the
        ``instance`` column of sql_stats."""
        where = self.unix_socket or f"{self.host}:{self.port}"
        return f"{where}/{self.database}" if self.database else where

    def connect_args(self) -> dict[str, Any]:
        """The connection's address and credentials, as PyMySQL's keyword arguments."""
        password = self.password if self.password is not None else os.environ.get("MYSQL_PWD")
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": password or "",
            "database": self.database,
            "unix_socket": self.unix_socket,
        }


def parse_dsn(text: str) -> MysqlDsn:
    """A :class:`MysqlDsn` from a URL; :class:`~erpcap.errors.BadInput` naming what is wrong
    (the URL shown without its password)."""
    raw = text.strip()
    parts = urlsplit(raw)
    shown = redact_url(raw)
    if parts.scheme.lower() not in _SCHEMES:
        raise BadInput(f"{shown!r} is not a MySQL URL", hint=_EXAMPLE)
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise BadInput(f"{shown!r} has a port that is not a number", hint=_EXAMPLE) from None
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - set(_QUERY_KEYS))
    if unknown:
        raise BadInput(
            f"{shown!r}: unknown URL parameter {unknown[0]!r}",
            hint=f"the collector takes: {', '.join(_QUERY_KEYS)}",
        )
    socket = (query.get("unix_socket") or [""])[-1] or None
    if not parts.hostname and socket is None:
        raise BadInput(f"{shown!r} names no host", hint=_EXAMPLE)
    database = unquote(parts.path.lstrip("/")) or None
    if database is not None and "/" in database:
        raise BadInput(f"{shown!r}: the path must be one database name", hint=_EXAMPLE)
    return MysqlDsn(
        text=raw,
        host=parts.hostname or "localhost",
        port=port,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        database=database,
        unix_socket=socket,
    )


class MysqlUnavailable(Exception):
    """The server cannot be reached, refused the login, or the connection broke."""


def connect(dsn: MysqlDsn) -> pymysql.Connection[DictCursor]:
    """A connection in autocommit mode whose rows are dicts (raises ``pymysql.MySQLError``)."""
    return pymysql.connect(
        **dsn.connect_args(),
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=QUERY_TIMEOUT_S,
        write_timeout=QUERY_TIMEOUT_S,
        autocommit=True,
        cursorclass=DictCursor,
        program_name="erpcap",
    )


def error_code(exc: pymysql.MySQLError | RuntimeError) -> int | None:
    """The server's (or the driver's) error number, e.g. 1045 for a refused login."""
    code = exc.args[0] if exc.args else None
    return code if isinstance(code, int) else None


def lost(exc: pymysql.MySQLError | RuntimeError) -> bool:
    """Whether ``exc`` says the connection is gone (killed, timed out, server restarted)."""
    return error_code(exc) in _CONNECTION_LOST or isinstance(exc, pymysql.InterfaceError)


def unavailable(dsn: MysqlDsn, exc: pymysql.MySQLError | RuntimeError) -> MysqlUnavailable:
    """What went wrong with the server at ``dsn``, in words, with how to fix it; the URL
    shown without its password.

    >>> error = pymysql.err.OperationalError(1045, "Access denied for user 'erp'@'h'")
    >>> print(unavailable(parse_dsn("mysql://erp:pw@db:3306/erp"), error))
    mysql://erp:***@db:3306/erp: Access denied for user 'erp'@'h' (check the user and the password, in the URL or MYSQL_PWD)
    """
    text = str(exc.args[1]) if len(exc.args) > 1 else str(exc) or type(exc).__name__
    hint = _LOST_HINT if lost(exc) else _HINTS.get(error_code(exc) or 0, "")
    return MysqlUnavailable(f"{dsn.shown}: {text}" + (f" ({hint})" if hint else ""))
