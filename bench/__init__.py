"""Benchmarks and data generators (run as scripts; not timed tests)."""
