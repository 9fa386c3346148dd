"""UI strings of the reports in English and Simplified Chinese, and number formatting.

One catalogue holds every string a report's own frame prints (headings, columns, notes).
The analysis's sentences — findings, the verdict, what is missing — come from findings.json
already in each language (the rules declare their templates; :mod:`erpcap.reports.localize`
picks the language). Numbers are
formatted the same way in both languages (``1,234.5``), so a table reads the same whichever
language it is in:

- latencies in milliseconds: no decimals from 100 ms up, one decimal below (``1,234 ms``,
  ``95.3 ms``);
- throughput in requests per second with one decimal;
- error rates as percentages with two decimals (``0.06%``), and ``0%`` when nothing failed;
- counts with thousands separators.

>>> t = Translator("zh-CN")
>>> t("verdict.pass")
'通过'
>>> t.ms(1234.56), t.ms(95.33), t.ms(None)
('1,235 ms', '95.3 ms', '–')
>>> t.percent(0.000625)
'0.06%'
>>> Translator("en").duration(3725)
'1 h 2 min 5 s'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from erpcap.errors import BadInput

#: The languages a report can be written in, the default first.
LANGUAGES = ("en", "zh-CN")

#: Shown for a number that was not measured.
MISSING = "–"

_EN: Mapping[str, str] = MappingProxyType(
    {
        "title": "Load test report",
        "subtitle": "erpcap performance and capacity assessment",
        "verdict": "Verdict",
        "verdict.pass": "PASS",
        "verdict.warn": "WARNING",
        "verdict.fail": "FAIL",
        "verdict.unknown": "NO VERDICT",
        "headline.numbers": (
            "Peak throughput {rps} of successful requests at {users} users; p95 response time "
            "{p95}; {errors} of requests failed."
        ),
        "headline.numbers_no_users": (
            "Peak throughput {rps} of successful requests; p95 response time {p95}; {errors} of "
            "requests failed."
        ),
        "headline.numbers_all": (
            "Peak throughput {rps} at {users} users; p95 latency {p95}; {errors} of requests "
            "failed."
        ),
        "headline.numbers_all_no_users": (
            "Peak throughput {rps}; p95 latency {p95}; {errors} of requests failed."
        ),
        "headline.service": " (service time {service})",
        "peak_ok_rps": "Peak throughput (successful)",
        "peak_total": "{rps} with failed requests",
        "p95.service": "service time p95 {service}",
        "p95.queue": "waiting for a late schedule p95 {queue}",
        "p95.from_intended": "counted from each arrival's intended start",
        "arrivals.dropped": "Arrivals dropped",
        "arrivals.note": (
            "{share} of {intended} scheduled arrivals ({sent} sent): no user of the pool "
            "was free to send them in time, so no latency includes them"
        ),
        "arrivals.not_counted": "not counted (the load generator did not report)",
        "arrivals.note_none": "all {intended} scheduled arrivals were sent: the schedule was kept",
        "fact.rate": "Arrival rate (open model)",
        "col.rate": "Rate (/s)",
        "col.dropped": "Dropped",
        "fact.rate_value": "{rates}, pool of {pool} users",
        "errors.note.one": "{n} error",
        "col.p95_service": "p95 service",
        "col.p95_queue": "p95 wait",
        "col.cause": "Cause",
        "col.ok_rps": "ok req/s",
        "latency.note": (
            "Response time is what a user felt and what the targets judge. For users on an "
            "arrival schedule (the open model: integrations, web shops) it counts from when the "
            "request was due, so it includes the wait while the previous request of that "
            "schedule was still running (“wait”); service time counts from when the request "
            "was actually sent. Users who think between steps (the closed model) send when "
            "they are ready, so there both are the same."
        ),
        "steps.not_measured": "not measured",
        "steps.unmeasured_note": "Not measured: the step had too few requests to judge.",
        "cause.connection": "target unreachable",
        "cause.timeout": "time-out",
        "cause.auth": "credentials refused",
        "cause.server": "server error",
        "cause.client": "request refused",
        "cause.other": "other",
        "term.shape.steps": "steps",
        "term.shape.constant": "constant",
        "term.shape.ramp": "ramp",
        "term.shape.ladder": "capacity ladder",
        "term.shape.spike": "spike",
        "term.shape.soak": "soak",
        "term.shape.mixed-day": "working day",
        "term.shape.unknown": "unknown (imported results)",
        "term.profile.legacy": "legacy",
        "term.profile.upgraded": "upgraded",
        "unit.bytes": "B",
        "summary": "Summary",
        "key_numbers": "Key numbers",
        "peak_rps": "Peak throughput",
        "peak_at": "at {users} users (step {step})",
        "p95": "p95 response time",
        "p99": "p99 response time",
        "requests": "Requests",
        "errors": "Errors",
        "error_rate": "Error rate",
        "p95_by_step": "p95 response time at each load step",
        "run_facts": "Run facts",
        "fact.run_id": "Run",
        "fact.target": "Target",
        "fact.scenario": "Scenario",
        "fact.shape": "Load shape",
        "fact.profile": "Profile",
        "fact.started": "Started (UTC)",
        "fact.duration": "Duration",
        "fact.status": "Status",
        "fact.host": "Load host",
        "fact.host_value": "{cores} cores, {memory} GB memory",
        "fact.shape_steps": "{kind}: {users} users, {duration} per step",
        "fact.shape_total": "{kind}: {users} users over {duration}",
        "fact.version": "erpcap",
        "fact.gate": "Budgets (erpcap gate)",
        "gate.pass": "PASS",
        "gate.fail": "FAIL",
        "gate.summary": "{verdict} — {n} budgets, {breached} breached",
        "budgets": "Budgets",
        "budgets.note": "As judged by erpcap gate against {file}.",
        "col.budget": "Budget",
        "col.measured": "Measured",
        "col.where": "Where / why",
        "budget.pass": "ok",
        "budget.fail": "breached",
        "budget.missing": "not measured",
        "status.completed": "completed",
        "status.interrupted": "interrupted",
        "status.failed": "failed",
        "status.running": "still running / not finished",
        "incomplete.title": "This run did not complete",
        "incomplete.body": (
            "The run ended with status “{status}”. The numbers below cover only what was "
            "recorded before it stopped."
        ),
        "incomplete.missing": "Missing",
        "workers.lost": (
            "Worker(s) lost mid-run: {workers}. The run went on with the others; their last "
            "samples may be missing (see the run's warnings)."
        ),
        "charts": "Over time",
        "chart.throughput": "Throughput and active users",
        "chart.latency": "Latency percentiles and active users",
        "chart.tx_p95": "p95 latency by transaction (busiest {n})",
        "chart.cpu": "CPU",
        "chart.memory": "Memory",
        "chart.no_intervals": (
            "No per-second data (intervals.parquet): throughput and latency charts are omitted."
        ),
        "chart.no_metrics": (
            "No resource metrics (metrics.parquet): CPU and memory charts are omitted."
        ),
        "chart.no_cpu": "No CPU samples in metrics.parquet.",
        "chart.cpu_note": (
            "Host CPU is the share of all cores (at most 100 %); a process role's CPU counts "
            "100 % per busy core, summed over its processes, so it can exceed 100 %."
        ),
        "chart.no_memory": "No memory samples in metrics.parquet.",
        "chart.downsampled": (
            "Long run: points are {seconds}-second buckets; latency shows the worst second "
            "of each bucket."
        ),
        "axis.time": "time (UTC)",
        "axis.rps": "requests/s",
        "axis.ms": "latency (ms)",
        "axis.users": "active users",
        "axis.cpu": "CPU (%)",
        "axis.rss": "process memory (MB)",
        "axis.mem_percent": "host memory (%)",
        "series.rps": "throughput",
        "series.errors": "errors/s",
        "series.users": "active users",
        "series.step": "step {step}",
        "series.host_cpu": "host CPU",
        "series.proc_cpu": "{role} processes CPU",
        "series.host_mem": "host memory used",
        "series.proc_rss": "{role} processes RSS",
        "transactions": "Transactions",
        "transactions.top": "Busiest transactions",
        "col.transaction": "Transaction",
        "col.group": "Group",
        "col.count": "Count",
        "col.errors": "Errors",
        "col.error_rate": "Error rate",
        "col.rps": "req/s",
        "col.p50": "p50",
        "col.p95": "p95",
        "col.p99": "p99",
        "col.max": "max",
        "col.mean": "mean",
        "col.step": "Step",
        "col.users": "Users",
        "col.duration": "Duration",
        "col.role": "Role",
        "col.metric": "Metric",
        "col.mean_value": "Mean",
        "col.value": "Value",
        "total": "Total",
        "errors.note": "{n} errors",
        "sep": "; ",
        "colon": ": ",
        "steps.missed": "Red: the step missed the p95 or error-rate targets.",
        "col.max_value": "Max",
        "groups": "Transaction groups",
        "steps": "Load steps",
        "steps.none": "The run had no load steps (a single constant load).",
        "steps.note": "Statistics of each step exclude its warm-up (measured from the time shown).",
        "resources": "Resources",
        "resources.none": "No resource metrics were recorded.",
        "findings": "Findings",
        "findings.none": "No findings: nothing noteworthy was observed.",
        "severity.critical": "critical",
        "severity.warning": "warning",
        "severity.info": "info",
        "finding.evidence": "Evidence",
        "finding.fix": "What to do",
        "data_quality": "Data quality",
        "dq.requests": "Requests recorded",
        "dq.metrics": "Metric samples",
        "dq.missing": "Missing",
        "dq.warnings": "Warnings",
        "dq.ok": "Nothing is missing.",
        "dq.basis": "Statistics from",
        "dq.basis.requests": "every request, computed by erpcap",
        "dq.basis.source": "the load tool's own statistics ({source}); no per-request rows",
        "basis.source": (
            "Percentiles are the load tool's own ({source}): its results were imported without "
            "one row per request, so erpcap did not compute them and cannot compute others."
        ),
        "footer": "Generated by erpcap {version} from {run_id} at {generated} (UTC).",
        "md.full_report": "Full report: `report.html` in the run directory.",
        "md.more_transactions": "…and {n} more transactions in the HTML report.",
        "md.more_transactions.one": "…and 1 more transaction in the HTML report.",
        "md.more_findings": "…and {n} more findings in the HTML report.",
        "md.more_findings.one": "…and 1 more finding in the HTML report.",
        "capacity": "Users within targets",
        "capacity.note": "{rps} within the p95 and error targets",
        "capacity.broke": "targets missed from {users} users",
        "top_errors": "Most frequent errors",
        "col.status_code": "Status",
        "col.message": "Message",
        "metric.cpu_percent": "CPU",
        "metric.cpu_user_percent": "CPU, user",
        "metric.cpu_system_percent": "CPU, system",
        "metric.cpu_iowait_percent": "CPU, waiting for I/O",
        "metric.cpu_steal_percent": "CPU, stolen by the hypervisor",
        "metric.memory_percent": "memory",
        "metric.memory_used_percent": "memory used",
        "metric.rss_mb": "resident memory (RSS)",
        "metric.memory_used_mb": "memory used",
        "metric.memory_available_bytes": "memory available",
        "metric.load_1m": "load average, 1 min",
        "metric.load_5m": "load average, 5 min",
        "metric.load_15m": "load average, 15 min",
        "metric.disk_read_bytes_per_s": "disk reads",
        "metric.disk_write_bytes_per_s": "disk writes",
        "metric.disk_read_ops_per_s": "disk read operations",
        "metric.disk_write_ops_per_s": "disk write operations",
        "metric.net_sent_bytes_per_s": "network sent",
        "metric.net_recv_bytes_per_s": "network received",
        "metric.num_threads": "threads",
        "metric.num_processes": "processes",
        "metric.sessions": "sessions",
        "metric.wait_sessions": "busy sessions by wait",
        "metric.lock_waits": "waiting lock requests",
        "metric.lock_waits_by_relation": "waiting lock requests",
        "metric.lock_wait_s": "longest lock wait (s)",
        "metric.connections": "connections",
        "metric.max_connections": "connection limit",
        "metric.cache_hit_ratio": "cache hit ratio",
        "metric.commits_per_s": "commits",
        "metric.rollbacks_per_s": "rollbacks",
        "metric.deadlocks_per_s": "deadlocks",
        "metric.longest_query_s": "longest statement (s)",
        "metric.longest_xact_s": "longest transaction (s)",
        "resources.host": "host",
        "resources.summed": "(sum of {n} series)",
        "col.slo": "Within targets",
        "yes": "yes",
        "no": "no",
        "noscript": "The charts need JavaScript; the tables below hold the same numbers.",
        "none": "none",
    }
)

_ZH: Mapping[str, str] = MappingProxyType(
    {
        "title": "负载测试报告",
        "subtitle": "erpcap 性能与容量评估",
        "verdict": "结论",
        "verdict.pass": "通过",
        "verdict.warn": "警告",
        "verdict.fail": "不通过",
        "verdict.unknown": "无结论",
        "headline.numbers": (
            "峰值吞吐量为成功请求 {rps}（{users} 个并发用户）；p95 响应时间 {p95}；失败请求占 "
            "{errors}。"
        ),
        "headline.numbers_no_users": "峰值吞吐量为成功请求 {rps}；p95 响应时间 {p95}；失败请求占 {errors}。",
        "headline.numbers_all": (
            "峰值吞吐量 {rps}（{users} 个并发用户）；p95 延迟 {p95}；失败请求占 {errors}。"
        ),
        "headline.numbers_all_no_users": "峰值吞吐量 {rps}；p95 延迟 {p95}；失败请求占 {errors}。",
        "headline.service": "（服务时间 {service}）",
        "peak_ok_rps": "峰值吞吐量（成功请求）",
        "peak_total": "含失败请求为 {rps}",
        "p95.service": "服务时间 p95 {service}",
        "p95.queue": "因计划滞后而等待的 p95 {queue}",
        "p95.from_intended": "从每个到达的计划开始时间算起",
        "arrivals.dropped": "被丢弃的到达",
        "arrivals.note": (
            "计划的 {intended} 个到达中的 {share}（已发出 {sent} 个）：用户池中没有空闲用户及时"
            "发出它们，因此任何延迟统计都不包含它们"
        ),
        "arrivals.not_counted": "未计数（负载生成器未报告）",
        "arrivals.note_none": "计划的 {intended} 个到达全部已发出：计划得以保持",
        "fact.rate": "到达率（开放模型）",
        "col.rate": "到达率（/秒）",
        "col.dropped": "丢弃",
        "fact.rate_value": "{rates}，用户池 {pool} 个用户",
        "col.p95_service": "p95 服务时间",
        "col.p95_queue": "p95 等待",
        "col.cause": "原因",
        "col.ok_rps": "成功请求/秒",
        "latency.note": (
            "响应时间是用户实际感受到的时间，也是判断是否达标的依据。对于按到达计划发送请求的用户"
            "（开放模型：系统集成、网店），它从请求应当发出的时刻算起，因此包含了等待同一计划中"
            "上一个请求完成的时间（“等待”）；服务时间则从请求实际发出时算起。在操作之间有思考"
            "时间的用户（封闭模型）准备好才发送请求，因此两者相同。"
        ),
        "steps.not_measured": "未测量",
        "steps.unmeasured_note": "未测量：该阶梯的请求太少，无法判断。",
        "cause.connection": "目标不可达",
        "cause.timeout": "超时",
        "cause.auth": "凭据被拒绝",
        "cause.server": "服务器错误",
        "cause.client": "请求被拒绝",
        "cause.other": "其他",
        "term.shape.steps": "阶梯",
        "term.shape.constant": "恒定",
        "term.shape.ramp": "爬坡",
        "term.shape.ladder": "容量阶梯",
        "term.shape.spike": "突增",
        "term.shape.soak": "长稳",
        "term.shape.mixed-day": "工作日",
        "term.shape.unknown": "未知（导入的结果）",
        "term.profile.legacy": "现状（legacy）",
        "term.profile.upgraded": "升级后（upgraded）",
        "unit.bytes": "B",
        "summary": "概要",
        "key_numbers": "关键指标",
        "peak_rps": "峰值吞吐量",
        "peak_at": "{users} 个用户（第 {step} 阶）",
        "p95": "p95 响应时间",
        "p99": "p99 响应时间",
        "requests": "请求数",
        "errors": "错误数",
        "error_rate": "错误率",
        "p95_by_step": "各负载阶梯的 p95 响应时间",
        "run_facts": "运行信息",
        "fact.run_id": "运行",
        "fact.target": "目标系统",
        "fact.scenario": "场景",
        "fact.shape": "负载形态",
        "fact.profile": "配置档",
        "fact.started": "开始时间（UTC）",
        "fact.duration": "时长",
        "fact.status": "状态",
        "fact.host": "压测主机",
        "fact.host_value": "{cores} 核，{memory} GB 内存",
        "fact.shape_steps": "{kind}：{users} 个用户，每步 {duration}",
        "fact.shape_total": "{kind}：{users} 个用户，共 {duration}",
        "fact.version": "erpcap",
        "fact.gate": "性能预算（erpcap gate）",
        "gate.pass": "通过",
        "gate.fail": "不通过",
        "gate.summary": "{verdict}——共 {n} 项预算，{breached} 项未达标",
        "budgets": "性能预算",
        "budgets.note": "由 erpcap gate 依据 {file} 判定。",
        "col.budget": "预算",
        "col.measured": "实测",
        "col.where": "位置 / 原因",
        "budget.pass": "达标",
        "budget.fail": "未达标",
        "budget.missing": "未测量",
        "status.completed": "已完成",
        "status.interrupted": "已中断",
        "status.failed": "失败",
        "status.running": "仍在运行 / 未结束",
        "incomplete.title": "本次运行未完成",
        "incomplete.body": "运行以状态“{status}”结束。以下数据仅涵盖停止前记录的部分。",
        "incomplete.missing": "缺失",
        "workers.lost": "运行中丢失的负载机：{workers}。运行由其余负载机继续完成；其最后的样本可能缺失（见运行警告）。",
        "charts": "随时间变化",
        "chart.throughput": "吞吐量与活跃用户数",
        "chart.latency": "延迟百分位与活跃用户数",
        "chart.tx_p95": "各事务 p95 延迟（请求最多的 {n} 个）",
        "chart.cpu": "CPU",
        "chart.memory": "内存",
        "chart.no_intervals": "没有逐秒数据（intervals.parquet）：已省略吞吐量和延迟图表。",
        "chart.no_metrics": "没有资源指标（metrics.parquet）：已省略 CPU 和内存图表。",
        "chart.no_cpu": "metrics.parquet 中没有 CPU 采样。",
        "chart.cpu_note": (
            "主机 CPU 为全部核心的占用比例（最高 100%）；进程角色的 CPU 按每个繁忙核心 100% "
            "计算并对其所有进程求和，因此可能超过 100%。"
        ),
        "chart.no_memory": "metrics.parquet 中没有内存采样。",
        "chart.downsampled": "运行时间较长：每个点代表 {seconds} 秒；延迟取该区间内最差的一秒。",
        "axis.time": "时间（UTC）",
        "axis.rps": "请求/秒",
        "axis.ms": "延迟（毫秒）",
        "axis.users": "活跃用户数",
        "axis.cpu": "CPU（%）",
        "axis.rss": "进程内存（MB）",
        "axis.mem_percent": "主机内存（%）",
        "series.rps": "吞吐量",
        "series.errors": "错误/秒",
        "series.users": "活跃用户数",
        "series.step": "第 {step} 阶",
        "series.host_cpu": "主机 CPU",
        "series.proc_cpu": "{role} 进程 CPU",
        "series.host_mem": "主机内存占用",
        "series.proc_rss": "{role} 进程 RSS",
        "transactions": "事务",
        "transactions.top": "请求最多的事务",
        "col.transaction": "事务",
        "col.group": "分组",
        "col.count": "次数",
        "col.errors": "错误",
        "col.error_rate": "错误率",
        "col.rps": "请求/秒",
        "col.p50": "p50",
        "col.p95": "p95",
        "col.p99": "p99",
        "col.max": "最大",
        "col.mean": "平均",
        "col.step": "阶梯",
        "col.users": "用户数",
        "col.duration": "时长",
        "col.role": "角色",
        "col.metric": "指标",
        "col.mean_value": "平均",
        "col.value": "数值",
        "total": "合计",
        "errors.note": "{n} 个错误",
        "errors.note.one": "{n} 个错误",
        "sep": "；",
        "colon": "：",
        "steps.missed": "红色：该阶梯未达到 p95 或错误率目标。",
        "col.max_value": "最大",
        "groups": "事务分组",
        "steps": "负载阶梯",
        "steps.none": "本次运行没有负载阶梯（恒定负载）。",
        "steps.note": "各阶梯的统计不含预热阶段（从所示时间开始测量）。",
        "resources": "资源",
        "resources.none": "未记录资源指标。",
        "findings": "发现",
        "findings.none": "没有发现：未观察到值得注意的问题。",
        "severity.critical": "严重",
        "severity.warning": "警告",
        "severity.info": "提示",
        "finding.evidence": "依据",
        "finding.fix": "建议",
        "data_quality": "数据质量",
        "dq.requests": "已记录请求",
        "dq.metrics": "指标采样",
        "dq.missing": "缺失",
        "dq.warnings": "警告",
        "dq.ok": "没有缺失数据。",
        "dq.basis": "统计来源",
        "dq.basis.requests": "每个请求，由 erpcap 计算",
        "dq.basis.source": "负载工具自身的统计（{source}）；没有逐请求数据",
        "basis.source": (
            "百分位数为负载工具自身的统计（{source}）：其结果导入时没有逐请求数据，因此这些"
            "数值并非由 erpcap 计算，erpcap 也无法计算其他百分位数。"
        ),
        "footer": "由 erpcap {version} 根据 {run_id} 生成于 {generated}（UTC）。",
        "md.full_report": "完整报告：运行目录中的 `report.html`。",
        "md.more_transactions": "……另有 {n} 个事务，见 HTML 报告。",
        "md.more_transactions.one": "……另有 1 个事务，见 HTML 报告。",
        "md.more_findings": "……另有 {n} 条发现，见 HTML 报告。",
        "md.more_findings.one": "……另有 1 条发现，见 HTML 报告。",
        "capacity": "达标并发用户数",
        "capacity.note": "{rps}，满足 p95 与错误率目标",
        "capacity.broke": "自 {users} 个用户起未达标",
        "top_errors": "最常见的错误",
        "col.status_code": "状态码",
        "col.message": "错误信息",
        "metric.cpu_percent": "CPU",
        "metric.cpu_user_percent": "CPU（用户态）",
        "metric.cpu_system_percent": "CPU（内核态）",
        "metric.cpu_iowait_percent": "CPU（等待 I/O）",
        "metric.cpu_steal_percent": "CPU（被虚拟机监控程序占用）",
        "metric.memory_percent": "内存",
        "metric.memory_used_percent": "已用内存",
        "metric.rss_mb": "常驻内存（RSS）",
        "metric.memory_used_mb": "已用内存",
        "metric.memory_available_bytes": "可用内存",
        "metric.load_1m": "1 分钟平均负载",
        "metric.load_5m": "5 分钟平均负载",
        "metric.load_15m": "15 分钟平均负载",
        "metric.disk_read_bytes_per_s": "磁盘读取",
        "metric.disk_write_bytes_per_s": "磁盘写入",
        "metric.disk_read_ops_per_s": "磁盘读操作",
        "metric.disk_write_ops_per_s": "磁盘写操作",
        "metric.net_sent_bytes_per_s": "网络发送",
        "metric.net_recv_bytes_per_s": "网络接收",
        "metric.num_threads": "线程数",
        "metric.num_processes": "进程数",
        "metric.sessions": "会话数",
        "metric.wait_sessions": "按等待事件的忙碌会话",
        "metric.lock_waits": "等待中的锁请求",
        "metric.lock_waits_by_relation": "等待中的锁请求",
        "metric.lock_wait_s": "最长锁等待（秒）",
        "metric.connections": "连接数",
        "metric.max_connections": "连接上限",
        "metric.cache_hit_ratio": "缓存命中率",
        "metric.commits_per_s": "提交",
        "metric.rollbacks_per_s": "回滚",
        "metric.deadlocks_per_s": "死锁",
        "metric.longest_query_s": "最长语句（秒）",
        "metric.longest_xact_s": "最长事务（秒）",
        "resources.host": "主机",
        "resources.summed": "（{n} 个序列之和）",
        "col.slo": "是否达标",
        "yes": "是",
        "no": "否",
        "noscript": "图表需要 JavaScript；下方表格包含相同的数据。",
        "none": "无",
    }
)

#: plotly.js's own words (tool-bar tips, notices) per language, keyed by plotly's English, as
#: its locale dictionaries are; given to ``Plotly.newPlot`` as ``config.locales``.
PLOTLY_STRINGS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "en": MappingProxyType({}),
        "zh-CN": MappingProxyType(
            {
                "Autoscale": "自动缩放",
                "Box Select": "矩形框选",
                "Compare data on hover": "悬停时比较数据",
                "Double-click on legend to isolate one trace": "双击图例可只显示该条曲线",
                "Double-click to zoom back out": "双击可还原缩放",
                "Download plot": "下载图表",
                "Download plot as a PNG": "下载图表为 PNG 图片",
                "Image download succeeded": "图片下载成功",
                "Lasso Select": "套索选择",
                "Pan": "平移",
                "Preparing image - this may take a few seconds": "正在生成图片，可能需要几秒钟",
                "Reset axes": "重置坐标轴",
                "Show closest data on hover": "悬停时显示最近的数据",
                "Sorry, there was a problem downloading your image!": "抱歉，图片下载失败！",
                "Toggle Spike Lines": "切换辅助线",
                "Toggle show closest data on hover": "切换悬停时显示最近的数据",
                "Zoom": "缩放",
                "Zoom in": "放大",
                "Zoom out": "缩小",
            }
        ),
    }
)

#: Units per language: milliseconds, requests per second, and duration parts.
_UNITS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "en": MappingProxyType({"ms": "ms", "rps": "req/s", "h": "h", "min": "min", "s": "s"}),
        "zh-CN": MappingProxyType(
            {"ms": "ms", "rps": "请求/秒", "h": "小时", "min": "分", "s": "秒"}
        ),
    }
)


def catalogue(lang: str) -> Mapping[str, str]:
    """The UI strings of ``lang``; raises BadInput for a language erpcap does not have."""
    if lang == "en":
        return _EN
    if lang == "zh-CN":
        return _ZH
    raise BadInput(f"unknown report language {lang!r}", hint=f"use one of: {', '.join(LANGUAGES)}")


def _number(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


class Translator:
    """Strings and number formats of one language; templates call it as ``t("key")``."""

    def __init__(self, lang: str = "en") -> None:
        self.lang = lang
        self._strings = catalogue(lang)
        self._units = _UNITS[lang]

    def __call__(self, key: str, **values: object) -> str:
        """The string for ``key`` (English if the language lacks it), formatted with values."""
        text = self._strings.get(key) or _EN.get(key) or key
        return text.format(**values) if values else text

    def term(self, kind: str, value: str) -> str:
        """A word of the run (a profile, a shape kind) in this language, else as written.

        >>> Translator("zh-CN").term("profile", "legacy"), Translator("en").term("shape", "odd")
        ('现状（legacy）', 'odd')
        """
        key = f"term.{kind}.{value}"
        return self._strings.get(key) or _EN.get(key) or value

    def plural(self, key: str, n: int | float | None) -> str:
        """``key`` with ``n`` (counted), in its ``.one`` form for exactly one where it has one.

        >>> Translator("en").plural("errors.note", 1), Translator("en").plural("errors.note", 3)
        ('1 error', '3 errors')
        """
        one = f"{key}.one"
        use = one if n == 1 and (one in self._strings or one in _EN) else key
        return self(use, n=self.count(n))

    def unit(self, key: str) -> str:
        """The unit ``key`` (``ms``, ``rps``, ``h``, ``min``, ``s``) in this language."""
        return self._units[key]

    # -- numbers -------------------------------------------------------------------------

    @staticmethod
    def _bad(value: object) -> bool:
        """Not a number to print: None, not finite, or not a number at all (a findings.json
        edited by hand or written by another tool may hold anything)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return True
        return isinstance(value, float) and not math.isfinite(value)

    def ms(self, value: float | None, *, unit: bool = True) -> str:
        """A latency in milliseconds: no decimals from 100 ms up, one below."""
        if self._bad(value):
            return MISSING
        assert value is not None
        text = _number(value, 0 if abs(value) >= 100 else 1)
        return f"{text} {self._units['ms']}" if unit else text

    def rps(self, value: float | None, *, unit: bool = True) -> str:
        """A throughput in requests per second, one decimal."""
        if self._bad(value):
            return MISSING
        assert value is not None
        text = _number(value, 1)
        return f"{text} {self._units['rps']}" if unit else text

    def count(self, value: int | float | None) -> str:
        """A count with thousands separators."""
        if self._bad(value):
            return MISSING
        assert value is not None
        return _number(value, 0)

    def percent(self, ratio: float | None) -> str:
        """A ratio (0.0125) as a percentage with two decimals (1.25%); 0 as ``0%``."""
        if self._bad(ratio):
            return MISSING
        assert ratio is not None
        if ratio == 0:
            return "0%"
        return f"{_number(ratio * 100, 2)}%"

    def value(self, value: float | None) -> str:
        """A plain measurement (CPU %, MB): one decimal."""
        if self._bad(value):
            return MISSING
        assert value is not None
        return _number(value, 1)

    def bytes(self, value: float | None, *, per_s: bool = False) -> str:
        """A size in bytes with a decimal unit (kB, MB, GB: powers of 1,000).

        >>> Translator().bytes(23_377_044_935.1), Translator().bytes(512), Translator().bytes(2.5e6, per_s=True)
        ('23.4 GB', '512 B', '2.5 MB/s')
        """
        if self._bad(value):
            return MISSING
        assert value is not None
        size, unit = float(value), "B"
        for bigger in ("kB", "MB", "GB", "TB"):
            if abs(size) < 1000:
                break
            size, unit = size / 1000, bigger
        text = _number(size, 0 if unit == "B" else 1)
        return f"{text} {unit}/s" if per_s else f"{text} {unit}"

    def quantity(self, metric: str, value: float | None) -> str:
        """A metric's value with the unit its name says: ``*_percent`` as a percentage,
        ``*_bytes`` and ``*_mb`` as a size, ``*_bytes_per_s`` as a rate of bytes, other
        ``*_per_s`` as a rate, anything else as a plain number.

        >>> t = Translator()
        >>> t.quantity("cpu_percent", 93.04), t.quantity("net_recv_bytes_per_s", 1.5e6)
        ('93.0%', '1.5 MB/s')
        >>> t.quantity("rss_mb", 512.0), t.quantity("disk_read_ops_per_s", 12.25)
        ('536.9 MB', '12.2/s')
        """
        if self._bad(value):
            return MISSING
        assert value is not None
        if metric.endswith("_bytes_per_s"):
            return self.bytes(value, per_s=True)
        if metric.endswith("_bytes"):
            return self.bytes(value)
        if metric.endswith("_mb"):  # the analysis reports these in MiB
            return self.bytes(value * 2**20)
        if metric.endswith("_percent"):
            return f"{_number(value, 1)}%"
        if metric.endswith("_per_s"):
            return f"{_number(value, 1)}/s"
        return self.value(value)

    def duration(self, seconds: float | None) -> str:
        """A duration in hours, minutes and seconds (``1 h 2 min 5 s``)."""
        if self._bad(seconds):
            return MISSING
        assert seconds is not None
        total = int(round(seconds))
        hours, rest = divmod(total, 3600)
        minutes, secs = divmod(rest, 60)
        sep = "" if self.lang == "zh-CN" else " "
        parts = []
        if hours:
            parts.append(f"{hours}{sep}{self._units['h']}")
        if minutes:
            parts.append(f"{minutes}{sep}{self._units['min']}")
        if secs or not parts:
            parts.append(f"{secs}{sep}{self._units['s']}")
        return " ".join(parts)
