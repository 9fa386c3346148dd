"""erpcap's own SQL anti-pattern rules, one module per group, registered in the
``erpcap.sql_rules`` entry-point group like a plug-in's (docs/sql-rules.md)."""
