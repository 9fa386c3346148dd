"""The databases of ``erpcap whatif``: one seeded database, one copy per configuration.

Every configuration must start from the same data (a lever such as ``indexes`` changes the
schema, and each run adds orders), so the reference ERP is seeded once and each
configuration gets its own copy: ``CREATE DATABASE … TEMPLATE seeded`` on PostgreSQL, a
file copy on SQLite. The names carry a random tag so that two whatifs never share one;
:meth:`Databases.drop_all` removes everything this created.
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from erpcap.errors import BadInput, StageError
from erpcap.facts import redact_url

#: Database URLs whatif accepts (the reference ERP's).
SQLITE = "sqlite:///"
POSTGRES = ("postgresql://", "postgresql+psycopg://", "postgres://")


def _plain(url: str) -> str:
    """``postgresql://…`` for psycopg, whatever driver suffix the ERP's URL carries."""
    return "postgresql://" + url.partition("://")[2]


class Databases:
    """The seeded database and its per-configuration copies, on PostgreSQL or SQLite."""

    def __init__(self, db: str | None, folder: Path) -> None:
        self.tag = secrets.token_hex(3)
        self.created: list[str] = []
        self._folder = folder
        if db is None or db.startswith(SQLITE):
            self.kind = "sqlite"
            path = Path(db[len(SQLITE) :]) if db else folder / "seed.sqlite"
            if path.exists():
                raise BadInput(
                    f"--db {db!r}: the file already exists",
                    hint="give a new file for the seeded database, or leave --db out",
                )
            self._seed_path = path.resolve()
            self._url = ""
        elif db.startswith(POSTGRES):
            self.kind = "postgresql"
            self._url = db
            parts = urlsplit(db)
            base = (parts.path.lstrip("/") or "erpcap").lower()
            self._base = "".join(c if c.isalnum() or c == "_" else "_" for c in base)[:30]
        else:
            raise BadInput(
                f"--db {redact_url(db)!r} is not a database the reference ERP runs on",
                hint="use sqlite:///PATH or postgresql://USER@HOST:PORT/DB",
            )

    def _pg_name(self, label: str) -> str:
        return f"{self._base}_{self.tag}_{label}"

    def _pg_url(self, name: str) -> str:
        parts = urlsplit(self._url)
        return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))

    def _admin(self, sql: str, *names: str) -> None:
        import psycopg
        from psycopg import sql as q

        statement = q.SQL(sql).format(*(q.Identifier(n) for n in names))
        try:
            with psycopg.connect(_plain(self._pg_url("postgres")), autocommit=True) as conn:
                conn.execute(statement)
        except psycopg.Error as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise StageError(
                f"PostgreSQL at {redact_url(self._pg_url('postgres'))}: {first}",
                hint="check that the server runs and the user may create databases",
            ) from None

    def seed_url(self) -> str:
        """The URL to seed into (created empty on PostgreSQL)."""
        if self.kind == "sqlite":
            self._seed_path.parent.mkdir(parents=True, exist_ok=True)
            self.created.append(str(self._seed_path))
            return f"sqlite:///{self._seed_path}"
        name = self._pg_name("seed")
        self._admin("CREATE DATABASE {}", name)
        self.created.append(name)
        return self._pg_url(name)

    def copy(self, label: str, folder: Path) -> str:
        """A fresh copy of the seeded database for configuration ``label``; its URL.

        On SQLite the copy is ``erp.sqlite`` inside the configuration's run directory
        ``folder``, as ``erpcap demo`` keeps it.
        """
        if self.kind == "sqlite":
            target = (folder / "erp.sqlite").resolve()
            for suffix in ("", "-wal"):
                source = Path(f"{self._seed_path}{suffix}")
                if source.exists():
                    shutil.copyfile(source, Path(f"{target}{suffix}"))
            self.created.append(str(target))
            return f"sqlite:///{target}"
        name = self._pg_name(label)
        self._admin("CREATE DATABASE {} TEMPLATE {}", name, self._pg_name("seed"))
        self.created.append(name)
        return self._pg_url(name)

    def describe(self, name: str) -> str:
        """How the report names a database this created (no password)."""
        return redact_url(self._pg_url(name)) if self.kind == "postgresql" else name

    def drop_all(self) -> list[str]:
        """Drop every database (or remove every file) this created; return what failed."""
        failed: list[str] = []
        for name in reversed(self.created):
            try:
                if self.kind == "sqlite":
                    for suffix in ("", "-wal", "-shm", "-journal"):
                        Path(f"{name}{suffix}").unlink(missing_ok=True)
                else:
                    self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
            except (OSError, StageError):
                failed.append(name)
        self.created = failed
        return failed
