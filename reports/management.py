"""The management page: capacity, cause and plan in plain words, near the top of the report.

Four questions, each answered in one or two sentences built only from findings.json's
numbers and texts (nothing is recomputed): how many users today's system takes at the
response targets, what breaks first, what to do first and what it buys, and what the target
load needs. The warnings that invalidate the figures (the load generator was the limit, a
noisy neighbour) come first. summary.md gets the same, compactly, with the top three plan
items. English and Chinese; a question the analysis could not answer says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erpcap.reports import capacity_data as cd
from erpcap.reports import model
from erpcap.reports.bottleneck_section import warnings
from erpcap.reports.i18n import MISSING, Translator
from erpcap.reports.localize import Sentence
from erpcap.reports.plan_sections import gain_text, recommendation
from erpcap.reports.sections import Section

#: Plan items summary.md lists.
TOP_PLAN = 3

_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "q.users": "How many users?",
        "q.knee": "Where it bends",
        "q.breaks": "What breaks first?",
        "q.first": "What to do first?",
        "q.then": "Then",
        "q.target": "For the target",
        "users": "Today's system takes about {users} concurrent users within the response "
        "targets ({rps} of successful requests).",
        "users.rate": "Today's system kept the response targets up to an offered {rate} per "
        "second ({rps} of successful requests), in the open model.",
        "users.rate_over": "Even the lowest arrival rate tried ({rate} per second) missed the "
        "response targets.",
        "users.at_least": "Today's system took {users} concurrent users within the response "
        "targets ({rps} of successful requests), the most this run tried: at least that many.",
        "users.model": "The fitted scalability model puts the limit at about {users} users; "
        "it judges the mean response time against the p95 target, so read it as an upper "
        "bound.",
        "users.over": "Even the lightest load tried ({users} users) missed the response targets.",
        "users.none": "The run does not tell how many users the system takes within the targets.",
        "knee.throughput": "From about {users} users, more users bring little more throughput "
        "({rps} at the knee; p95 {p95}).",
        "knee.latency": "From about {users} users, response times climb steeply (p95 {p95} at "
        "the knee; {rps}).",
        "breaks.none": "This run does not show what breaks first.",
        "confidence.thin": "The evidence is thin: treat this as a hypothesis to check.",
        "first": "{title}: {gain}.",
        "first.no_gain": "{title}.",
        "first.none": "The analysis recommends no change.",
        "md.capacity": "Capacity",
        "md.knee": "Knee",
        "md.bottleneck": "Bottleneck",
        "md.plan": "Plan",
        "md.sizing": "Sizing",
        "md.warning": "Warning",
    },
    "zh-CN": {
        "q.users": "能支撑多少用户？",
        "q.knee": "拐点在哪里",
        "q.breaks": "什么最先出问题？",
        "q.first": "首先做什么？",
        "q.then": "其后",
        "q.target": "要达到目标",
        "users": "当前系统在响应目标内可支撑约 {users} 个并发用户（成功请求 {rps}）。",
        "users.rate": "在开放模型下，当前系统在到达率不超过每秒 {rate} 时保持在响应目标内"
        "（成功请求 {rps}）。",
        "users.rate_over": "即使是所试最低的到达率（每秒 {rate}）也未达到响应目标。",
        "users.at_least": "当前系统在响应目标内承受了 {users} 个并发用户（成功请求 {rps}），"
        "这是本次运行所试的最高负载：至少可支撑这么多。",
        "users.model": "拟合的可扩展性模型估计上限约为 {users} 个用户；它以平均响应时间对照 p95 "
        "目标，应视为上限。",
        "users.over": "即使是所测最轻的负载（{users} 个用户）也未达到响应目标。",
        "users.none": "本次运行无法说明系统在目标内能支撑多少用户。",
        "knee.throughput": "约从 {users} 个用户起，再增加用户几乎不再提升吞吐量（拐点处 {rps}；"
        "p95 {p95}）。",
        "knee.latency": "约从 {users} 个用户起，响应时间急剧上升（拐点处 p95 {p95}；{rps}）。",
        "breaks.none": "本次运行无法说明什么最先出问题。",
        "confidence.thin": "证据不足：请视为有待验证的假设。",
        "first": "{title}：{gain}。",
        "first.no_gain": "{title}。",
        "first.none": "分析没有提出需要改动的建议。",
        "md.capacity": "容量",
        "md.knee": "拐点",
        "md.bottleneck": "瓶颈",
        "md.plan": "计划",
        "md.sizing": "容量规划",
        "md.warning": "警告",
    },
}


def say(t: Translator, key: str, **values: Any) -> str:
    return cd.say(_TEXT, t, key, **values)


def _mine(text: str, t: Translator) -> Sentence:
    return Sentence(text, t.lang)


def users_answer(data: model.ReportData, t: Translator) -> list[Sentence]:
    """How many users today's system takes at the targets: measured, then the model's."""
    cap = model.capacity(data)
    out = []
    if "rate_within_slo" in cap:  # an open-model run: its load is the arrival rate
        rate = cd.number(cap.get("rate_within_slo"))
        if rate:
            rps = t.rps(cap.get("rps_within_slo"))
            return [_mine(say(t, "users.rate", rate=f"{rate:g}", rps=rps), t)]
        lowest = cd.number(cd.as_dict(cap.get("first_step_over_slo")).get("rate"))
        if lowest is not None:
            return [_mine(say(t, "users.rate_over", rate=f"{lowest:g}"), t)]
        return [_mine(say(t, "users.none"), t)]
    if cd.number(cap.get("max_users_within_slo")):  # 0: no step kept the targets
        rps = t.rps(cap.get("rps_within_slo"))
        # no step broke a target: the top step is a floor, not the limit
        key = "users" if cap.get("first_step_over_slo") else "users.at_least"
        out.append(_mine(say(t, key, users=t.count(cap["max_users_within_slo"]), rps=rps), t))
    else:
        over = cd.as_dict(cap.get("first_step_over_slo"))
        if cd.number(over.get("users")) is not None:
            out.append(_mine(say(t, "users.over", users=t.count(over["users"])), t))
    # the model's figure, unless a measured step already broke a target below it
    fit = cd.usl(data)
    model_users = cd.number(fit.get("slo_users")) if cd.usl_fitted(data) else None
    broke = cd.number(cd.as_dict(cap.get("first_step_over_slo")).get("users"))
    if model_users is not None and (broke is None or model_users < broke):
        out.append(_mine(say(t, "users.model", users=t.count(model_users)), t))
    return out or [_mine(say(t, "users.none"), t)]


def knee_answer(data: model.ReportData, t: Translator) -> list[Sentence]:
    knee = cd.knee(data)
    if not knee:
        why = cd.note(model.capacity(data), t, "knee_note")
        return [why] if why.text else []
    curve = "latency" if knee.get("curve") == "latency" else "throughput"
    text = say(t, f"knee.{curve}", users=t.count(knee["users"]), rps=t.rps(knee.get("ok_rps")),
               p95=t.ms(knee.get("p95_ms")))  # fmt: skip
    return [_mine(text, t)]


def breaks_answer(data: model.ReportData, t: Translator) -> list[Sentence]:
    block = cd.bottleneck(data)
    said = cd.sentence(block, t)
    if not block or not said.text:
        return [_mine(say(t, "breaks.none"), t)]
    out = [said]
    # an attribution held with thin evidence gets the caveat; "unknown" already says it
    if block.get("confidence") == "thin" and block.get("kind") != "unknown":
        out.append(_mine(say(t, "confidence.thin"), t))
    return out


def plan_items(data: model.ReportData, t: Translator) -> list[dict[str, Any]]:
    """The plan's first items, said (title, gain) in ``t``'s language."""
    return [recommendation(rec, t) for rec in cd.recommendations(data)[:TOP_PLAN]]


def first_answer(data: model.ReportData, t: Translator) -> list[Sentence]:
    recs = cd.recommendations(data)
    if not recs:
        return [_mine(say(t, "first.none"), t)] if "plan" in data.findings else []
    item = recommendation(recs[0], t)
    gain = gain_text(recs[0].get("expected_gain"), t)
    key = "first.no_gain" if gain == MISSING else "first"
    return [Sentence(say(t, key, title=item["title"], gain=gain), item["lang"])]


def target_answer(data: model.ReportData, t: Translator) -> list[Sentence]:
    said = cd.sentence(cd.sizing(data), t)
    if said.text:
        return [said]
    why = cd.note(cd.sizing(data), t)
    return [why] if why.text else []


def then_answer(data: model.ReportData, t: Translator) -> list[Sentence]:
    """The next plan items after the first, numbered, on one line."""
    items = plan_items(data, t)[1:]
    if not items:
        return []
    sep = "；" if t.lang == "zh-CN" else "; "
    text = sep.join(f"{r['rank']}. {r['title']}" for r in items)
    return [Sentence(text, str(items[0]["lang"]))]


def joined(sentences: list[Sentence], t: Translator) -> str:
    """Sentences as one text: with a space in English, none after Chinese punctuation."""
    out = ""
    for s in sentences:
        glue = "" if not out or out.endswith(("。", "：", "；", "）")) else " "
        out += glue + s.text
    return out


def answers(data: model.ReportData, t: Translator) -> list[tuple[str, list[Sentence]]]:
    """(question, sentences) in page order, the questions without an answer left out."""
    items = [
        (say(t, "q.users"), users_answer(data, t)),
        (say(t, "q.knee"), knee_answer(data, t)),
        (say(t, "q.breaks"), breaks_answer(data, t)),
        (say(t, "q.first"), first_answer(data, t)),
        (say(t, "q.then"), then_answer(data, t)),
        (say(t, "q.target"), target_answer(data, t)),
    ]
    return [(q, a) for q, a in items if a]


def markdown(data: model.ReportData, t: Translator) -> list[str]:
    """summary.md's compact version: capacity, knee, bottleneck, top plan items, sizing."""
    from erpcap.reports.markdown import md_escape

    def line(sentences: list[Sentence]) -> str:
        return md_escape(joined(sentences, t))

    out = [f"### {MANAGEMENT.title(t.lang)}", ""]
    out += [f"> ⚠️ **{say(t, 'md.warning')}** — {md_escape(w.text)}" for w in warnings(data, t)]
    if out[-1] != "":
        out.append("")
    out.append(f"- **{say(t, 'md.capacity')}**{t('colon')}{line(users_answer(data, t))}")
    knee = knee_answer(data, t)
    if knee:
        out.append(f"- **{say(t, 'md.knee')}**{t('colon')}{line(knee)}")
    out.append(f"- **{say(t, 'md.bottleneck')}**{t('colon')}{line(breaks_answer(data, t))}")
    items = plan_items(data, t)
    if items:
        out.append(f"- **{say(t, 'md.plan')}**{t('colon')}".rstrip())
        for item in items:
            gain = f" — {md_escape(item['gain'])}" if item["gain"] != MISSING else ""
            out.append(f"  {item['rank']}. {md_escape(item['title'])}{gain}")
    elif first_answer(data, t):
        out.append(f"- **{say(t, 'md.plan')}**{t('colon')}{line(first_answer(data, t))}")
    target = target_answer(data, t)
    if target:
        out.append(f"- **{say(t, 'md.sizing')}**{t('colon')}{line(target)}")
    return [*out, ""]


def _context(data: model.ReportData, t: Translator) -> dict[str, Any]:
    return {"answers": answers(data, t), "warnings": warnings(data, t),
            "warning": cd.say(_TEXT, t, "md.warning")}  # fmt: skip


_HTML = """\
{% from "macros.j2" import lang_attr with context %}
<section id="management">
  <h2>{{ title }}</h2>
  {% for w in warnings %}
  <div class="banner alarm" role="alert"><strong>{{ warning }}</strong> — <span{{ lang_attr(w.lang) }}>{{ w.text }}</span></div>
  {% endfor %}
  <div class="mgmt">
    <dl class="facts">
    {% for question, sentences in answers %}
      <dt>{{ question }}</dt>
      <dd>{% for s in sentences %}<span{{ lang_attr(s.lang) }}>{{ s.text }}</span>{% if not loop.last and t.lang != "zh-CN" %} {% endif %}{% endfor %}</dd>
    {% endfor %}
    </dl>
  </div>
</section>
"""

MANAGEMENT = Section(
    id="management",
    titles={"en": "Capacity in plain words", "zh-CN": "容量结论一览"},
    reads=("capacity", "plan", "sizing"),
    html_template=_HTML,
    markdown=markdown,
    visible=lambda data: cd.has_model(data) or bool(cd.plan(data)) or bool(cd.sizing(data)),
    context=_context,
    markdown_escaped=True,
    place="top",
)
