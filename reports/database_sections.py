"""Report sections on *why*: resources per load step, and the statements that took the time.

- **Resources per step**: for each step of the load, the CPU of every watched role (the
  target, the database server, the load generator), the host's CPU, and per database its
  busy sessions, top wait event, lock waits, connections against the limit and the time its
  statements took — with one sentence on the top step, also in summary.md.
- **Top statements**: the statements that took the most database time over the run
  (sql_stats, from the database collectors), with calls, mean and share — shown for a
  findings.json without the ``sql`` block (before 1.3); the Slow SQL section
  (reports/sql_report.py) takes its place otherwise.

Both read findings.json only (``steps[].resources``, ``statements``), and show when it has
them. Their words live here, in both languages, beside the layout that uses them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erpcap.reports import model
from erpcap.reports.i18n import MISSING, Translator
from erpcap.reports.sections import Section

#: The roles in column order; others follow in name order.
_ROLE_ORDER = ("target", "erp", "db", "redis", "mq", "locust")

_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "cpu": "CPU {role}",
        "host_cpu": "host CPU",
        "busy": "{db} busy sessions",
        "wait": "{db} top wait",
        "locks": "{db} lock waits (max)",
        "conns": "{db} connections",
        "db_time": "{db} statement time",
        "note": "CPU in % of one core, summed over a role's processes (the target's server, "
        "the database server, the load generator), mean over the measured part of each step. "
        "Busy sessions are inside a statement (on the CPU or waiting); the top wait is the "
        "share of those session samples; statement time is what the database's own "
        "statistics counted in the step.",
        "sentence": "At the top step ({users} users): {parts}.",
        "cpu_part": "{role} CPU {value}",
        "busy_part": "{db}: {busy} busy sessions",
        "wait_part": "top wait {wait} ({share})",
        "locks_part": "lock waits up to {n}",
        "conns_part": "connections up to {n} of {limit}",
        "st.title": "Top statements",
        "st.statement": "statement",
        "st.source": "source",
        "st.calls": "calls",
        "st.total": "total time",
        "st.mean": "mean",
        "st.share": "share",
        "st.note": "{n} distinct statements ran {calls} times and took {total} in the "
        "database during the run (its own statistics: pg_stat_statements or "
        "performance_schema, as deltas over the run). Values are placeholders (?).",
    },
    "zh-CN": {
        "cpu": "CPU {role}",
        "host_cpu": "主机 CPU",
        "busy": "{db} 忙碌会话",
        "wait": "{db} 主要等待",
        "locks": "{db} 锁等待（最大）",
        "conns": "{db} 连接数",
        "db_time": "{db} 语句耗时",
        "note": "CPU 为单核百分比，按角色（被测系统、数据库服务器、负载生成器）汇总其全部进程，"
        "取每阶测量部分的平均值。忙碌会话指正在执行语句（占用 CPU 或等待）的会话；主要等待为其"
        "在会话采样中的占比；语句耗时为数据库自身统计在该阶的累计。",
        "sentence": "最高阶（{users} 个用户）：{parts}。",
        "cpu_part": "{role} CPU {value}",
        "busy_part": "{db}：忙碌会话 {busy}",
        "wait_part": "主要等待 {wait}（{share}）",
        "locks_part": "锁等待最多 {n}",
        "conns_part": "连接数最多 {n}/{limit}",
        "st.title": "耗时最多的语句",
        "st.statement": "语句",
        "st.source": "来源",
        "st.calls": "调用次数",
        "st.total": "总耗时",
        "st.mean": "平均",
        "st.share": "占比",
        "st.note": "运行期间共有 {n} 条不同语句，执行 {calls} 次，在数据库中耗时 {total}"
        "（数据库自身统计：pg_stat_statements 或 performance_schema，按运行前后差值）。"
        "值以占位符（?）表示。",
    },
}


def _say(t: Translator, key: str, **values: object) -> str:
    text = _TEXT.get(t.lang, _TEXT["en"]).get(key) or _TEXT["en"][key]
    return text.format(**values) if values else text


def _resources(step: Mapping[str, Any]) -> dict[str, Any]:
    value = step.get("resources")
    return value if isinstance(value, dict) else {}


def _roles(steps: list[dict[str, Any]]) -> list[str]:
    seen = {str(r) for s in steps for r in (_resources(s).get("cpu_by_role") or {})}
    known = [r for r in _ROLE_ORDER if r in seen]
    return known + sorted(seen - set(known))


def _databases(step: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [d for d in _resources(step).get("databases") or [] if isinstance(d, dict)]


def _db_names(steps: list[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for step in steps:
        for db in _databases(step):
            name = str(db.get("source") or "db")
            if name not in names:
                names.append(name)
    return names


def _db_of(step: Mapping[str, Any], name: str) -> dict[str, Any]:
    return next((d for d in _databases(step) if str(d.get("source")) == name), {})


def _share(value: Any) -> str:
    """A share of samples or time as a whole percentage (``0.456`` → ``46%``)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return MISSING
    return f"{value * 100:.0f}%"


def _wait_text(db: Mapping[str, Any], t: Translator) -> str:
    waits = db.get("top_waits") or []
    if not waits or not isinstance(waits[0], dict):
        return MISSING
    return f"{waits[0].get('wait')} ({_share(waits[0].get('share'))})"


def step_table(data: model.ReportData, t: Translator) -> tuple[list[str], list[list[str]]]:
    """The header and rows of the resources-per-step table."""
    steps = [s for s in model.steps(data) if _resources(s)]
    roles, dbs = _roles(steps), _db_names(steps)
    header = [t("col.step"), t("col.users")]
    header += [_say(t, "cpu", role=r) for r in roles] + [_say(t, "host_cpu")]
    for name in dbs:
        header += [_say(t, k, db=name) for k in ("busy", "wait", "locks", "conns", "db_time")]
    rows = []
    for step in steps:
        res = _resources(step)
        cpu = res.get("cpu_by_role") or {}
        row = [str(step.get("step", "")), t.count(step.get("users"))]
        row += [t.quantity("cpu_percent", cpu.get(r)) for r in roles]
        row.append(t.quantity("cpu_percent", res.get("host_cpu")))
        for name in dbs:
            db: dict[str, Any] = _db_of(step, name)
            locks = db.get("lock_waits") or {}
            limit = db.get("max_connections")
            conns = t.count(db.get("connections_max"))
            row += [
                t.value(db.get("busy_sessions")),
                _wait_text(db, t),
                t.value(locks.get("max") if isinstance(locks, dict) else None),
                f"{conns} / {t.count(limit)}" if limit else conns,
                t.ms(res.get("db_time_ms")) if name == dbs[0] else MISSING,
            ]
        rows.append(row)
    return header, rows


def top_step_sentence(data: model.ReportData, t: Translator) -> str:
    """One sentence on the resources at the highest measured step."""
    steps = [s for s in model.steps(data) if _resources(s) and s.get("measured") is not False]
    if not steps:
        return ""
    top = max(steps, key=lambda s: (s.get("users") or 0, s.get("step") or 0))
    res = _resources(top)
    cpu = res.get("cpu_by_role") or {}
    parts = [
        _say(t, "cpu_part", role=r, value=t.quantity("cpu_percent", cpu[r])) for r in _roles([top])
    ]
    for db in _databases(top):
        parts.append(
            _say(t, "busy_part", db=db.get("source"), busy=t.value(db.get("busy_sessions")))
        )
        if db.get("top_waits"):
            wait = db["top_waits"][0]
            parts.append(
                _say(t, "wait_part", wait=wait.get("wait"), share=_share(wait.get("share")))
            )
        locks = db.get("lock_waits")
        if isinstance(locks, dict) and locks.get("max"):
            parts.append(_say(t, "locks_part", n=t.value(locks["max"])))
        if db.get("connections_max") and db.get("max_connections"):
            parts.append(
                _say(
                    t,
                    "conns_part",
                    n=t.count(db["connections_max"]),
                    limit=t.count(db["max_connections"]),
                )
            )
    if not parts:
        return ""
    sep = "；" if t.lang == "zh-CN" else "; "
    return _say(t, "sentence", users=t.count(top.get("users")), parts=sep.join(parts))


def statements(data: model.ReportData) -> dict[str, Any]:
    block = data.findings.get("statements")
    return block if isinstance(block, dict) else {}


def statement_rows(data: model.ReportData, t: Translator) -> list[dict[str, str]]:
    out = []
    for item in statements(data).get("top") or []:
        if not isinstance(item, dict):
            continue
        out.append(
            {
                "statement": str(item.get("fingerprint") or ""),
                "source": str(item.get("source") or ""),
                "calls": t.count(item.get("calls")),
                "total": t.ms(item.get("total_ms")),
                "mean": t.ms(item.get("mean_ms")),
                "share": _share(item.get("share")),
            }
        )
    return out


def statements_note(data: model.ReportData, t: Translator) -> str:
    block = statements(data)
    return _say(
        t,
        "st.note",
        n=t.count(block.get("statements")),
        calls=t.count(block.get("calls")),
        total=t.ms(block.get("total_ms")),
    )


# -- Markdown -------------------------------------------------------------------------------


def _md_steps(data: model.ReportData, t: Translator) -> list[str]:
    from erpcap.reports.markdown import md_escape, table

    header, rows = step_table(data, t)
    out = [f"### {STEP_RESOURCES.title(t.lang)}", ""]
    sentence = top_step_sentence(data, t)
    if sentence:
        out += [md_escape(sentence), ""]
    right = set(range(1, len(header)))
    out += table([md_escape(h) for h in header], [[md_escape(c) for c in r] for r in rows], right)
    return [*out, ""]


def _md_statements(data: model.ReportData, t: Translator) -> list[str]:
    from erpcap.reports.markdown import md_escape, table

    rows = statement_rows(data, t)
    header = [
        _say(t, f"st.{k}") for k in ("statement", "source", "calls", "total", "mean", "share")
    ]
    body = [
        [md_escape(r["statement"][:160]), md_escape(r["source"]), r["calls"], r["total"],
         r["mean"], r["share"]]
        for r in rows
    ]  # fmt: skip
    out = [f"### {STATEMENTS.title(t.lang)}", "", md_escape(statements_note(data, t)), ""]
    return [*out, *table(header, body, {2, 3, 4, 5}), ""]


_STEPS_HTML = """\
<section id="step-resources">
  <h2>{{ title }}</h2>
  {% if sentence %}<p>{{ sentence }}</p>{% endif %}
  <table>
    <thead><tr>{% for h in header %}<th{% if not loop.first %} class="num"{% endif %}>{{ h }}</th>{% endfor %}</tr></thead>
    <tbody>{% for row in rows %}<tr>{% for c in row %}<td{% if not loop.first %} class="num"{% endif %}>{{ c }}</td>{% endfor %}</tr>{% endfor %}</tbody>
  </table>
  <p class="note">{{ note }}</p>
</section>
"""

_STATEMENTS_HTML = """\
<section id="statements">
  <h2>{{ title }}</h2>
  <p class="note">{{ note }}</p>
  <table>
    <thead><tr>{% for h in header %}<th{% if loop.index > 2 %} class="num"{% endif %}>{{ h }}</th>{% endfor %}</tr></thead>
    <tbody>{% for r in rows %}
      <tr><td class="mono msg" title="{{ r.statement }}">{{ r.statement | truncate(160, true, "…") }}</td><td>{{ r.source }}</td>
        <td class="num">{{ r.calls }}</td><td class="num">{{ r.total }}</td><td class="num">{{ r.mean }}</td><td class="num">{{ r.share }}</td></tr>
    {% endfor %}</tbody>
  </table>
</section>
"""

STEP_RESOURCES = Section(
    id="step-resources",
    titles={"en": "Resources per step", "zh-CN": "各阶资源"},
    reads=("steps",),
    html_template=_STEPS_HTML,
    markdown=_md_steps,
    visible=lambda data: any(_resources(s) for s in model.steps(data)),
    context=lambda data, t: {
        "header": step_table(data, t)[0],
        "rows": step_table(data, t)[1],
        "sentence": top_step_sentence(data, t),
        "note": _say(t, "note"),
    },
    markdown_escaped=True,
)

STATEMENTS = Section(
    id="statements",
    titles={"en": "Top statements", "zh-CN": "耗时最多的语句"},
    reads=("statements",),
    html_template=_STATEMENTS_HTML,
    markdown=_md_statements,
    # findings.json 1.3 holds the slow-SQL ranking (``sql``), which the Slow SQL section
    # shows (reports/sql_report.py); this table stays for older findings.json
    visible=lambda data: bool(statements(data).get("top")) and not data.findings.get("sql"),
    context=lambda data, t: {
        "header": [
            _say(t, f"st.{k}") for k in ("statement", "source", "calls", "total", "mean", "share")
        ],
        "rows": statement_rows(data, t),
        "note": statements_note(data, t),
    },
    markdown_escaped=True,
)
