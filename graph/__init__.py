"""Stores of the identity graph behind one seam, ``graph.store.GraphStore``."""
