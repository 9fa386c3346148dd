"""What-if: ``erpcap whatif`` on the reference ERP on PostgreSQL, and the sizing check.

Runs ``erpcap whatif`` (legacy, each lever alone — the replica lever needs a second
database and is left out —, all levers on) with one ladder, and reports per configuration
the capacity at p95 ≤ the target (users and successful req/s, interpolated between steps)
and its gain against legacy, in one run.

Then the sizing check on the legacy run: a USL fit (analysis/capacity/usl.py) of the
ladder's steps up to half the measured knee predicts the users at the p95 target, which is
compared with what the full ladder measured (goal: within 15 %). The prediction: R(N) =
N / X(N) − Z with Z from Little's law on the same lower steps, and the p95 as R times the
p95/mean ratio those steps showed. The knee is ``capacity.knee.users`` when the analysis
gives one, else the measured users at the target; the full ladder's own ``capacity.usl``
``slo_users`` is shown beside when present.

    .venv/bin/python benchmarks/bench_whatif.py [--scale 1] [--steps 1,2,3,4,6,8,12,16,24,32,48]
        [--step-seconds 12] [--slo-p95-ms 500] [--db postgresql://postgres@127.0.0.1:5432/erpcap_bench]
        [--from WHATIF_FOLDER] [--write-docs]

Not a timed test: it prints the figures and, with ``--write-docs``, writes them into
docs/benchmarks.md ("What-if").
"""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from erpcap.analysis.capacity.usl import fit_usl
from erpcap.whatif import refresh
from erpcap.whatif_capacity import capacity_at_slo

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
GOAL = 0.15


def run_whatif(
    args: argparse.Namespace, out: Path, extra: list[str]
) -> tuple[Path, float, list[str]]:
    argv = [
        sys.executable, "-m", "erpcap", "whatif", "--out", str(out), "--db", args.db,
        "--scale", str(args.scale), "--step-seconds", str(args.step_seconds),
        "--slo-p95-ms", str(args.slo_p95_ms), *extra,
    ]  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(argv, stdout=subprocess.PIPE, text=True, timeout=4 * 3600)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"erpcap whatif failed ({result.returncode}): {result.stdout[-2000:]}")
    line = next(x for x in result.stdout.splitlines() if x.startswith("results:"))
    shown = ["erpcap", *argv[3:]]
    shown[shown.index("--out") + 1] = "runs"
    return Path(line.split(None, 1)[1]).parent, elapsed, shown


def command_of(folder: Path, db: str) -> tuple[float, list[str]]:
    """The wall time and the command of an earlier whatif, from its whatif.json."""
    doc = json.loads((folder / "whatif.json").read_text(encoding="utf-8"))
    elapsed = (
        datetime.fromisoformat(doc["ended_at"]) - datetime.fromisoformat(doc["started_at"])
    ).total_seconds()
    levers = [c["lever"] for c in doc["configurations"] if c.get("lever")]
    cmd = [
        "erpcap", "whatif", "--out", "runs", "--db", doc.get("db_url") or db,
        "--scale", f"{doc['scale']:g}", "--steps", ",".join(map(str, doc["steps"])),
        "--step-seconds", f"{doc['step_seconds']:g}", "--slo-p95-ms", f"{doc['slo_p95_ms']:g}",
        "--think-scale", f"{doc['think_scale']:g}",
    ]  # fmt: skip
    if "all" not in doc.get("configurations_planned", []):
        cmd += ["--levers", ",".join(levers), "--no-all"]
    return elapsed, cmd


def _predict_slo_users(
    x_of: Callable[[float], float], think_s: float, ratio: float, target_ms: float
) -> float | None:
    """The largest N (to 0.01) whose predicted p95 = ratio · (N / X(N) − Z) is within target."""

    def p95_ms(n: float) -> float:
        x = x_of(n)
        return math.inf if x <= 0 else ratio * max(n / x - think_s, 0.0) * 1000.0

    if p95_ms(1.0) > target_ms:
        return None
    lo, hi = 1.0, 2.0
    while p95_ms(hi) <= target_ms:
        lo, hi = hi, hi * 2
        if hi > 1e6:
            return None
    while hi - lo > 0.01:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if p95_ms(mid) <= target_ms else (lo, mid)
    return round(lo, 2)


def demand_knee(lower: list[dict[str, Any]], cpu_count: int) -> dict[str, Any] | None:
    """The operational-law knee N* = X_max · (R₀ + Z) from the lower steps: the CPU demand
    per successful request of the watched processes (ERP, database, load generator), the
    cores they had (the host's less what other processes took), X_max = cores / demand."""
    demands, spare, think, r0 = [], [], [], None
    for s in lower:
        res = s.get("resources") or {}
        roles = res.get("cpu_by_role") or {}
        if not roles or res.get("host_cpu") is None:
            continue
        ours = sum(roles.values()) / 100.0  # cores
        others = max(res["host_cpu"] / 100.0 * cpu_count - ours, 0.0)
        demands.append(ours / s["ok_rps"])
        spare.append(cpu_count - others)
        think.append(max(s["users"] / s["ok_rps"] - s["mean_ms"] / 1000, 0.0))
        r0 = s["mean_ms"] / 1000 if r0 is None else r0
    if not demands or r0 is None:
        return None
    demand = sorted(demands)[len(demands) // 2]
    cores = sorted(spare)[len(spare) // 2]
    x_max = cores / demand
    z = sum(think) / len(think)
    return {
        "demand_core_s": round(demand, 5),
        "cores": round(cores, 3),
        "x_max": round(x_max, 2),
        "knee_users": round(x_max * (r0 + z), 2),
    }


def sizing_check(legacy: dict[str, Any], target_ms: float, cpu_count: int = 2) -> dict[str, Any]:
    """The USL prediction from the lower half of the ladder against the full ladder."""
    steps = sorted(
        (s for s in legacy["steps"] if s.get("measured") and s.get("ok_rps")),
        key=lambda s: s["users"],
    )
    measured = capacity_at_slo(steps, target_ms)
    capacity = legacy.get("capacity") or {}
    knee = (capacity.get("knee") or {}).get("users")
    basis = "capacity.knee" if knee else "users at the target"
    knee = knee or measured["users"]
    out: dict[str, Any] = {"measured": measured, "knee_users": knee, "knee_basis": basis}
    others = [
        max(
            s["resources"]["host_cpu"] / 100 * cpu_count
            - sum(s["resources"]["cpu_by_role"].values()) / 100,
            0.0,
        )
        for s in steps
        if (s.get("resources") or {}).get("host_cpu") is not None
        and (s.get("resources") or {}).get("cpu_by_role")
    ]
    out["cpu_count"] = cpu_count
    out["others_cores"] = round(sum(others) / len(others), 2) if others else None
    out["full_usl_slo_users"] = (capacity.get("usl") or {}).get("slo_users")
    if not knee:
        return {**out, "note": "no knee measured: nothing to check against"}
    lower = [s for s in steps if s["users"] <= knee / 2]
    if len(lower) < 3:
        lower = steps[:3]
        out["note"] = "fewer than 3 steps below half the knee: the first 3 steps were used"
    fit = fit_usl([s["users"] for s in lower], [s["ok_rps"] for s in lower])
    think = [s["users"] / s["ok_rps"] - s["mean_ms"] / 1000 for s in lower if s.get("mean_ms")]
    ratios = [s["p95_ms"] / s["mean_ms"] for s in lower if s.get("mean_ms")]
    think_s = max(sum(think) / len(think), 0.0)
    ratio = sorted(ratios)[len(ratios) // 2]
    predicted = _predict_slo_users(fit.x, think_s, ratio, target_ms)
    error = None
    if predicted is not None and measured["users"]:
        error = (predicted - measured["users"]) / measured["users"]
    laws = demand_knee(lower, cpu_count)
    if laws and knee:
        laws["error"] = round((laws["knee_users"] - knee) / knee, 4)
        laws["within_goal"] = abs(laws["error"]) <= GOAL
    if laws and fit.peak_x is None and measured["users"]:
        # No limit in the lower steps' own fit (linear): anchor the USL's contention on the
        # demand ceiling instead (Amdahl, λ / σ = X_max) and predict the target's users.
        sigma = min(fit.lam / laws["x_max"], 1.0)

        def amdahl(n: float) -> float:
            return float(fit.lam * n / (1 + sigma * (n - 1)))

        anchored = _predict_slo_users(amdahl, think_s, ratio, target_ms)
        laws["anchored_sigma"] = round(sigma, 5)
        laws["anchored_slo_users"] = anchored
        if anchored is not None:
            laws["anchored_error"] = round((anchored - measured["users"]) / measured["users"], 4)
    return {
        **out,
        "operational_laws": laws,
        "lower_steps": [s["users"] for s in lower],
        "fit": {"sigma": fit.sigma, "kappa": fit.kappa, "lambda": fit.lam,
                "r_squared": fit.r_squared, "peak_n": fit.peak_n, "warnings": list(fit.warnings)},
        "think_s": round(think_s, 4),
        "p95_over_mean": round(ratio, 3),
        "predicted_slo_users": predicted,
        "error": None if error is None else round(error, 4),
        "within_goal": None if error is None else abs(error) <= GOAL,
    }  # fmt: skip


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return "–"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def docs_section(
    doc: dict[str, Any],
    check: dict[str, Any],
    elapsed: float,
    cmd: list[str],
    sizing: tuple[float, list[str]],
) -> str:
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = [
        "## What-if",
        "",
        f"Measured on {day} on this machine (2 cores shared with other work; PostgreSQL 15 on "
        "127.0.0.1, the load generator, the ERP, the database, Redis and RabbitMQ on the same "
        f"cores). `erpcap whatif` took {elapsed / 60:.1f} min wall, the sizing ladder "
        f"{sizing[0] / 60:.1f} min. Commands:",
        "",
        "```",
        ".venv/bin/python benchmarks/bench_whatif.py --write-docs   # runs these two:",
        " ".join(cmd),
        " ".join(sizing[1]),
        "```",
        "",
        f"Capacity at p95 ≤ {doc['slo_p95_ms']:g} ms (overall p95 of the demo mix; the largest "
        "users and successful req/s within the target, interpolated between steps; "
        "≥: the top step was within), each configuration on a fresh copy of the same seeded database "
        f"(scale {doc['scale']:g}), ladder {' → '.join(map(str, doc['steps']))} users, "
        f"{doc['step_seconds']:g} s per step:",
        "",
        "| configuration | users at target | ok req/s at target | gain (users) | gain (req/s) "
        "| peak ok req/s | plan's estimate |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c in doc["configurations"]:
        cap, g = c.get("capacity") or {}, c.get("gain") or {}
        bound = "≥ " if cap.get("basis") == "at_least" else ""
        est = c.get("plan_estimate")
        est_text = "–" if not c.get("lever") else (
            f"#{est['rank']} {est['id']}" + (f", ×{est['capacity_factor']:.2f}"
                                             if est.get("capacity_factor") else "")
            if est else ("not recommended" if doc.get("plan_available") else "no plan")
        )  # fmt: skip
        lines.append(
            f"| {c['name']} | {bound}{_fmt(cap.get('users'))} | {_fmt(cap.get('ok_rps'))} "
            f"| {_fmt(g.get('users'), 2)} | {_fmt(g.get('ok_rps'), 2)} "
            f"| {_fmt(c.get('peak_ok_rps'))} | {est_text} |"
            if c.get("status") == "completed"
            else f"| {c['name']} | failed: {c.get('reason')} | | | | | |"
        )
    ranking = ", ".join(f"{r['rank']}. {r['lever']}" for r in doc.get("ranking") or [])
    lines += ["", f"Levers ranked by the capacity each bought: {ranking}."]
    pc = doc.get("plan_check") or {}
    if pc.get("agrees") is not None:
        lines.append(
            f"The legacy plan's top recommendation ({pc['top_recommendation']}) "
            f"{'is' if pc['agrees'] else 'is not'} the lever that measured best "
            f"({pc['best_measured']})."
        )
    elif pc.get("note"):
        lines.append(f"Plan check: {pc['note']['en']}.")
    for s in doc.get("skipped") or []:
        lines.append(f"Skipped {s['lever']}: {s['why']['en']}.")
    if check.get("others_cores") is not None:
        lines += [
            "",
            f"Processes outside the watched ERP, database server and load generator took "
            f"{check['others_cores']:.2f} of the {check['cpu_count']} cores on average during "
            "the legacy ladder: other work on the shared machine, and the database's "
            "short-lived backends (legacy opens a connection per request, and a backend that "
            "lives for one request escapes the per-process sampling). The figures are this "
            "machine's on that day; a lever whose gain is within a few tenths of ×1 did not "
            "measurably help.",
        ]
    lines += [
        "",
        "Sizing from half the ladder: the second command's legacy run, a finer ladder "
        f"({' → '.join(map(str, check['ladder']))} users) with think times scaled by "
        f"{check['think_scale']:g} rather than {doc['think_scale']:g}, so that the knee lies at "
        "enough users for half of it to hold several steps: " + sizing_text(check),
        "",
    ]
    return "\n".join(lines) + "\n"


def sizing_text(check: dict[str, Any]) -> str:
    if "predicted_slo_users" not in check:
        return check.get("note", "not computed") + "."
    fit = check["fit"]
    err = check["error"]
    verdict = (
        "no prediction"
        if err is None
        else f"error {err * 100:+.1f} % ({'within' if check['within_goal'] else 'outside'} "
        f"the {GOAL * 100:.0f} % goal)"
    )
    text = (
        f"a USL fit of the steps at {', '.join(map(str, check['lower_steps']))} users "
        f"(knee {_fmt(check['knee_users'])} users, from {check['knee_basis']}; σ = "
        f"{fit['sigma']:.4g}, κ = {fit['kappa']:.4g}, λ = {fit['lambda']:.4g}, R² = "
        f"{fit['r_squared']:.3f}), with Z = {check['think_s']:.3f} s from Little's law and "
        f"p95 = {check['p95_over_mean']:.2f} × mean, predicts "
        f"{_fmt(check['predicted_slo_users'])} users at the target; the full ladder measured "
        f"{_fmt(check['measured']['users'])}: {verdict}."
    )
    laws = check.get("operational_laws")
    if laws:
        text += (
            f" The operational laws on the same steps (CPU demand {laws['demand_core_s']:.4f} "
            f"core-s per successful request, {laws['cores']:.2f} cores left by other processes, "
            f"X_max = {laws['x_max']:.1f} req/s, knee N* = X_max · (R₀ + Z)) predict a knee at "
            f"{laws['knee_users']:.1f} users against {_fmt(check['knee_users'])}: error "
            f"{laws['error'] * 100:+.1f} % ({'within' if laws['within_goal'] else 'outside'} "
            f"the goal)."
        )
    if laws and laws.get("anchored_error") is not None:
        text += (
            f" Anchoring the USL's contention on that ceiling (Amdahl, σ = λ / X_max = "
            f"{laws['anchored_sigma']:.4g}) predicts {laws['anchored_slo_users']:.1f} users at "
            f"the target: error {laws['anchored_error'] * 100:+.1f} % "
            f"({'within' if abs(laws['anchored_error']) <= GOAL else 'outside'} the goal)."
        )
    if check.get("full_usl_slo_users") is not None:
        text += f" The full ladder's own USL fit gives {_fmt(check['full_usl_slo_users'])} users."
    if check.get("note"):
        text += f" Note: {check['note']}."
    return text


def write_docs(section: str) -> None:
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    text = re.sub(r"\n## What-if\n.*?(?=\n## |\Z)", "\n", text, flags=re.S).rstrip() + "\n"
    DOCS.write_text(text + "\n" + section, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/erpcap_bench")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--steps", default="1,2,3,4,6,8,12,16,24,32,48")
    parser.add_argument("--step-seconds", type=float, default=12.0)
    parser.add_argument("--slo-p95-ms", type=float, default=500.0)
    parser.add_argument("--levers", help="default: every lever (replica is left out)")
    parser.add_argument("--from", dest="source", type=Path, help="an existing whatif folder")
    parser.add_argument(
        "--sizing-steps", default="2,4,6,8,10,12,16,20,24,32,40,48",
        help="the legacy ladder of the sizing check (finer and longer: a knee at more users)",
    )  # fmt: skip
    parser.add_argument("--sizing-think-scale", type=float, default=0.1)
    parser.add_argument("--sizing-from", type=Path, help="an existing whatif folder for sizing")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="erpcap-whatif-"))
    if args.source:
        folder = args.source
        elapsed, cmd = command_of(folder, args.db)
    else:
        extra = ["--steps", args.steps] + (["--levers", args.levers] if args.levers else [])
        folder, elapsed, cmd = run_whatif(args, tmp, extra)
    if args.sizing_from:
        sizing_folder = args.sizing_from
        sizing_elapsed, sizing_cmd = command_of(sizing_folder, args.db)
    else:
        extra = ["--steps", args.sizing_steps, "--think-scale", str(args.sizing_think_scale),
                 "--levers", "indexes", "--no-all"]  # fmt: skip
        sizing_folder, sizing_elapsed, sizing_cmd = run_whatif(args, tmp, extra)
    # Recomputed from the run directories by this erpcap (the same as written, unless the
    # code changed since).
    doc = refresh(folder)
    legacy = json.loads((sizing_folder / "legacy" / "findings.json").read_text(encoding="utf-8"))
    meta = json.loads((sizing_folder / "legacy" / "run.json").read_text(encoding="utf-8"))
    cpus = int((meta.get("host") or {}).get("cpu_count") or 1)
    check = sizing_check(legacy, float(doc["slo_p95_ms"]), cpus)
    print(json.dumps({"folder": str(folder), "elapsed_s": elapsed, "ranking": doc["ranking"],
                      "plan_check": doc["plan_check"], "sizing": check}, indent=1, default=str))  # fmt: skip
    sizing_doc = json.loads((sizing_folder / "whatif.json").read_text(encoding="utf-8"))
    check["ladder"] = sizing_doc["steps"]
    check["think_scale"] = sizing_doc["think_scale"]
    section = docs_section(doc, check, elapsed, cmd, (sizing_elapsed, sizing_cmd))
    print(section)
    if args.write_docs:
        write_docs(section)
        print(f"written: {DOCS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
