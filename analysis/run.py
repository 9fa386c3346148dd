"""``analyze_run``: from a run directory's tables to ``findings.json`` and ``intervals.parquet``.

The statistics come from every request (requests.parquet) or, for load results imported
without per-request rows, from the load tool's own statistics (load_stats.parquet; see
:mod:`erpcap.analysis.load_stats`); rules, capacity and the verdict judge either the same way.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from erpcap.analysis.arrivals import annotate_steps, arrivals_block
from erpcap.analysis.capacity.assess import assess
from erpcap.analysis.capacity.bottleneck import attribute
from erpcap.analysis.capacity.sizing import size
from erpcap.analysis.latency import with_response
from erpcap.analysis.load_stats import from_load_stats
from erpcap.analysis.measured import REQUEST_COLUMNS, Measured, from_requests
from erpcap.analysis.plan import alert_rules, make_plan
from erpcap.analysis.resources import summarize
from erpcap.analysis.rules import MIN_SAMPLES, Context, Rule, Slo, registered_rules
from erpcap.analysis.rules.run import STATUS_WORDS, stopped_early
from erpcap.analysis.sql.run import sql_findings
from erpcap.analysis.sql_summary import summarize as summarize_sql
from erpcap.analysis.verdict import verdict
from erpcap.analysis.windows import databases, window
from erpcap.errors import BadInput, RunDirError
from erpcap.findings import LANGUAGES, SEVERITIES, Finding, phrase
from erpcap.rundir import FINDINGS, RunDir, iso
from erpcap.types import FINDINGS_VERSION
from erpcap.words import plural

#: The Prometheus alerting rules derived from the measured knee (analysis/plan).
ALERTS = "alerts.yml"


def _step_resources(
    steps: list[dict[str, Any]], metrics: pd.DataFrame, statements: dict[str, Any] | None
) -> None:
    """Add each step's resources (over its measured part, as its latency) and database time."""
    by_step = (statements or {}).get("by_step", {})
    for block in steps:
        start, end = block.get("measured_from") or block.get("start"), block.get("end")
        if not start or not end:
            continue
        db = by_step.get(block.get("step"), {})
        block["resources"] = {
            **window(
                metrics, pd.Timestamp(start).to_pydatetime(), pd.Timestamp(end).to_pydatetime()
            ),
            "db_calls": db.get("calls"),
            "db_time_ms": db.get("total_ms"),
        }


def _capacity(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Peak and SLO capacity from the measured steps, in successful requests per second
    (``ok_rps``; failed requests are not work done), with the total rate beside it."""
    measured = [s for s in steps if s.get("measured")]
    if not measured:
        return {"unmeasured_steps": [s["step"] for s in steps]} if steps else {}
    peak = max(measured, key=lambda s: s["ok_rps"])
    ok = [s for s in measured if s["within_slo"]]
    # an open-model run's steps hold one pool of users and vary the arrival rate
    rated = any(s.get("rate") is not None for s in measured)
    load = "rate" if rated else "users"
    best = max(ok, key=lambda s: float(s.get(load) or 0)) if ok else None
    first_over = next((s for s in measured if not s["within_slo"]), None)
    block: dict[str, Any] = {
        "peak": {
            "ok_rps": peak["ok_rps"],
            "rps": peak["rps"],
            "step": peak["step"],
            "users": peak["users"],
        },
        "max_users_within_slo": best["users"] if best else 0,
        "rps_within_slo": best["ok_rps"] if best else 0.0,
        "first_step_over_slo": (
            {"step": first_over["step"], "users": first_over["users"]} if first_over else None
        ),
        "unmeasured_steps": [s["step"] for s in steps if not s.get("measured")],
    }
    if rated:  # 1.5: the offered arrival rate (per second) of those steps
        block["peak"]["rate"] = peak.get("rate")
        block["rate_within_slo"] = best.get("rate") if best else None
        if first_over:
            block["first_step_over_slo"]["rate"] = first_over.get("rate")
    return block


def recorded_dsn(meta: dict[str, Any]) -> str | None:
    """The PostgreSQL URL the run's ``postgres`` collector read, for the SQL analyses'
    catalog reads and index advice when ``--dsn`` is not given; None when the run had no
    such collector or its URL held a password (run.json keeps it redacted).

    >>> recorded_dsn({"parameters": {"collect": ["psutil", "postgres=postgresql://pg@h/erp"]}})
    'postgresql://pg@h/erp'
    >>> recorded_dsn({"parameters": {"collect": ["postgres:dsn=postgresql://pg:***@h/erp"]}})
    """
    params = meta.get("parameters")
    specs = params.get("collect") if isinstance(params, dict) else None
    for spec in specs if isinstance(specs, list) else []:
        text = str(spec).strip()
        if text.startswith("postgres="):
            url = text.removeprefix("postgres=")
        elif text.startswith("postgres:") and "dsn=" in text:
            url = text.partition("dsn=")[2].split(",")[0]
        else:
            continue
        return None if "***" in url else url
    return None


def _run_block(meta: dict[str, Any], duration_s: float) -> dict[str, Any]:
    target = meta.get("target") or {}
    return {
        "scenario": meta.get("scenario"),
        "target": target.get("url") if isinstance(target, dict) else target,
        "profile": (target.get("profile") if isinstance(target, dict) else None),
        "status": meta.get("status"),
        "started_at": meta.get("started_at"),
        "ended_at": meta.get("ended_at"),
        "duration_s": round(duration_s, 3),
        "shape": meta.get("shape"),
        # 1.4: the shape ended at its --stop-when ceiling (run.json stopped_early), in words
        "stopped_early": _stopped_early_block(meta),
    }


def _stopped_early_block(meta: dict[str, Any]) -> dict[str, Any] | None:
    finding = stopped_early(meta)
    if finding is None:
        return None
    texts = {lang: said.title for lang, said in finding.texts.items()}
    return {**dict(meta["stopped_early"]), "texts": texts}


def _missing(
    measured: Measured, metrics: pd.DataFrame, meta: dict[str, Any]
) -> list[dict[str, str]]:
    """What the run lacks, each note in every language."""
    notes = list(measured.notes)
    if not measured.overall.get("count"):
        notes.append(phrase(en="no requests were recorded", zh_CN="未记录到任何请求"))
    if metrics.empty:
        notes.append(phrase(en="no resource metrics were collected", zh_CN="未采集到资源指标"))
    status = meta.get("status")
    if status not in (None, "completed"):
        word = STATUS_WORDS.get(str(status), phrase(en=str(status)))
        notes.append(
            phrase(
                en=f"the run ended early ({status})",
                zh_CN=f"运行提前结束（{word.get('zh-CN', status)}）",
            )
        )
    in_flight = meta.get("in_flight")
    if isinstance(in_flight, int) and in_flight > 0:
        notes.append(
            phrase(
                en=f"not recorded: {plural(in_flight, 'request')} in flight when the load stopped",
                zh_CN=f"未记录：负载停止时仍在进行中的 {in_flight} 个请求",
            )
        )
    lost = ", ".join(str(w) for w in meta.get("lost_workers") or [])
    if lost:  # erpcap run --master: a worker gone mid-run (docs/workers.md)
        notes.append(
            phrase(
                en=f"worker(s) lost mid-run: {lost} (their last samples may be missing)",
                zh_CN=f"运行中丢失的负载机：{lost}（其最后的样本可能缺失）",
            )
        )
    thin = [s for s in measured.steps if not s["measured"] and s["count"] < MIN_SAMPLES]
    unmeasured = ", ".join(str(s["step"]) for s in thin)
    if unmeasured:
        notes.append(
            phrase(
                en=f"too few requests to judge in step(s) {unmeasured} (fewer than {MIN_SAMPLES})",
                zh_CN=f"第 {unmeasured} 阶的请求太少（少于 {MIN_SAMPLES} 次），无法判断",
            )
        )
    return notes


def _refuse_less_data(run: RunDir, inputs: dict[str, Any], *, force: bool) -> None:
    """Keep a findings.json computed from more requests than the run now holds.

    A request table that shrank (a damaged file removed, parts lost in a copy) would give
    findings from less data; replacing good findings with those is a loss the user must ask
    for (``force``).
    """
    if force or not run.file(FINDINGS).exists():
        return
    if any(rows < 0 for *_, rows in inputs["requests"]["files"]):
        return  # a damaged file: reading the table says which, and how to mend it
    try:
        old = run.read_findings(current=False)
    except RunDirError:
        return  # a damaged findings.json holds nothing worth keeping
    before = (old.get("inputs") or {}).get("requests", {}).get("rows")
    if not isinstance(before, int):
        quality = old.get("data_quality")
        before = quality.get("requests") if isinstance(quality, dict) else None
    now = inputs["requests"]["rows"]
    if isinstance(before, int) and now < before:
        raise BadInput(
            f"the run now holds {plural(now, 'request')}, but its findings.json was computed "
            f"from {before:,}; analysing again would replace them with findings from less data",
            path=run.file(FINDINGS),
            hint="restore the missing request files, or pass --force to analyse what is left",
        )


def analyze_run(
    run: RunDir,
    *,
    slo: Slo | None = None,
    rules: tuple[Rule, ...] | None = None,
    force: bool = False,
    dsn: str | None = None,
) -> dict[str, Any]:
    """Analyse ``run``: write ``intervals.parquet`` and ``findings.json``; return the findings.

    Without ``slo``, the default targets and the per-transaction targets run.json records (a
    declarative scenario's ``slo:``) apply.

    Raises:
        BadInput: the run holds fewer requests than its findings.json was computed from
            (unless ``force``).
    """
    rules = registered_rules() if rules is None else rules
    meta = run.read_meta()
    slo = slo or Slo.recorded(meta)  # the scenario's per-transaction targets, if any
    inputs = run.inputs()
    _refuse_less_data(run, inputs, force=force)
    requests = run.read_columns("requests", REQUEST_COLUMNS)
    if not requests["start"].is_monotonic_increasing:  # parts of several processes
        requests = requests.sort_values("start", kind="stable")
    requests = with_response(requests)
    metrics = run.read_table("metrics")
    events = run.read_events()
    if requests.empty and run.has_table("load_stats"):
        measured = from_load_stats(
            run.read_table("load_stats"), run.read_table("load_errors"), events, slo
        )
    else:
        measured = from_requests(requests, events, slo)
    overall, transactions, steps = measured.overall, measured.transactions, measured.steps
    arrivals = arrivals_block(meta, overall)  # the open model's schedule kept or not
    annotate_steps(steps, arrivals)
    resources = summarize(metrics)
    resources["databases"] = databases(metrics)
    sql_stats = run.read_table("sql_stats")
    statements = summarize_sql(sql_stats)
    _step_resources(steps, metrics, statements)

    sql: dict[str, Any] | None = None
    sql_found: list[Finding] = []
    if run.has_table("statements") or not sql_stats.empty:
        sql, sql_found = sql_findings(
            run.read_table("statements"), sql_stats, dsn=dsn or recorded_dsn(meta)
        )
    capacity = _capacity(steps)
    capacity.update(assess(steps, metrics, statements, sql, meta, slo))
    capacity["bottleneck"] = attribute(
        capacity,
        steps,
        resources,
        statements,
        sql,
        metrics,
        meta,
        events=events,
        sql_stats=sql_stats,
    )

    ctx = Context(
        meta=meta,
        overall=overall,
        transactions=transactions,
        steps=steps,
        resources=resources,
        errors=measured.errors,
        slo=slo,
        error_causes=measured.error_causes,
        capacity=capacity,
        statements=statements,
        sql=sql,
    )
    findings = [f for rule in rules for f in rule(ctx)] + sql_found
    findings.sort(key=lambda f: -SEVERITIES.index(f.severity))

    missing = _missing(measured, metrics, meta)
    quality = {
        "requests": len(requests),
        "metrics": len(metrics),
        # 1.2: false when the statistics are a load tool's own (``percentiles_from`` names it)
        "per_request": measured.percentiles_from is None,
        "percentiles_from": measured.percentiles_from,
        "in_flight": meta["in_flight"] if isinstance(meta.get("in_flight"), int) else None,
        "unmeasured_steps": [s["step"] for s in steps if not s["measured"]],
        "missing": [m["en"] for m in missing],
        "missing_texts": {lang: [m.get(lang, m["en"]) for m in missing] for lang in LANGUAGES},
        "warnings": list(meta.get("warnings") or []),
    }

    doc: dict[str, Any] = {
        "schema_version": FINDINGS_VERSION,
        "run_id": meta.get("id", run.path.name),
        "generated_at": iso(),
        "run": _run_block(meta, measured.duration_s),
        "slo": slo.to_dict(),
        "verdict": verdict(overall, capacity, findings, quality, slo),
        "overall": overall,
        "transactions": transactions,
        "groups": measured.groups,
        "steps": steps,
        "peak": capacity.get("peak"),
        "capacity": capacity,
        "resources": resources,
        "statements": statements,
        "sql": sql,  # 1.3: the slow-SQL analysis (docs/findings.md, "The sql block")
        "errors": measured.errors,
        "error_causes": measured.error_causes,
        "arrivals": arrivals,  # the open model (--rate): intended, sent, dropped; else None
        "findings": [f.to_dict() for f in findings],
        "data_quality": quality,
        "inputs": inputs,
    }
    # 1.4: the plan reads the findings and capacity above; sizing reads the plan too
    doc["plan"] = make_plan(doc)
    doc["sizing"] = size(doc)
    run.write_table("intervals", measured.intervals)
    rules_text = alert_rules(doc)
    if rules_text is not None:
        run.file(ALERTS).write_text(rules_text, encoding="utf-8")
    else:  # an earlier analysis's rules would no longer match these findings
        run.file(ALERTS).unlink(missing_ok=True)
    run.write_json(FINDINGS, doc)
    return doc
