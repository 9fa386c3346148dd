"""``erpcap size RUN_DIR``: what a target load needs, from an analysed run's capacity."""

from __future__ import annotations

import argparse
import json
import math
import re
from typing import Any

HELP = """\
Size for a target load from an analysed run: the throughput the target needs (users / (R + Z),
or a rate), today's headroom, and — from the measured service demands and the USL fit — the
application cores, workers and nodes and the database cores needed at a utilisation ceiling
(default 70 %), with the assumptions behind each figure. Stores the result in findings.json
(`sizing`) and re-renders report.html / summary.md when they exist.

examples:
  erpcap size runs/latest --target-users 400
  erpcap size runs/latest --target-users 400 --think-time 10 --slo "p95<800ms"
  erpcap size runs/latest --target-rate 6000/h --rate-unit "order lines" --ceiling 0.6
  erpcap size runs/latest --target-rate 20/s --json
"""

_RATE = re.compile(
    r"^\s*(?P<num>\d+(?:\.\d*)?|\.\d+)\s*(?:/\s*(?P<per>s|sec|second|m|min|minute|h|hour|d|day))?"
    r"\s*(?P<unit>[^\d/].*)?$",
    re.I,
)
_PER_S = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60}
_PER_S |= {"h": 3600, "hour": 3600, "d": 86400, "day": 86400}
_SLO = re.compile(
    r"^\s*p\(?\s*95\s*\)?\s*(<=|<)\s*(?P<num>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>ms|s)?\s*$", re.I
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "size",
        help="size the application and database for a target load",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="an analysed run directory")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--target-users", type=int, metavar="N", help="concurrent users to serve")
    target.add_argument(
        "--target-rate",
        metavar="RATE",
        help="a throughput to serve: 6000/h, 100/min, 2.5/s (a bare number is per second)",
    )
    parser.add_argument(
        "--rate-unit",
        metavar="WORDS",
        help='what the rate counts ("order lines"; a transaction or group name of the run '
        "counts that transaction's requests)",
    )
    parser.add_argument(
        "--think-time",
        type=float,
        metavar="S",
        help="think time per user, seconds (default: measured)",
    )
    parser.add_argument(
        "--slo", metavar="EXPR", help='a p95 target for the whole mix: "p95<800ms", "p95<2s"'
    )
    parser.add_argument(
        "--ceiling", type=float, default=0.7, help="utilisation ceiling, 0..1 (default 0.7)"
    )
    parser.add_argument("--json", action="store_true", help="print the sizing block as JSON")
    parser.set_defaults(func=run)


def parse_rate(text: str) -> tuple[float, str | None]:
    """``6000/h order lines`` → (per second, unit words); BadInput when malformed.

    >>> parse_rate("6000/h order lines")
    (1.6666666666666667, 'order lines')
    >>> parse_rate("2.5")
    (2.5, None)
    """
    from erpcap.errors import BadInput

    match = _RATE.match(text)
    if not match:
        raise BadInput(
            f"--target-rate {text!r} is not a rate",
            hint="give a number and a period, e.g. 6000/h, 100/min or 2.5/s",
        )
    if match["unit"] and not match["per"]:
        raise BadInput(
            f"--target-rate {text!r} has no period",
            hint="write the period after a slash: 6000/h order lines, 100/min, 2.5/s",
        )
    value = float(match["num"])
    if value <= 0:
        raise BadInput(f"--target-rate must be more than 0, got {text!r}")
    per = _PER_S[(match["per"] or "s").lower()]
    unit = (match["unit"] or "").strip() or None
    return value / per, unit


def parse_slo(text: str) -> float:
    """``p95<800ms`` → 800.0 (ms); BadInput when malformed.

    >>> parse_slo("p95<800ms"), parse_slo("p(95) <= 2s"), parse_slo("p95<1.5")
    (800.0, 2000.0, 1500.0)
    """
    from erpcap.errors import BadInput

    match = _SLO.match(text)
    if not match or float(match["num"]) <= 0:
        raise BadInput(
            f"--slo {text!r} is not a p95 target", hint='write it as "p95<800ms" or "p95<2s"'
        )
    value = float(match["num"])
    unit = (match["unit"] or "").lower()
    # a bare number is seconds below 60 (p95<1.5), milliseconds from 60 up (p95<800)
    return value if unit == "ms" or (not unit and value >= 60) else value * 1000


def run(args: argparse.Namespace) -> int:
    from erpcap.analysis.capacity.sizing import Target, size
    from erpcap.errors import BadInput
    from erpcap.rundir import FINDINGS, RunDir

    if not (0 < args.ceiling <= 1):
        raise BadInput(f"--ceiling must be above 0 and at most 1, got {args.ceiling}")
    if args.think_time is not None and not (
        math.isfinite(args.think_time) and args.think_time >= 0
    ):
        raise BadInput(f"--think-time must be 0 or more seconds, got {args.think_time}")
    if args.target_users is not None and args.target_users <= 0:
        raise BadInput(f"--target-users must be more than 0, got {args.target_users}")
    rate, unit = parse_rate(args.target_rate) if args.target_rate else (None, None)
    run_dir = RunDir.open(args.run_dir)
    doc = run_dir.read_findings()
    target = Target(
        users=args.target_users,
        think_time_s=args.think_time,
        rate=rate,
        rate_unit=args.rate_unit or unit,
        utilisation_ceiling=args.ceiling,
        slo_p95_ms=parse_slo(args.slo) if args.slo else None,
    )
    block = size(doc, target)
    if block is None or block["target"] is None or not block["target"].get("x"):
        raise BadInput(
            "no capacity to size from: findings.json has no measured step with successful "
            "requests and no service demands",
            path=run_dir.file(FINDINGS),
            hint="record a ladder with resource collectors (erpcap run --shape ladder) and "
            "analyse it",
        )
    doc["sizing"] = block
    run_dir.write_json(FINDINGS, doc)
    written = _rerender(run_dir)
    if args.json:
        print(json.dumps(block, indent=2, ensure_ascii=False))
        return 0
    _print_table(block)
    for path in written:
        print(f"updated: {path}")
    print(f"findings: {run_dir.file(FINDINGS)}")
    return 0


def _rerender(run_dir: Any) -> list[Any]:
    """Render again the reports that exist, in the language the HTML was written in."""
    from erpcap.reports import render_reports

    formats = [
        f
        for f, name in (("html", "report.html"), ("md", "summary.md"))
        if run_dir.file(name).exists()
    ]
    if not formats:
        return []
    lang = "en"
    html = run_dir.file("report.html")
    if html.exists():
        found = re.search(r'<html[^>]*\blang="([^"]+)"', html.read_text(encoding="utf-8")[:2000])
        lang = found.group(1) if found and found.group(1) in ("en", "zh-CN") else "en"
    return list(render_reports(run_dir, lang=lang, formats=formats))


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    number = float(value)
    return (
        f"{number:,.0f}" if number.is_integer() or abs(number) >= 100 else f"{number:,.{digits}f}"
    )


def _print_table(block: dict[str, Any]) -> None:
    today, target, needed = block["today"], block["target"], block["needed"] or {}
    print(block["texts"]["en"])
    print()
    print(f"  {'':<28}{'today':>12}{'target':>12}{'factor':>9}")
    print(f"  {'users':<28}{_num(today.get('users')):>12}{_num(target.get('users')):>12}")
    print(
        f"  {'throughput (req/s)':<28}{_num(today.get('x')):>12}{_num(target.get('x')):>12}"
        f"{_num(target.get('factor'), 2):>9}"
    )
    for row in needed.get("resources") or []:
        name = f"{row['resource']} (units)"
        print(
            f"  {name:<28}{_num(row.get('units_today')):>12}{_num(row.get('units_needed')):>12}"
            f"{_num(row.get('factor'), 2):>9}"
        )
    if needed.get("note"):
        print(f"  {needed['note']['en']}")
    app = needed.get("app")
    if app:
        print(f"  {'application workers':<28}{'':>12}{app['workers']:>12}")
        print(f"  {'application nodes':<28}{1:>12}{_num(app.get('nodes')):>12}")
    usl = needed.get("usl")
    if usl and usl.get("beyond_peak"):
        print("  warning: the target is beyond the USL peak of one instance: scale out")
    print(f"  at a utilisation ceiling of {block['ceiling']:.0%}; assumptions:")
    for item in block["assumptions"]:
        print(f"  - {item['en']}")
