"""Execution backends behind one seam (engine.backends.base): DuckDB (engine.execute), Spark, PostgreSQL."""
