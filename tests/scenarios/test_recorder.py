"""Request rows: the REQUESTS_SCHEMA columns from Locust's request event."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from erpcap.scenarios.recorder import request_row
from erpcap.types import REQUESTS_SCHEMA

T0 = 1_764_100_000.0


def _row(**overrides: object) -> dict[str, object]:
    args: dict[str, object] = {
        "request_type": "POST",
        "name": "create_sales_order",
        "response_time_ms": 25.0004,
        "response_length": 120,
        "status_code": 201,
        "context": {"user_class": "OrderEntryUser"},
        "exception": None,
        "start_time": T0,
        "users": 4,
        "worker": "host:1",
    }
    args.update(overrides)
    return request_row(**args)  # type: ignore[arg-type]


def test_closed_model_row() -> None:
    row = _row()
    assert row["start"] == row["intended_start"] == datetime.fromtimestamp(T0, UTC)
    assert row["service_us"] == row["latency_us"] == 25000
    assert (row["group"], row["ok"], row["error"], row["users"]) == ("order", True, None, 4)
    pa.Table.from_pylist([row], schema=REQUESTS_SCHEMA)  # the exact columns and types


def test_intended_start_adds_the_wait() -> None:
    row = _row(context={"user_class": "IntegrationUser", "intended_start": T0 - 1.5})
    assert row["service_us"] == 25000
    assert row["latency_us"] == 25000 + 1_500_000
    later = _row(context={"intended_start": T0 + 3})  # never after the actual start
    assert later["intended_start"] == later["start"]


def test_failure_and_business_outcome() -> None:
    failed = _row(status_code=404, exception=RuntimeError("404 not_found: no route"))
    assert failed["ok"] is False and failed["error"] == "404 not_found: no route"
    outcome = _row(status_code=409, context={"outcome": "insufficient_stock"})
    assert outcome["ok"] is True and outcome["error"] == "insufficient_stock"
    dropped = _row(status_code=None, response_length=None, start_time=None,
                   exception=ConnectionError("refused"))  # fmt: skip
    assert dropped["status_code"] == 0 and dropped["bytes"] == 0 and dropped["ok"] is False
    assert dropped["start"] <= datetime.now(UTC)
    long = _row(exception=ValueError("x" * 2000))
    assert len(str(long["error"])) == 500
    pa.Table.from_pylist([failed, outcome, dropped], schema=REQUESTS_SCHEMA)


class _Runner:
    """What the recorder reads of a Locust runner: its user count."""

    def __init__(self) -> None:
        self.user_count = 0


class _Environment:
    def __init__(self) -> None:
        self.runner = _Runner()


def test_users_are_those_active_when_the_request_was_sent(tmp_path) -> None:
    from erpcap.rundir import RunDir
    from erpcap.scenarios.recorder import RequestRecorder

    recorder = RequestRecorder(RunDir.create(tmp_path / "run"))
    env = _Environment()
    recorder._environment = env  # what attach() sets, without starting greenlets
    env.runner.user_count = 20
    recorder.note_users(now=T0)
    env.runner.user_count = 40
    recorder.note_users(now=T0 + 30)
    # A request sent during the 20-user step that ends after the step to 40 began.
    recorder.on_request("GET", "check_availability", 31_000.0, 10, None, {}, None, T0 + 5)
    # A paced request due in the first step, sent late in the second.
    recorder.on_request(
        "GET", "check_availability", 10.0, 10, None, {"intended_start": T0 + 29}, None, T0 + 35
    )
    recorder.on_request("GET", "check_availability", 10.0, 10, None, {}, None, T0 + 31)
    recorder.flush()
    users = list(RunDir(tmp_path / "run").read_table("requests")["users"])
    assert users == [20, 20, 40]
    assert recorder.users_at(T0 - 10) == 20  # before the first sample: the first count


def test_requests_cut_off_by_a_stop_are_counted(tmp_path) -> None:
    import gevent

    from erpcap.rundir import RunDir
    from erpcap.scenarios.recorder import RequestRecorder

    run = RunDir.create(tmp_path / "run")
    recorder = RequestRecorder(run)

    def user() -> None:
        with recorder.in_flight():
            gevent.sleep(10)

    def quick() -> None:
        with recorder.in_flight():
            gevent.sleep(0)

    stuck = [gevent.spawn(user) for _ in range(3)]
    gevent.joinall([gevent.spawn(quick)])
    gevent.sleep(0.01)
    gevent.killall(stuck)
    recorder.report_in_flight()
    recorder.report_in_flight()  # once only
    events = [e for e in run.read_events() if e["kind"] == "in_flight"]
    assert [e["requests"] for e in events] == [3]
