"""The identity domain: identifiers, observations, consent, profiles and the resolver.

Pure Python: no web framework and no database driver is imported here (ruff's
banned-import rule enforces it). Stores are reached through ``graph.store.GraphStore``.
"""
