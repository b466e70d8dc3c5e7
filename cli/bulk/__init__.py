"""The bulk path of ``idgraph load``: a large file into an empty store, in columns, on
every core, with the answers of one incremental batch of the same file.

Stages (``cli.bulk.load`` drives them and reports each on the terminal):

1. **parse** (``cli.bulk.parse``): the file cut into byte ranges at line ends, each range
   parsed and normalized in a worker process (the project's own parser), its rows written
   as Parquet files: identifier sightings, co-occurrence edges, facts, consent statements,
   person records with their blocking keys.
2. **match** (``cli.bulk.tables``, ``cli.bulk.fuzzy``): DuckDB groups the rows as the
   stores merge them (identifiers, edges) and joins person records on blocking keys held
   by at most ``max_block_size`` records (the rule of ``matchers.blocking``, counted over
   the whole load); candidate pairs are scored by the fuzzy matcher's own ``score`` in
   worker processes.
3. **resolve** (``cli.bulk.resolve``, ``cli.bulk.documents``): the frequency cap, connected
   components over every joining edge at once (SciPy), the guarded partition
   (``identity.partition``) only for components whose union breaks a guard, profile IDs
   and edge statuses as the resolver sets them, golden documents once per profile.
4. **write** (``cli.bulk.write``): ``GraphTransaction.insert_resolved`` in chunks of whole
   components, identifiers and documents in key order, in one transaction.

DuckDB keeps every table in a database file in a scratch directory beside the store, with
``memory_limit`` set from the memory budget, so a batch larger than memory spills to disk.
"""
