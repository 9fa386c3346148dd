"""``erpcap model ACCESS_LOG…``: the real workload from access logs, written to replay it."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

HELP = """\
Measure the real workload from access logs and write what replays it: the transaction mix by
route (ids, numbers, UUIDs and hashes in paths become {id}; query strings dropped; static
assets and health checks left out), the peak-minute and peak-hour arrival rates, the
concurrent sessions (a user's requests with gaps under --session-timeout), the think times
between a session's requests (quantiles, not only the mean), the day's profile by hour, and
the answers by status.

Reads nginx/Apache combined or common logs, or a CSV with the header timestamp,user,operation
(ISO or epoch timestamps; operations like "GET /orders/12" or names); gzip too; several
files are merged by time. Lines that do not parse are counted and shown, not fatal; a file
with no parsable line stops with exit code 2.

Writes into --out: scenario.yaml (+ feeders/*.csv), rate-peak.yaml (the busiest minute's
rate × growth, constant for --peak-duration), rate-day.yaml (the day's profile × growth,
compressed), users-peak.yaml (peak concurrent sessions × growth, a closed-model shape),
model.json and model.md (with the exact `erpcap run` commands). See docs/workload-model.md.

examples:
  erpcap model /var/log/nginx/access.log /var/log/nginx/access.log.*.gz --growth 3x
  erpcap model access.log --growth +50% --out models/2026-11 --top 30
  erpcap model operations.csv --format csv --session-timeout 15m --compress 24m
  erpcap run --target http://127.0.0.1:8000 --scenario models/2026-11/scenario.yaml \\
      --rate models/2026-11/rate-peak.yaml
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "model",
        help="measure the workload from access logs; write a scenario and shapes to replay it",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("logs", nargs="+", type=Path, metavar="ACCESS_LOG")
    parser.add_argument(
        "--growth",
        default="1x",
        help="scale the replay for next year's peak: 3x, 3 or +200%% (default 1x)",
    )
    parser.add_argument(
        "--out", type=Path, help="folder to write into (default: runs/model-<timestamp>)"
    )
    parser.add_argument(
        "--format",
        default="auto",
        choices=("auto", "combined", "csv"),
        help="input format (default auto: told per file by its first lines)",
    )
    parser.add_argument(
        "--session-timeout",
        default="30m",
        metavar="D",
        help="a gap this long ends a session (default 30m)",
    )
    parser.add_argument(
        "--top", type=int, default=20, metavar="N", help="routes kept; the rest is 'other' (20)"
    )
    parser.add_argument(
        "--compress",
        default="24m",
        metavar="D|Nx",
        help="rate-day.yaml replays the 24-hour day in this time (24m, the default) or N× faster",
    )
    parser.add_argument(
        "--peak-duration",
        default="10m",
        metavar="D",
        help="how long rate-peak.yaml and users-peak.yaml hold the peak (default 10m)",
    )
    parser.add_argument(
        "--feeder-rows",
        type=int,
        default=1000,
        metavar="N",
        help="ids kept per route in feeders/*.csv, the most requested first (default 1000)",
    )
    parser.add_argument(
        "--keep-static",
        action="store_true",
        help="count static assets (.css, .js, images, fonts) and health checks as requests",
    )
    parser.add_argument(
        "--lang", default="en", choices=("en", "zh-CN"), help="model.md's language (default en)"
    )
    parser.set_defaults(func=run)


def parse_compress(text: str) -> float:
    """The day's speed-up: ``60x``, or the time the 24-hour day takes (``24m`` = 60×).

    >>> parse_compress("24m"), parse_compress("60x"), parse_compress("1x")
    (60.0, 60.0, 1.0)
    """
    from erpcap.errors import BadInput
    from erpcap.scenarios.shapes import parse_duration

    hint = "write the day's replay length (24m) or a speed-up (60x)"
    value = text.strip().lower()
    if value.endswith("x"):
        try:
            factor = float(value[:-1])
        except ValueError:
            raise BadInput(f"--compress {text!r} is not a speed-up", hint=hint) from None
    else:
        factor = 86_400 / parse_duration(value, what="--compress")
    if not (factor >= 1 and factor < float("inf")):
        raise BadInput(f"--compress {text!r} must replay the day at least as fast", hint=hint)
    return factor


def run(args: argparse.Namespace) -> int:
    from erpcap.analysis.workload import Options, Replay, model_logs, parse_growth
    from erpcap.errors import BadInput
    from erpcap.progress import Progress
    from erpcap.rundir import utcnow
    from erpcap.scenarios.shapes import parse_duration

    growth = parse_growth(args.growth)
    if args.top < 1:
        raise BadInput(f"--top must be at least 1, got {args.top}")
    if args.feeder_rows < 1:
        raise BadInput(f"--feeder-rows must be at least 1, got {args.feeder_rows}")
    options = Options(
        format=args.format,
        session_timeout_s=parse_duration(args.session_timeout, what="--session-timeout"),
        top=args.top,
        keep_static=args.keep_static,
        feeder_rows=args.feeder_rows,
    )
    replay = Replay(
        growth=growth,
        compress=parse_compress(args.compress),
        peak_duration_s=parse_duration(args.peak_duration, what="--peak-duration"),
    )
    out = args.out or Path("runs") / f"model-{utcnow().strftime('%Y-%m-%dT%H-%M-%S')}"
    progress = Progress()
    started = time.monotonic()

    def report(path: Path, lines: int, done: int, size: int) -> None:
        share = f", {done / size:.0%}" if size else ""
        progress.status(
            f"{path.name}: {lines:,} lines{share}",
            key=str(path),
            elapsed=time.monotonic() - started,
        )

    if out.exists() and not out.is_dir():
        raise BadInput(
            "--out is a file, not a folder", path=out, hint="give a folder to write into"
        )
    doc = model_logs(args.logs, out, options, replay, report, lang=args.lang)
    _summary(doc, out)
    return 0


def _summary(doc: dict[str, Any], out: Path) -> None:
    arrivals, sessions, think = doc["arrivals"], doc["sessions"], doc["think_time_s"]
    inputs, replay = doc["inputs"], doc["replay"]
    minute, hour = arrivals["peak_minute"], arrivals["peak_hour"]
    print(
        f"{doc['requests']:,} requests; busiest minute {minute['start']} "
        f"{minute['rate_per_s']:.3g}/s, busiest hour {hour['start']} {hour['rate_per_s']:.3g}/s"
    )
    print(
        f"{sessions['count']:,} sessions, peak {sessions['concurrency']['peak']:,} concurrent; "
        f"think time mean {think.get('mean', 0):.3g} s, median {think.get('p50', 0):.3g} s"
    )
    if inputs["unparsable"]:
        print(f"{inputs['unparsable']:,} lines did not parse, e.g.:")
        for example in inputs["unparsable_examples"]:
            print(f"  {example}")
    for warning in inputs["warnings"]:
        print(f"warning: {warning}")
    print(
        f"wrote {out}/ (growth {replay['growth']:g}: {replay['rate_peak_per_s']:.4g}/s, "
        f"{replay['users_peak']:,} users); replay with:"
    )
    scenario, rate = out / "scenario.yaml", out / "rate-peak.yaml"
    print(f"  erpcap run --target URL --scenario {scenario} --rate {rate}")
