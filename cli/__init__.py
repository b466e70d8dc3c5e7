"""The ``idgraph`` command and what only it needs: file loading, the parse worker, the
garbage collector's settings for batch work, the model fit."""
