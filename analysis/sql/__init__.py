"""Slow SQL: statements ranked by the time they took, and what is wrong with them.

One analysis for a customer's logs (``erpcap sql analyze``) and for a run's statements
(``erpcap analyze``): statement records (statements.parquet, from the log importers) and
statement statistics (sql_stats.parquet, from the database collectors) are ranked per
fingerprint (:mod:`.ranking`); then every registered SQL analysis — anti-patterns found with
sqlglot, statements per operation and N+1, index advice — reads the same
:class:`~.context.SqlContext` and returns a :class:`~.context.SqlBlock`
(:mod:`.context`). They register in the ``erpcap.sql_analyses`` entry-point group, the way
a plug-in's would.
"""
