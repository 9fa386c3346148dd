"""The findings of the index advice, in English and Chinese."""

from __future__ import annotations

from erpcap.findings import FindingKind, Texts

STAGE = "sql"

MISSING = FindingKind(
    id="sql.index_missing",
    stage=STAGE,
    texts={
        "en": Texts(
            "Index on {table} ({columns}) cuts plan cost by {reduction}",
            "With a hypothetical index (HypoPG) the plan cost of {statements} statement(s) "
            "taking {share} of database time falls from {before} to {after}: {fingerprints}.",
            "Create it ({create}; CONCURRENTLY on a busy table), then compare the plans with "
            "EXPLAIN ANALYZE and the statements' times in the next run.",
        ),
        "zh-CN": Texts(
            "在 {table}（{columns}）上建索引可将计划成本降低 {reduction}",
            "使用假设索引（HypoPG）后，占数据库时间 {share} 的 {statements} 条语句的计划成本"
            "从 {before} 降到 {after}：{fingerprints}。",
            "创建该索引（{create}；繁忙的表请用 CONCURRENTLY），然后用 EXPLAIN ANALYZE "
            "对比执行计划，并在下一次运行中对比这些语句的耗时。",
        ),
    },
)

UNVERIFIED = FindingKind(
    id="sql.index_unverified",
    stage=STAGE,
    texts={
        "en": Texts(
            "Possible index on {table} ({columns}), not verified",
            "{statements} statement(s) taking {share} of database time filter, join or order "
            "by these columns and no index starts with them: {fingerprints}. Without HypoPG "
            "its effect on the plans could not be checked ({why}).",
            "Install HypoPG to verify it (apt-get install postgresql-15-hypopg, then "
            "CREATE EXTENSION hypopg in the database) and run the analysis again; or test "
            "{create} on a copy of the database.",
        ),
        "zh-CN": Texts(
            "可能需要在 {table}（{columns}）上建索引（未验证）",
            "占数据库时间 {share} 的 {statements} 条语句按这些列过滤、连接或排序，"
            "但没有以它们开头的索引：{fingerprints}。缺少 HypoPG，无法检查它对执行计划的影响"
            "（{why}）。",
            "安装 HypoPG 进行验证（apt-get install postgresql-15-hypopg，然后在该数据库中执行 "
            "CREATE EXTENSION hypopg）后重新分析；或在数据库副本上测试 {create}。",
        ),
    },
)

DUPLICATE = FindingKind(
    id="sql.index_duplicate",
    stage=STAGE,
    texts={
        "en": Texts(
            "Index {index} duplicates {kept}",
            "On {table}, {index} ({columns}) has the same leading columns as {kept}; every "
            "query it serves, {kept} serves too, while both cost space ({size}) and time on "
            "every write.",
            "Drop it after checking that nothing names it: DROP INDEX CONCURRENTLY {index};",
        ),
        "zh-CN": Texts(
            "索引 {index} 与 {kept} 重复",
            "在 {table} 上，{index}（{columns}）的前导列与 {kept} 相同；它能服务的查询 {kept} "
            "都能服务，而两者都占用空间（{size}）并拖慢每次写入。",
            "确认没有语句引用它后删除：DROP INDEX CONCURRENTLY {index};",
        ),
    },
)

UNUSED = FindingKind(
    id="sql.index_unused",
    stage=STAGE,
    texts={
        "en": Texts(
            "Index {index} was never used",
            "No scan of {index} on {table} (table {table_size}, index {size}) since {since}; "
            "it still costs time on every write.",
            "If the statistics cover a representative period (month-end included), drop it: "
            "DROP INDEX CONCURRENTLY {index}; on a replica-backed system check the replicas' "
            "statistics too.",
        ),
        "zh-CN": Texts(
            "索引 {index} 从未被使用",
            "自{since}以来，{table}（表 {table_size}，索引 {size}）上的 {index} 没有被扫描过；"
            "但每次写入仍要维护它。",
            "如果统计信息覆盖了有代表性的时期（包括月末），可删除：DROP INDEX CONCURRENTLY "
            "{index}；有只读副本时也请检查副本上的统计信息。",
        ),
    },
)


def size_text(size: int) -> str:
    """Bytes for people.

    >>> size_text(512), size_text(8192), size_text(52_428_800)
    ('512 B', '8.0 kB', '50 MB')
    """
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if value >= 10 or unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.0f} TB"  # pragma: no cover - the loop returns
