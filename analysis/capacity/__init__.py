"""Capacity models: the Universal Scalability Law fit and the operational laws.

Pure computation on measured averages (users, throughput, utilisation, think time); the
references and worked examples are in the project's CAPACITY notes and docs/capacity.md.
"""
