"""The access-log reader keeps its promise on any input: a model, or one BadInput line naming
the file — never another exception. Fed by hypothesis with raw bytes and with lines in the
combined log's and the CSV's own vocabulary, mangled.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erpcap.analysis.workload import Options, Replay, model_logs
from erpcap.errors import BadInput

FUZZ = settings(
    max_examples=int(os.environ.get("ERPCAP_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

PIECES = [
    '10.0.0.1 - - [02/Nov/2026:10:15:01 +0100] "GET /orders/42 HTTP/1.1" 200 5 "-" "a"',
    '10.0.0.1 - bob [02/Nov/2026:10:15:09 +0100] "POST /orders/42/lines HTTP/1.1" 500 5',
    '::1 - - [31/Dec/1969:23:59:59 -1200] "GET /a.css HTTP/1.0" 200 -',
    '1.2.3.4 - - [02/Nov/2026:10:15:01.5 +0000] "GET http://x/y?z#w HTTP/2" 304 0 "" ""',
    "timestamp,user,operation,status",
    "ts;user;op",
    "2026-11-02T10:15:01Z,u1,GET /orders/1,200",
    "1793585701.5,u2,close_period,",
    "99999999999999999999,u3,/x,abc",
    "nan,u,op",
    '"', "[", "]", "五", "\x00", "\ufeff", "",
]  # fmt: skip

lines = st.lists(
    st.one_of(
        st.sampled_from(PIECES),
        st.sampled_from(PIECES).flatmap(
            lambda p: st.integers(0, max(len(p) - 1, 0)).map(lambda i: p[:i] + p[i + 1 :])
        ),
        st.text(max_size=40),
    ),
    max_size=12,
)


def _promise(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "access.log"
        log.write_bytes(data)
        try:
            doc = model_logs([log], Path(folder) / "out", Options(), Replay(growth=2.0))
        except BadInput as exc:
            line = exc.one_line()
            assert "\n" not in line.strip() and str(log) in line
        else:
            assert doc["requests"] > 0 and (Path(folder) / "out" / "scenario.yaml").is_file()


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes(data: bytes) -> None:
    _promise(data)


@FUZZ
@given(lines)
def test_mangled_lines(chosen: list[str]) -> None:
    _promise("\n".join(chosen).encode("utf-8", "surrogatepass"))
