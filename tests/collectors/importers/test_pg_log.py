"""``erpcap import pg-log``: logs written by a real PostgreSQL 15 that the test starts itself
(own data directory, port and socket; the shared server on 5432 is left alone), in all
three formats at once, read back and compared with what the test ran."""

from __future__ import annotations

import ctypes
import gzip
import os
import shutil
import signal
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from erpcap.collectors.importers.base import ImportReport
from erpcap.collectors.importers.pg_log import parse
from erpcap.collectors.importers.pg_log_prefix import compile_prefix
from erpcap.collectors.importers.statements import zone
from erpcap.errors import BadInput
from erpcap.importing import import_files
from erpcap.processes import free_port
from erpcap.rundir import RunDir

PG_BIN = Path("/usr/lib/postgresql/15/bin")
pytestmark = pytest.mark.skipif(
    not (PG_BIN / "postgres").exists(), reason="PostgreSQL 15's server binaries are not installed"
)

#: The statements each server runs, by marker (a literal in the statement).
MULTI_LINE = (
    "SELECT 'multi' AS marker,\n       relname\n  FROM pg_class\n WHERE relkind = 'r'\n LIMIT 3"
)
NEWLINE_STRING = "SELECT 'first line\nsecond line' AS newline_string"
SLOW = "SELECT pg_sleep(0.3), 'slow' AS marker"
PARAMETERS = "SELECT %s::int + 1 AS parameters"
OTHER_DB = "SELECT count(*) AS other_db FROM pg_namespace WHERE nspname <> 'x'"
PAIRED = "SELECT 'paired' AS marker, %s::int AS n"
PAIRED_SIMPLE = "SELECT 'paired-simple' AS marker"
TWICE = "SELECT 'twice' AS marker"


@dataclass
class Server:
    """One test server's logs and what ran on it."""

    prefix: str
    log_timezone: str
    tz_option: str | None  # what the import needs for the log's zone abbreviation
    folder: Path
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended: datetime = field(default_factory=lambda: datetime.now(UTC))
    pids: dict[str, int] = field(default_factory=dict)  # session role → backend pid

    @property
    def logs(self) -> dict[str, Path]:
        folder = self.folder / "log"
        return {
            "stderr": folder / "postgresql.log",
            "csvlog": folder / "postgresql.csv",
            "jsonlog": folder / "postgresql.json",
        }

    def options(self, **more: str) -> dict[str, str]:
        options = {"log_line_prefix": self.prefix, **more}
        if self.tz_option:
            options["tz"] = self.tz_option
        return options


def _as_postgres() -> dict[str, Any]:
    """Popen arguments that run a child as the postgres OS user (initdb refuses root), and
    ask the kernel to stop it if this test process dies (PR_SET_PDEATHSIG, set after the
    user change, which would clear it)."""

    def lifeline() -> None:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)

    base: dict[str, Any] = {"preexec_fn": lifeline}
    if os.geteuid() == 0:
        base.update(user="postgres", group="postgres", extra_groups=[])
    return base


def _stop(proc: subprocess.Popen[bytes], wait: Any) -> None:
    """Fast shutdown (SIGINT), then wait for the whole group, the logger included."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def group_gone() -> bool:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return True
        return False

    try:
        wait(group_gone, 15, "the test server's logger to exit")
    finally:
        if not group_gone():
            os.killpg(proc.pid, signal.SIGKILL)


def _run_statements(dsn: str, server: Server) -> None:
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("CREATE ROLE clerk LOGIN")
        admin.execute("CREATE DATABASE shop OWNER clerk")
        server.pids["main"] = admin.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        admin.execute(MULTI_LINE)
        admin.execute(NEWLINE_STRING)
        admin.execute(SLOW)
        for n in (1, 2, 3):  # the extended protocol: parse, bind, execute; a row each
            admin.execute(PARAMETERS, (n,), prepare=True)
        with pytest.raises(psycopg.errors.SyntaxError):
            admin.execute("SELEC 'broken' AS marker")  # ERROR + STATEMENT: no row
    clerk_dsn = dsn.replace("dbname=postgres", "dbname=shop").replace("user=postgres", "user=clerk")
    with psycopg.connect(clerk_dsn, autocommit=True) as clerk:
        server.pids["clerk"] = clerk.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        clerk.execute(OTHER_DB)
    with psycopg.connect(dsn, autocommit=True) as paired:
        # log_statement + log_duration instead of log_min_duration_statement: statement and
        # duration on separate lines, paired per session
        paired.execute("SET log_min_duration_statement = -1")
        paired.execute("SET log_statement = 'all'")
        paired.execute("SET log_duration = on")
        server.pids["paired"] = paired.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        paired.execute(PAIRED_SIMPLE)
        paired.execute(PAIRED, (7,))
    with psycopg.connect(dsn, autocommit=True) as twice:
        twice.execute("SET log_statement = 'all'")  # and log_min_duration_statement = 0
        twice.execute(TWICE)


@pytest.fixture(
    scope="module",
    params=[
        ("%m [%p] %q%u@%d ", "Europe/Berlin", None),
        ("%t:%r:%u@%d:[%p]: ", "Asia/Shanghai", "Asia/Shanghai"),  # 'CST': needs tz
        ("%n %c %l %a %q%u@%d ", "UTC", None),  # epoch time, session id instead of pid
    ],
    ids=["m-p", "t-r-p", "n-c"],
)
def server(request: pytest.FixtureRequest, wait: Any) -> Iterator[Server]:
    wait_for = wait
    prefix, log_timezone, tz_option = request.param
    folder = Path(tempfile.mkdtemp(prefix="erpcap-pglog-"))
    proc: subprocess.Popen[bytes] | None = None
    try:
        for sub in ("data", "log", "socket"):
            (folder / sub).mkdir()
        if os.geteuid() == 0:
            for path in (folder, *folder.iterdir()):
                shutil.chown(path, "postgres", "postgres")
        initdb = [str(PG_BIN / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U",
                  "postgres", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]  # fmt: skip
        subprocess.run(initdb, check=True, capture_output=True, timeout=120, **_as_postgres())
        port = free_port()
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(port),
            "unix_socket_directories": str(folder / "socket"),
            "logging_collector": "on",
            "log_destination": "stderr,csvlog,jsonlog",
            "log_directory": str(folder / "log"),
            "log_filename": "postgresql.log",
            "log_rotation_age": "0",
            "log_line_prefix": prefix,
            "log_min_duration_statement": "0",
            "log_timezone": log_timezone,
            "lc_messages": "C",
            "shared_buffers": "16MB",
            "max_connections": "20",
            "fsync": "off",
        }
        argv = [str(PG_BIN / "postgres"), "-D", str(folder / "data")]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            **_as_postgres(),
        )
        dsn = (
            f"host=127.0.0.1 port={port} user=postgres dbname=postgres application_name=erpcap-test"
        )

        def ready() -> bool:
            assert proc is not None and proc.poll() is None, "the test server exited"
            try:
                psycopg.connect(dsn, connect_timeout=2).close()
            except psycopg.OperationalError:
                return False
            return True

        wait_for(ready, 60, "the test PostgreSQL server to accept connections")
        server = Server(prefix, log_timezone, tz_option, folder)
        _run_statements(dsn, server)
        server.ended = datetime.now(UTC)
        _stop(proc, wait_for)
        yield server
    finally:
        if proc is not None:
            _stop(proc, wait_for)
        shutil.rmtree(folder, ignore_errors=True)


def _import(server: Server, fmt: str, out: Path, **more: str) -> tuple[Any, ImportReport]:
    report = import_files(
        "pg-log", [server.logs[fmt]], out, options=server.options(**more), strict=True
    )
    return RunDir.open(out).read_table("statements"), report


def _with(frame: Any, marker: str) -> Any:
    return frame[frame["statement"].str.contains(marker, regex=False)]


@pytest.mark.parametrize("fmt", ["stderr", "csvlog", "jsonlog"])
def test_each_format_holds_what_ran(server: Server, fmt: str, tmp_path: Path) -> None:
    frame, report = _import(server, fmt, tmp_path / "run")
    assert set(frame["source"]) == {{"stderr": "pg-log"}.get(fmt, f"pg-{fmt}")}
    assert not report.skipped and report.records == len(frame)
    [multi] = _with(frame, "'multi'").to_dict("records")
    assert multi["statement"] == MULTI_LINE
    assert (multi["user"], multi["database"]) == ("postgres", "postgres")
    assert multi["session"] == str(server.pids["main"])
    assert (
        multi["fingerprint"]
        == "select ? as marker, relname from pg_class where relkind = ? limit ?"
    )
    assert _with(frame, "newline_string")["statement"].tolist() == [NEWLINE_STRING]
    [slow] = _with(frame, "pg_sleep").to_dict("records")
    assert slow["duration_ms"] >= 300.0  # pg_sleep(0.3) cannot take less
    assert (frame["duration_ms"] >= 0).all()
    # three executions of a prepared statement: three rows, not nine (parse, bind ignored)
    assert (
        _with(frame, "AS parameters")["statement"].tolist()
        == ["SELECT $1::int + 1 AS parameters"] * 3
    )
    assert (
        report.ignored["parse and bind steps of the extended protocol (its execute is what counts)"]
        >= 4
    )
    [other] = _with(frame, "other_db").to_dict("records")
    assert (other["user"], other["database"], other["session"]) == (
        "clerk",
        "shop",
        str(server.pids["clerk"]),
    )
    assert _with(frame, "SELEC 'broken'").empty  # an error has no duration
    # log_statement + log_duration: paired per session, one row per statement
    paired = _with(frame, "'paired")
    assert sorted(paired["statement"]) == ["SELECT 'paired' AS marker, $1::int AS n", PAIRED_SIMPLE]
    assert set(paired["session"]) == {str(server.pids["paired"])}
    # log_statement + log_min_duration_statement: the server logs the text once, then a
    # bare duration; one row
    assert len(_with(frame, "'twice'")) == 1
    # the log's local times (Europe/Berlin, Asia/Shanghai, UTC) are read as UTC instants
    window = (server.started - timedelta(seconds=2), server.ended + timedelta(seconds=2))
    assert frame["ts"].between(*window).all(), (frame["ts"].min(), frame["ts"].max(), window)
    apps = set(frame["application"].dropna())
    assert apps == ({"erpcap-test"} if fmt != "stderr" or "%a" in server.prefix else set())


def test_the_formats_agree(server: Server) -> None:
    rows = {}
    for fmt, path in server.logs.items():
        report = ImportReport("pg-log")
        rows[fmt] = list(
            parse([path], report, log_line_prefix=server.prefix,
                  tz=zone(server.tz_option) if server.tz_option else None)
        )  # fmt: skip
        assert rows[fmt] and not report.skipped

    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        ts = row["ts"] if "%t" not in server.prefix else row["ts"].replace(microsecond=0)
        return (ts, row["session"], row["duration_ms"], row["fingerprint"], row["statement"],
                row["user"], row["database"])  # fmt: skip

    stderr, csvlog, jsonlog = ([key(r) for r in rows[f]] for f in ("stderr", "csvlog", "jsonlog"))
    assert stderr == csvlog == jsonlog


def test_the_log_zone(server: Server, tmp_path: Path) -> None:
    """An ambiguous abbreviation ('CST') is refused; --option tz reads any log's times."""
    options = {"log_line_prefix": server.prefix}
    if server.tz_option:
        with pytest.raises(BadInput, match="'CST' is ambiguous.*--option tz=ZONE"):
            import_files("pg-log", [server.logs["stderr"]], tmp_path / "run", options=options)
    else:  # the abbreviation (CET, UTC) and the zone's name give the same instants
        by_name = {**options, "tz": server.log_timezone}
        frame, _ = _import(server, "stderr", tmp_path / "by-name", **by_name)
        plain, _ = _import(server, "stderr", tmp_path / "plain")
        assert len(frame) and frame["ts"].tolist() == plain["ts"].tolist()


def test_the_wrong_prefix_says_how_to_fix_it(server: Server, tmp_path: Path) -> None:
    wrong = "%m [%p] " if server.prefix != "%m [%p] " else "%t [%p] "
    with pytest.raises(
        BadInput, match="no statement line reads as a PostgreSQL stderr log.*--log-line-prefix"
    ):
        import_files(
            "pg-log", [server.logs["stderr"]], tmp_path / "run",
            options=server.options(log_line_prefix=wrong, format="stderr"),
        )  # fmt: skip


def test_damaged_lines_are_skipped_and_counted(
    server: Server, tmp_path: Path, import_cli: Any, one_line: Any
) -> None:
    real = server.logs["stderr"].read_bytes()
    good_rows = len(list(parse([server.logs["stderr"]], ImportReport("pg-log"),
                               log_line_prefix=server.prefix,
                               tz=zone(server.tz_option) if server.tz_option else None)))  # fmt: skip
    # the prefix of a real statement line, to forge damaged lines the way the server writes
    line = next(ln for ln in real.splitlines() if b"LOG:  duration: " in ln)
    prefix = line[: line.index(b"LOG:  ")]
    start = real.count(b"\n") + 1
    damage = [
        (b"this is not a log line", "lines that do not start with the log_line_prefix"),
        (line[:12], "lines that do not start with the log_line_prefix"),  # cut short
        (prefix + b"LOG:  duration: 1.000 ms  statement: SELECT 'caf\xe9'", "not text"),
        (prefix + b"LOG:  duration: 1.000 ms  statement: SELECT 1 FR" + prefix
         + b"LOG:  duration: 2.000 ms  statement: SELECT 2", "run together"),
        (prefix + b"LOG:  duration: 1.0", "a duration line cut short"),
        (b"\x00\x01\x02\xff\xfe binary", "lines that do not start with the log_line_prefix"),
        (b"\tFROM nowhere", "continuation lines with no message before them"),
    ]  # fmt: skip
    damaged = tmp_path / "postgresql.log"
    damaged.write_bytes(real + b"\n".join(text for text, _ in damage) + b"\n")
    zipped = tmp_path / "postgresql.log.1.gz"
    zipped.write_bytes(gzip.compress(damaged.read_bytes()))
    for path in (damaged, zipped):
        report = import_files("pg-log", [path], tmp_path / f"run-{path.name}",
                              options=server.options())  # fmt: skip
        assert report.records == good_rows
        for number, (_, reason) in enumerate(damage, start=start):
            [found] = [r for r in report.skipped if reason in r]
            assert report.first_skip[found][0] == str(path)
            assert report.first_skip[found][1] <= number
        assert report.skipped_total == len(damage)
    strict = import_cli("pg-log", str(damaged), "--out", str(tmp_path / "strict"), "--strict",
                  *sum((["--option", f"{k}={v}"] for k, v in server.options().items()), []))  # fmt: skip
    assert strict.returncode == 2
    assert f"{damaged}:{start}: 7 lines skipped" in one_line(strict)
    assert RunDir.open(tmp_path / "strict").count_rows("statements") == good_rows  # kept


def test_damaged_csvlog_and_jsonlog(server: Server, tmp_path: Path) -> None:
    options = server.options()
    csv_real = server.logs["csvlog"].read_text()
    row = next(ln for ln in csv_real.splitlines() if "duration: " in ln)
    csv_log = tmp_path / "postgresql.csv"
    # a line that is no row; a row cut inside its quoted message, then a whole row again
    csv_log.write_text(csv_real + "not,a,csvlog,row\n" + row[: row.index("duration: ") + 12]
                       + "\n" + row + "\n")  # fmt: skip
    report = import_files("pg-log", [csv_log], tmp_path / "csv", options=options)
    counts = Counter({r.split(" (")[0]: n for r, n in report.skipped.items()})
    assert counts == {"csvlog rows with a quoted field never closed": 1,
                      "lines that are not a csvlog row": 1}, report.skipped  # fmt: skip
    json_real = server.logs["jsonlog"].read_text()
    json_log = tmp_path / "postgresql.json"
    line = next(ln for ln in json_real.splitlines() if "duration: " in ln)
    json_log.write_text(json_real + line[:40] + "\n" + line + "\n")
    report = import_files("pg-log", [json_log], tmp_path / "json", options=options)
    assert dict(report.skipped) == {"lines that are not a jsonlog object (cut short or damaged)": 1}
    assert report.first_skip[next(iter(report.skipped))][1] == json_real.count("\n") + 1


def test_bad_prefix_and_random_bytes_are_one_line(
    tmp_path: Path, import_cli: Any, one_line: Any
) -> None:
    import random

    noise = tmp_path / "noise.log"
    noise.write_bytes(random.Random(7).randbytes(64_000))
    result = import_cli(
        "pg-log", str(noise), "--out", str(tmp_path / "a"), "--log-line-prefix", "%m %u "
    )
    assert result.returncode == 2
    assert "has no process escape (%p or %c)" in one_line(result)
    result = import_cli("pg-log", str(noise), "--out", str(tmp_path / "b"))
    assert result.returncode == 2
    line = one_line(result)
    assert (
        f"{noise}:1: no statement line reads as a PostgreSQL stderr log" in line
        and "--log-line-prefix" in line
    )
    with pytest.raises(BadInput, match="no time escape"):
        compile_prefix("[%p] %u@%d ")
    with pytest.raises(BadInput, match="%z is not an escape"):
        compile_prefix("%m [%p] %z ")


def test_a_forced_format_and_mixed_formats(server: Server, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no statement line reads as a PostgreSQL csvlog"):
        import_files("pg-log", [server.logs["stderr"]], tmp_path / "forced",
                     options=server.options(format="csvlog"))  # fmt: skip
    both = [server.logs["stderr"], server.logs["csvlog"]]
    report = import_files("pg-log", both, tmp_path / "mixed", options=server.options())
    assert any("different formats" in lack for lack in report.lacks)
    warnings = RunDir.open(tmp_path / "mixed").read_meta()["warnings"]
    assert any("import the files of one format only" in w for w in warnings)
