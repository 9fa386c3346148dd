"""``erpcap whatif``: measure what each lever of the reference ERP buys.

The reference ERP is seeded once; then for each configuration — ``legacy``, each lever on
alone, all of them on — a copy of the seeded database is made
(:class:`~erpcap.whatif_db.Databases`), the ERP is started on it, the same ladder is driven
through it (:func:`erpcap.demo.record_reference`, as ``erpcap demo`` does), the ERP is
stopped, and the run is analysed into its own run directory. The parent folder gets
``whatif.json``, ``whatif.md`` and ``whatif.html``
(:mod:`erpcap.whatif_report`): the capacity at the response-time target per configuration,
the gain against legacy, the levers ranked, and the legacy run's plan beside them.

Ctrl-C (or SIGTERM) stops the load and the ERP, writes whatif.json with the configurations
that finished, drops the databases and ends with the interrupt.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from erpcap.demo import record_reference
from erpcap.errors import ErpcapError
from erpcap.facts import redact_url
from erpcap.pipeline import analyze_and_report, require_requests, sigterm_as_interrupt
from erpcap.progress import Progress
from erpcap.reference import seed
from erpcap.rundir import RunDir, iso, run_folder_name
from erpcap.whatif_capacity import capacity_at_slo, gain
from erpcap.whatif_config import (
    QUICK,
    Configuration,
    WhatifPlan,
    configurations,
    parse_levers,
    parse_steps,
)
from erpcap.whatif_db import Databases
from erpcap.whatif_report import build_doc, write_outputs


def _slo(target_ms: float) -> Any:
    """The analysis SLO: every transaction group held to the one p95 target."""
    from erpcap.analysis.rules import Slo

    groups = Slo().p95_ms
    return Slo(p95_ms={group: target_ms for group in groups})


def _summary(
    config: Configuration, run: RunDir, doc: dict[str, Any], target_ms: float
) -> dict[str, Any]:
    """One configuration's line of whatif.json, from its findings."""
    capacity = doc.get("capacity") or {}
    usl = capacity.get("usl") or {}
    steps = [
        {
            "users": s.get("users"),
            "p95_ms": s.get("p95_ms"),
            "ok_rps": s.get("ok_rps"),
            "error_rate": s.get("error_rate"),
            "measured": bool(s.get("measured")),
        }
        for s in doc.get("steps") or []
    ]
    return {
        "name": config.name,
        "lever": config.lever,
        "overrides": list(config.overrides),
        "status": "completed",
        "run_dir": run.path.name,
        "verdict": (doc.get("verdict") or {}).get("status"),
        "steps": steps,
        "capacity": capacity_at_slo(doc.get("steps") or [], target_ms),
        "peak_ok_rps": (capacity.get("peak") or {}).get("ok_rps"),
        "usl": {
            "fitted": bool(usl.get("fitted")),
            "slo_users": usl.get("slo_users"),
            "peak_n": usl.get("peak_n"),
            "sigma": usl.get("sigma"),
            "kappa": usl.get("kappa"),
        }
        if usl
        else None,
    }


def _one(
    config: Configuration, folder: Path, dbs: Databases, plan: WhatifPlan, progress: Progress
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Run and analyse one configuration; its summary and its findings (None if it failed)."""
    run = RunDir.create(
        folder / config.name,
        erp={"profile": "legacy", "levers": list(config.overrides), "scale": plan.scale},
    )
    try:
        url = dbs.copy(config.name, run.path)
        status = record_reference(
            run,
            url,
            steps=[(u, plan.step_seconds) for u in plan.steps],
            think_scale=plan.think_scale,
            progress=progress,
            levers=config.overrides,
            replica_db=plan.replica_db,
        )
        if status == "interrupted":
            raise KeyboardInterrupt
        require_requests(run)
        analyze_and_report(run, progress, slo=_slo(plan.slo_p95_ms))
    except ErpcapError as exc:
        progress.stage(f"{config.name}: failed — {exc.one_line()}")
        failed = {"name": config.name, "lever": config.lever, "overrides": list(config.overrides)}
        return {
            **failed,
            "status": "failed",
            "reason": exc.one_line(),
            "run_dir": run.path.name,
        }, None
    doc = run.read_findings()
    return _summary(config, run, doc, plan.slo_p95_ms), doc


def run_whatif(out: Path, *, db: str | None, plan: WhatifPlan, progress: Progress) -> Path:
    """Run every configuration of ``plan`` into a new folder under ``out``; return it.

    Raises KeyboardInterrupt after writing the partial results when stopped.
    """
    folder = out / run_folder_name("whatif")
    n = 2
    while folder.exists():
        folder = out / f"{run_folder_name('whatif')}-{n}"
        n += 1
    dbs = Databases(db, folder)  # checks --db before anything is made
    configs, skipped = configurations(plan)
    folder.mkdir(parents=True)
    progress.stage(f"whatif folder {folder}")
    for s in skipped:
        progress.stage(f"skipping {s.lever}: {s.why['en']}")
    meta: dict[str, Any] = {
        "started_at": iso(),
        "db": dbs.kind,
        "db_url": redact_url(db) if db else None,
        "scale": plan.scale,
        "steps": list(plan.steps),
        "step_seconds": plan.step_seconds,
        "slo_p95_ms": plan.slo_p95_ms,
        "think_scale": plan.think_scale,
        "configurations_planned": [c.name for c in configs],
        "skipped": [{"lever": s.lever, "why": s.why} for s in skipped],
    }
    results: list[dict[str, Any]] = []
    legacy_doc: dict[str, Any] | None = None
    status = "failed"  # until the loop ends, or the interrupt says otherwise
    try:
        with sigterm_as_interrupt():
            _seed(folder, dbs, plan, progress)
            for i, config in enumerate(configs, start=1):
                label = " ".join(config.overrides) or "all levers off"
                progress.stage(f"configuration {i}/{len(configs)}: {config.name} ({label})")
                summary, doc = _one(config, folder, dbs, plan, progress)
                results.append(summary)
                if config.name == "legacy":
                    legacy_doc = doc
                _tell(progress, summary, results, plan.slo_p95_ms)
                write_outputs(folder, build_doc(meta, results, legacy_doc, status="running"))
            status = "completed"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        meta["ended_at"] = iso()
        write_outputs(folder, build_doc(meta, results, legacy_doc, status=status))
        if not plan.keep:
            left = dbs.drop_all()
            if left:
                progress.stage(f"could not remove: {', '.join(left)}")
    return folder


def refresh(folder: Path) -> dict[str, Any]:
    """Rebuild a whatif folder's results from its run directories' findings (after they
    were analysed again, or with a newer erpcap), write them, and return the document."""
    import json

    doc = json.loads((folder / "whatif.json").read_text(encoding="utf-8"))
    meta = {k: v for k, v in doc.items() if k not in _DERIVED}
    results: list[dict[str, Any]] = []
    legacy: dict[str, Any] | None = None
    for old in doc.get("configurations") or []:
        if old.get("status") != "completed":
            results.append({k: v for k, v in old.items() if k not in ("gain", "plan_estimate")})
            continue
        run = RunDir.open(folder / old["run_dir"])
        findings = run.read_findings()
        config = Configuration(old["name"], tuple(old.get("overrides") or ()), old.get("lever"))
        results.append(_summary(config, run, findings, float(doc["slo_p95_ms"])))
        legacy = findings if old["name"] == "legacy" else legacy
    fresh = build_doc(meta, results, legacy, status=str(doc.get("status")))
    write_outputs(folder, fresh)
    return fresh


#: Keys of whatif.json that :func:`build_doc` derives (not settings).
_DERIVED = (
    "whatif_version",
    "status",
    "plan_available",
    "configurations",
    "ranking",
    "plan_check",
)


def _seed(folder: Path, dbs: Databases, plan: WhatifPlan, progress: Progress) -> None:
    url = dbs.seed_url()
    progress.stage(f"seeding the reference ERP once (scale {plan.scale})")
    seed(url, scale=plan.scale, log_path=folder / "logs" / "seed.log", progress=progress)


def _tell(
    progress: Progress, summary: dict[str, Any], results: list[dict[str, Any]], target_ms: float
) -> None:
    """One line: the configuration's capacity at the target, and its gain against legacy."""
    cap = summary.get("capacity") or {}
    if summary.get("status") != "completed":
        return
    users, rps = cap.get("users"), cap.get("ok_rps")
    bound = "≥ " if cap.get("basis") == "at_least" else ""
    base = (results[0].get("capacity") or {}).get("users") if results else None
    times = gain(users, base)
    versus = (
        f" (×{times:.2f} legacy's users)"
        if times is not None and summary["name"] != "legacy"
        else ""
    )
    progress.stage(
        f"{summary['name']}: at p95 ≤ {target_ms:g} ms, {bound}"
        f"{users if users is not None else '?'} users, "
        f"{rps if rps is not None else '?'} successful req/s{versus}"
    )


__all__: Sequence[str] = (
    "QUICK",
    "Configuration",
    "WhatifPlan",
    "configurations",
    "parse_levers",
    "parse_steps",
    "refresh",
    "run_whatif",
)
