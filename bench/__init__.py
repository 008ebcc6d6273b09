"""The benchmark: the same work -- raw files -> the two public marts -> the two feature tables -- done three
ways (the original pandas + pickle design, plain DuckDB SQL, and our pipeline), timed and measured per
stage. `python -m bench --help`."""
