-- period 2017
-- refused: BigQuery's exact PERCENTILE_CONT is an analytic (window) function only, not an aggregate, so the exact median cannot be computed there; compile for duckdb, spark, postgres or snowflake

-- period 2018
-- refused: BigQuery's exact PERCENTILE_CONT is an analytic (window) function only, not an aggregate, so the exact median cannot be computed there; compile for duckdb, spark, postgres or snowflake

-- period 2018H2
-- refused: BigQuery's exact PERCENTILE_CONT is an analytic (window) function only, not an aggregate, so the exact median cannot be computed there; compile for duckdb, spark, postgres or snowflake

-- period 2018Q4
-- refused: BigQuery's exact PERCENTILE_CONT is an analytic (window) function only, not an aggregate, so the exact median cannot be computed there; compile for duckdb, spark, postgres or snowflake

-- period 2018-12
-- refused: BigQuery's exact PERCENTILE_CONT is an analytic (window) function only, not an aggregate, so the exact median cannot be computed there; compile for duckdb, spark, postgres or snowflake
