"""``erpcap usl FILE.csv``: fit the Universal Scalability Law to measured users and throughput."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

HELP = """\
Fit the Universal Scalability Law X(N) = λN / (1 + σ(N−1) + κN(N−1)) to measurements: a CSV
with a header and two columns, users and throughput (`n,x` or `users,throughput`; lines
starting with # and blank lines are skipped). Prints σ (contention), κ (coherency), λ (the
throughput of one user) with 95 % intervals, the peak, R², warnings, and predictions beyond
the measured range with their uncertainty; with --think-time also the response time
R = N/X − Z.

examples:
  erpcap usl ladder.csv
  erpcap usl ladder.csv --think-time 4       # predict response times too (seconds)
  erpcap usl ladder.csv --json > usl.json
"""

#: Accepted header spellings (lower case) for the two columns.
_USERS = ("n", "users")
_THROUGHPUT = ("x", "throughput")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "usl",
        help="fit the Universal Scalability Law to users and throughput in a CSV",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", type=Path, metavar="FILE.csv")
    parser.add_argument(
        "--think-time",
        type=float,
        metavar="S",
        help="think time per user, seconds (then predictions include R = N/X − Z)",
    )
    parser.add_argument("--json", action="store_true", help="print the fit as JSON")
    parser.set_defaults(func=run)


def read_points(path: Path) -> tuple[list[float], list[float]]:
    """Users and throughput from a CSV; :class:`~erpcap.errors.BadInput` with file and line."""
    from erpcap.errors import BadInput

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput("no such file", path=path, hint="give a CSV with columns n,x") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read: {exc}", path=path) from None
    users: list[float] = []
    throughput: list[float] = []
    columns: tuple[int, int] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split(",")]
        if columns is None:
            names = [c.lower() for c in cells]
            u = next((names.index(c) for c in _USERS if c in names), None)
            t = next((names.index(c) for c in _THROUGHPUT if c in names), None)
            if u is None or t is None:
                raise BadInput(
                    f"expected a header naming the columns, got {line!r}",
                    path=path,
                    line=number,
                    hint="start the file with the line n,x (or users,throughput)",
                )
            columns = (u, t)
            continue
        if len(cells) <= max(columns):
            raise BadInput(
                f"expected {max(columns) + 1} cells, got {len(cells)}", path=path, line=number
            )
        try:
            n, x = float(cells[columns[0]]), float(cells[columns[1]])
        except ValueError:
            raise BadInput(
                f"not a number in {line!r}", path=path, line=number, hint="cells must be numbers"
            ) from None
        if not (math.isfinite(n) and math.isfinite(x)):
            raise BadInput(f"not a finite number in {line!r}", path=path, line=number)
        if n <= 0:
            raise BadInput(f"users must be more than 0, got {n:g}", path=path, line=number)
        if x < 0:
            raise BadInput(f"throughput must be 0 or more, got {x:g}", path=path, line=number)
        users.append(n)
        throughput.append(x)
    if columns is None:
        raise BadInput("no header and no data", path=path, hint="start with the line n,x")
    if len(users) < 3:
        raise BadInput(
            f"a USL fit needs at least 3 points, got {len(users)}",
            path=path,
            hint="measure at least 6 load levels",
        )
    return users, throughput


def _horizon(max_n: float, peak_n: float | None) -> list[float]:
    """A few N beyond the measured range: 1.5×, 2×, 3× the largest, and the peak if beyond."""
    points = {round(max_n * f) for f in (1.5, 2, 3)}
    if peak_n is not None and peak_n > max_n:
        points.add(round(peak_n))
    return sorted(float(p) for p in points if p > max_n)


def run(args: argparse.Namespace) -> int:
    from erpcap.analysis.capacity.usl import fit_usl
    from erpcap.errors import BadInput

    if args.think_time is not None and not (
        math.isfinite(args.think_time) and args.think_time >= 0
    ):
        raise BadInput(f"--think-time must be 0 or more seconds, got {args.think_time}")
    users, throughput = read_points(args.file)
    fit = fit_usl(users, throughput)
    rows: list[dict[str, Any]] = []
    for n in _horizon(max(users), fit.peak_n):
        p = fit.predict(n)
        row: dict[str, Any] = {"n": n, "x": p.x, "x_low": p.x_low, "x_high": p.x_high}
        if args.think_time is not None:
            r, r_low, r_high = fit.response_time(n, args.think_time)
            row.update({"r": r, "r_low": r_low, "r_high": r_high})
        rows.append(row)
    if args.json:
        print(json.dumps(_as_json(fit, rows, args.think_time), indent=2))
        return 0
    _print_text(fit, rows, args.think_time is not None)
    return 0


def _finite(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None


def _as_json(fit: Any, rows: list[dict[str, Any]], think_time: float | None) -> dict[str, Any]:
    def ci(i: Any) -> dict[str, float | None]:
        return {"value": i.value, "low": _finite(i.low), "high": _finite(i.high)}

    return {
        "points": fit.points,
        "sigma": ci(fit.sigma_ci),
        "kappa": ci(fit.kappa_ci),
        "lambda": ci(fit.lam_ci),
        "r_squared": fit.r_squared,
        "amdahl": fit.amdahl,
        "peak_n": fit.peak_n,
        "peak_x": fit.peak_x,
        "think_time_s": think_time,
        "warnings": list(fit.warnings),
        "predictions": [{k: _finite(v) for k, v in row.items()} for row in rows],
    }


def _band(low: float, high: float) -> str:
    high_text = f"{high:.4g}" if math.isfinite(high) else "∞"
    return f"{low:.4g}–{high_text}"


def _print_text(fit: Any, rows: list[dict[str, Any]], with_r: bool) -> None:
    print(f"USL fit on {fit.points} points, R² = {fit.r_squared:.4f}")
    for name, meaning, i in (
        ("σ", "contention", fit.sigma_ci),
        ("κ", "coherency", fit.kappa_ci),
        ("λ", "throughput of one user", fit.lam_ci),
    ):
        print(f"  {name} = {i.value:.4g}  (95 % {_band(i.low, i.high)})  {meaning}")
    if fit.peak_n is not None:
        print(f"  peak: X ≈ {fit.peak_x:.4g} at N ≈ {fit.peak_n:.4g}; beyond it throughput falls")
    elif fit.peak_x is not None:
        print(f"  κ = 0 (Amdahl): no peak; throughput approaches λ/σ ≈ {fit.peak_x:.4g}")
    else:
        print("  σ = κ = 0: throughput grows linearly, no limit visible in these measurements")
    for warning in fit.warnings:
        print(f"  warning: {warning}")
    if rows:
        print("predicted beyond the measured range (95 % band):")
        header = f"  {'N':>8}  {'X':>10}  {'X band':>19}"
        if with_r:
            header += f"  {'R (s)':>10}  {'R band':>19}"
        print(header)
        for row in rows:
            line = f"  {row['n']:>8g}  {row['x']:>10.4g}  {_band(row['x_low'], row['x_high']):>19}"
            if with_r:
                line += f"  {row['r']:>10.4g}  {_band(row['r_low'], row['r_high']):>19}"
            print(line)
        if with_r and any(row["r"] < 0 for row in rows):
            print(
                "  note: R below 0 means the think time exceeds N/X; check X's unit is per second"
            )
