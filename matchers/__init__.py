"""Matchers turn observations into weighted, explained pairs of identifier keys.

Matchers know nothing of stores or of the web; they see identifier keys (``type:value``
strings) and plain values, and return ``ScoredPair`` records.
"""
