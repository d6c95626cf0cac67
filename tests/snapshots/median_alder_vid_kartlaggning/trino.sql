-- period 2017
-- refused: Trino has no exact percentile aggregate (only approx_percentile), so the exact median cannot be computed there; compile for duckdb, spark, postgres or snowflake

-- period 2018
-- refused: Trino has no exact percentile aggregate (only approx_percentile), so the exact median cannot be computed there; compile for duckdb, spark, postgres or snowflake

-- period 2018H2
-- refused: Trino has no exact percentile aggregate (only approx_percentile), so the exact median cannot be computed there; compile for duckdb, spark, postgres or snowflake

-- period 2018Q4
-- refused: Trino has no exact percentile aggregate (only approx_percentile), so the exact median cannot be computed there; compile for duckdb, spark, postgres or snowflake

-- period 2018-12
-- refused: Trino has no exact percentile aggregate (only approx_percentile), so the exact median cannot be computed there; compile for duckdb, spark, postgres or snowflake
