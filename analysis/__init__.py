"""Analysis: pure functions over run-directory data (latency statistics, steps, resources,
findings). Reads the run directory; never imports another stage's internals."""
