"""``erpcap import mysql-slow``: a slow query log written by a real MariaDB server that the
test starts itself (own data directory, socket and port; the shared server is left alone),
read back and compared with what the test ran."""

from __future__ import annotations

import contextlib
import ctypes
import gzip
import os
import random
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from erpcap.collectors.importers.mysql_slow import ADMIN, BANNER, NOT_UTF8, TRAILING, UNCLOSED
from erpcap.errors import BadInput
from erpcap.importing import import_files
from erpcap.processes import free_port
from erpcap.rundir import RunDir

MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db")
pytestmark = pytest.mark.skipif(
    not (Path(MARIADBD).exists() and INSTALL_DB), reason="MariaDB's server is not installed"
)

MULTI_LINE = "SELECT id,\n       note\n  FROM shop.items\n WHERE id = 2"
INSERT = "INSERT INTO shop.items VALUES (1, 'plain'), (2, 'two\nlines'), (3, 'x')"
SLOW = "SELECT SLEEP(0.3) AS slow"
CLERK = "SELECT COUNT(*) FROM items WHERE note LIKE '%line%'"


@dataclass
class Server:
    folder: Path
    socket: Path
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended: datetime = field(default_factory=lambda: datetime.now(UTC))
    sessions: dict[str, str] = field(default_factory=dict)

    @property
    def log(self) -> Path:
        return self.folder / "slow.log"

    def sql(self, statements: list[str], *, user: str = "root", database: str = "") -> str:
        """Run ``statements`` in one session; return that session's id."""
        argv = ["mariadb", "--no-defaults", f"--socket={self.socket}", f"--user={user}",
                "--batch", "--skip-column-names"]  # fmt: skip
        script = ";\n".join(["SELECT CONNECTION_ID()", *statements]) + ";\n"
        result = subprocess.run(
            [*argv, *([database] if database else [])],
            input=script, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return result.stdout.splitlines()[0].strip()


def _as_mysql() -> dict[str, Any]:
    """Run a child as the mysql OS user, stopped by the kernel if this process dies
    (PR_SET_PDEATHSIG, set after the user change, which would clear it)."""

    def lifeline() -> None:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)

    base: dict[str, Any] = {"preexec_fn": lifeline}
    if os.geteuid() == 0:
        base.update(user="mysql", group="mysql", extra_groups=[])
    return base


@pytest.fixture(scope="module")
def server(wait: Any) -> Iterator[Server]:
    folder = Path(tempfile.mkdtemp(prefix="erpcap-myslow-"))
    proc: subprocess.Popen[bytes] | None = None
    try:
        if os.geteuid() == 0:
            shutil.chown(folder, "mysql", "mysql")
        install = [str(INSTALL_DB), "--no-defaults", f"--datadir={folder / 'data'}",
                   "--auth-root-authentication-method=normal", "--skip-test-db",
                   "--skip-name-resolve"]  # fmt: skip
        subprocess.run(install, check=True, capture_output=True, timeout=180, **_as_mysql())
        socket = folder / "mysqld.sock"
        argv = [MARIADBD, "--no-defaults", f"--datadir={folder / 'data'}", f"--socket={socket}",
                f"--port={free_port()}", "--bind-address=127.0.0.1",
                f"--pid-file={folder / 'mysqld.pid'}", f"--log-error={folder / 'error.log'}",
                "--skip-log-bin", "--innodb-buffer-pool-size=16M", "--slow-query-log",
                f"--slow-query-log-file={folder / 'slow.log'}", "--long-query-time=0",
                "--log-slow-verbosity=query_plan,explain"]  # fmt: skip
        proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, **_as_mysql(),
        )  # fmt: skip
        server = Server(folder, socket)

        def ready() -> bool:
            assert proc is not None and proc.poll() is None, (folder / "error.log").read_text()
            ping = ["mariadb-admin", "--no-defaults", f"--socket={socket}", "-uroot", "ping"]
            return subprocess.run(ping, capture_output=True, timeout=10).returncode == 0

        wait(ready, 60, "the test MariaDB server to accept connections")
        server.started = datetime.now(UTC)
        server.sessions["root"] = server.sql(
            [
                "CREATE DATABASE shop",
                "CREATE TABLE shop.items (id INT PRIMARY KEY, note TEXT)",
                INSERT,
                MULTI_LINE,
                SLOW,
                "CREATE USER clerk@localhost",
                "GRANT ALL ON shop.* TO clerk@localhost",
                "FLUSH SLOW LOGS",  # the server reopens the log and writes its banner again
            ]
        )
        server.sessions["clerk"] = server.sql([CLERK], user="clerk", database="shop")
        server.ended = datetime.now(UTC)
        _stop(proc, wait)
        yield server
    finally:
        if proc is not None:
            _stop(proc, wait)
        shutil.rmtree(folder, ignore_errors=True)


def _stop(proc: subprocess.Popen[bytes], wait: Any) -> None:
    if proc.poll() is None:
        proc.terminate()  # a normal shutdown
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # anything left in its group


def test_the_log_holds_what_ran(server: Server, tmp_path: Path) -> None:
    report = import_files("mysql-slow", [server.log], tmp_path / "run", strict=True)
    frame = RunDir.open(tmp_path / "run").read_table("statements")
    assert report.records == len(frame) and not report.skipped
    assert set(frame["source"]) == {"mysql-slow"}
    by_text = {row["statement"]: row for row in frame.to_dict("records")}
    multi = by_text[MULTI_LINE]
    assert multi["session"] == server.sessions["root"] and multi["user"] == "root"
    assert pd.isna(multi["database"])  # the session had no default database
    assert (multi["rows"], multi["rows_examined"]) == (1, 1)
    assert multi["fingerprint"] == "select id, note from shop.items where id = ?"
    assert by_text[INSERT]["fingerprint"] == "insert into shop.items values (?)"
    assert by_text[SLOW]["duration_ms"] >= 300.0  # SLEEP(0.3) cannot take less
    clerk = by_text[CLERK]
    assert (clerk["user"], clerk["database"], clerk["session"]) == (
        "clerk", "shop", server.sessions["clerk"]
    )  # fmt: skip
    assert (clerk["rows"], clerk["rows_examined"]) == (1, 3)
    assert pd.notna(clerk["lock_ms"]) and clerk["lock_ms"] >= 0
    assert "FLUSH SLOW LOGS" in by_text
    assert report.ignored[BANNER] >= 6  # the start banner, and again after FLUSH SLOW LOGS
    window = (server.started - timedelta(seconds=2), server.ended + timedelta(seconds=2))
    assert frame["ts"].between(*window).all(), (frame["ts"].min(), frame["ts"].max(), window)
    with pytest.raises(BadInput, match="imported into .* before .* would count twice"):
        import_files("mysql-slow", [server.log], tmp_path / "run")  # the same log again
    assert RunDir.open(tmp_path / "run").count_rows("statements") == len(frame)


def test_damage_is_skipped_and_counted(
    server: Server, tmp_path: Path, import_cli: Any, one_line: Any
) -> None:
    real = server.log.read_bytes()
    rows = import_files("mysql-slow", [server.log], tmp_path / "good").records
    start = real.count(b"\n") + 1
    header = (
        b"# User@Host: root[root] @ localhost []\n# Thread_id: 9  Schema: shop  QC_hit: No\n"
        b"# Query_time: 0.000100  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0\n"
        b"SET timestamp=1796405940;\n"
    )
    damaged = tmp_path / "slow.log"
    damaged.write_bytes(
        real
        + b"this is not a slow log line\n"  # after the last statement's ';'
        + header + b"SELECT 'caf\xe9';\n"  # not UTF-8
        + b"\x00\x01\x02 binary\n"
        + header + b"SELECT * FROM shop.items WHE\n"  # cut short
    )  # fmt: skip
    zipped = tmp_path / "slow.log.2.gz"
    zipped.write_bytes(gzip.compress(damaged.read_bytes()))
    for path in (damaged, zipped):
        report = import_files("mysql-slow", [path], tmp_path / f"run-{path.name}")
        assert report.records == rows
        assert dict(report.skipped) == {TRAILING: 2, NOT_UTF8: 1, UNCLOSED: 1}
        assert report.first_skip[TRAILING] == (str(path), start)
        assert report.first_skip[NOT_UTF8] == (str(path), start + 1)
        assert report.first_skip[UNCLOSED] == (str(path), start + 11)
    strict = import_cli("mysql-slow", str(damaged), "--out", str(tmp_path / "strict"), "--strict")
    assert strict.returncode == 2
    assert f"{damaged}:{start}: 4 lines skipped" in one_line(strict)
    assert RunDir.open(tmp_path / "strict").count_rows("statements") == rows  # kept


def test_random_bytes_are_one_line(tmp_path: Path, import_cli: Any, one_line: Any) -> None:
    noise = tmp_path / "noise.log"
    noise.write_bytes(random.Random(11).randbytes(64_000))
    result = import_cli("mysql-slow", str(noise), "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    line = one_line(result)
    assert f"{noise}:1: no MySQL or MariaDB slow log entry" in line
    assert "slow_query_log_file" in line


#: MySQL 8's layout, as its manual shows it (no MySQL server is installed here): the thread
#: id in User@Host, # Time in UTC with microseconds, `use` only when the database changes.
MYSQL_8 = """\
/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:
Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock
Time                 Id Command    Argument
# Time: 2026-12-04T10:00:01.234567Z
# User@Host: app[app] @ localhost []  Id:    12
# Query_time: 0.250000  Lock_time: 0.000010 Rows_sent: 5  Rows_examined: 5000
use erp;
SET timestamp=1796378401;
SELECT * FROM orders WHERE status = 'open' ORDER BY id DESC LIMIT 5;
# Time: 2026-12-04T10:00:02.000100Z
# User@Host: app[app] @ localhost []  Id:    13
# Query_time: 0.000100  Lock_time: 0.000000 Rows_sent: 0  Rows_examined: 0
SET timestamp=1796378402;
# administrator command: Quit;
# Time: 2026-12-04T10:00:03.500000Z
# User@Host: report[report] @  [192.0.2.7]  Id:    14
# Query_time: 1.500000  Lock_time: 0.000000 Rows_sent: 1  Rows_examined: 90000
SET timestamp=1796378402;
SELECT SUM(total)
  FROM orders;
"""


def test_mysql_8_entries(tmp_path: Path) -> None:
    log = tmp_path / "mysql-slow.log"
    log.write_text(MYSQL_8)
    report = import_files("mysql-slow", [log], tmp_path / "run", strict=True)
    rows = RunDir.open(tmp_path / "run").read_table("statements").to_dict("records")
    assert [(str(r["ts"]), r["session"], r["user"], r["database"]) for r in rows] == [
        ("2026-12-04 10:00:01.234567+00:00", "12", "app", "erp"),
        ("2026-12-04 10:00:03.500000+00:00", "14", "report", "erp"),  # `use` carries over
    ]
    assert rows[1]["statement"] == "SELECT SUM(total)\n  FROM orders"
    assert (rows[1]["duration_ms"], rows[1]["rows_examined"]) == (1500.0, 90000)
    assert report.ignored == {BANNER: 3, ADMIN: 1}
