-- period 2017
WITH candidates AS (
  SELECT
    insats.*,
    ROW_NUMBER() OVER (
      PARTITION BY insats.person_id
      ORDER BY insats.startdatum ASC NULLS LAST, insats.insats_id ASC NULLS LAST
    ) AS unit_rank
  FROM insats AS insats
  WHERE
    insats.startdatum BETWEEN CAST('2017-01-01' AS DATE) AND CAST('2017-12-31' AS DATE)
    AND insats.finansiar = 'samordningsforbund'
), population AS (
  SELECT
    person.kon AS by_kon,
    CASE WHEN (
      aktivitetsersattningsfall.diagnoskod LIKE 'F%'
    ) THEN 1 ELSE 0 END AS in_numerator,
    insats.person_id AS unit_person
  FROM candidates AS insats
  LEFT JOIN ersattningsfall AS aktivitetsersattningsfall
    ON aktivitetsersattningsfall.person_id = insats.person_id
    AND aktivitetsersattningsfall.startdatum <= insats.startdatum
    AND (
      aktivitetsersattningsfall.slutdatum IS NULL
      OR insats.startdatum <= aktivitetsersattningsfall.slutdatum
    )
    AND aktivitetsersattningsfall.ersattning = 'aktivitetsersattning'
  LEFT JOIN person AS person
    ON person.person_id = insats.person_id
  WHERE
    insats.unit_rank = 1 AND NOT aktivitetsersattningsfall.fall_id IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  CAST(SUM(in_numerator) AS DOUBLE) / NULLIF(COUNT(*), 0) AS value,
  COALESCE(SUM(in_numerator), 0) AS numerator,
  COUNT(*) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 1 THEN unit_person END) AS numerator_persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 0 THEN unit_person END) AS rest_persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  CAST(SUM(in_numerator) AS DOUBLE) / NULLIF(COUNT(*), 0) AS value,
  COALESCE(SUM(in_numerator), 0) AS numerator,
  COUNT(*) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 1 THEN unit_person END) AS numerator_persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 0 THEN unit_person END) AS rest_persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon)
  );

-- period 2018
WITH candidates AS (
  SELECT
    insats.*,
    ROW_NUMBER() OVER (
      PARTITION BY insats.person_id
      ORDER BY insats.startdatum ASC NULLS LAST, insats.insats_id ASC NULLS LAST
    ) AS unit_rank
  FROM insats AS insats
  WHERE
    insats.startdatum BETWEEN CAST('2018-01-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND insats.finansiar = 'samordningsforbund'
), population AS (
  SELECT
    person.kon AS by_kon,
    CASE WHEN (
      aktivitetsersattningsfall.diagnoskod LIKE 'F%'
    ) THEN 1 ELSE 0 END AS in_numerator,
    insats.person_id AS unit_person
  FROM candidates AS insats
  LEFT JOIN ersattningsfall AS aktivitetsersattningsfall
    ON aktivitetsersattningsfall.person_id = insats.person_id
    AND aktivitetsersattningsfall.startdatum <= insats.startdatum
    AND (
      aktivitetsersattningsfall.slutdatum IS NULL
      OR insats.startdatum <= aktivitetsersattningsfall.slutdatum
    )
    AND aktivitetsersattningsfall.ersattning = 'aktivitetsersattning'
  LEFT JOIN person AS person
    ON person.person_id = insats.person_id
  WHERE
    insats.unit_rank = 1 AND NOT aktivitetsersattningsfall.fall_id IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  CAST(SUM(in_numerator) AS DOUBLE) / NULLIF(COUNT(*), 0) AS value,
  COALESCE(SUM(in_numerator), 0) AS numerator,
  COUNT(*) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 1 THEN unit_person END) AS numerator_persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 0 THEN unit_person END) AS rest_persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  CAST(SUM(in_numerator) AS DOUBLE) / NULLIF(COUNT(*), 0) AS value,
  COALESCE(SUM(in_numerator), 0) AS numerator,
  COUNT(*) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 1 THEN unit_person END) AS numerator_persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 0 THEN unit_person END) AS rest_persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon)
  );

-- period 2018H2
WITH candidates AS (
  SELECT
    insats.*,
    ROW_NUMBER() OVER (
      PARTITION BY insats.person_id
      ORDER BY insats.startdatum ASC NULLS LAST, insats.insats_id ASC NULLS LAST
    ) AS unit_rank
  FROM insats AS insats
  WHERE
    insats.startdatum BETWEEN CAST('2018-07-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND insats.finansiar = 'samordningsforbund'
), population AS (
  SELECT
    person.kon AS by_kon,
    CASE WHEN (
      aktivitetsersattningsfall.diagnoskod LIKE 'F%'
    ) THEN 1 ELSE 0 END AS in_numerator,
    insats.person_id AS unit_person
  FROM candidates AS insats
  LEFT JOIN ersattningsfall AS aktivitetsersattningsfall
    ON aktivitetsersattningsfall.person_id = insats.person_id
    AND aktivitetsersattningsfall.startdatum <= insats.startdatum
    AND (
      aktivitetsersattningsfall.slutdatum IS NULL
      OR insats.startdatum <= aktivitetsersattningsfall.slutdatum
    )
    AND aktivitetsersattningsfall.ersattning = 'aktivitetsersattning'
  LEFT JOIN person AS person
    ON person.person_id = insats.person_id
  WHERE
    insats.unit_rank = 1 AND NOT aktivitetsersattningsfall.fall_id IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  CAST(SUM(in_numerator) AS DOUBLE) / NULLIF(COUNT(*), 0) AS value,
  COALESCE(SUM(in_numerator), 0) AS numerator,
  COUNT(*) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 1 THEN unit_person END) AS numerator_persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 0 THEN unit_person END) AS rest_persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  CAST(SUM(in_numerator) AS DOUBLE) / NULLIF(COUNT(*), 0) AS value,
  COALESCE(SUM(in_numerator), 0) AS numerator,
  COUNT(*) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 1 THEN unit_person END) AS numerator_persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 0 THEN unit_person END) AS rest_persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon)
  );

-- period 2018Q4
WITH candidates AS (
  SELECT
    insats.*,
    ROW_NUMBER() OVER (
      PARTITION BY insats.person_id
      ORDER BY insats.startdatum ASC NULLS LAST, insats.insats_id ASC NULLS LAST
    ) AS unit_rank
  FROM insats AS insats
  WHERE
    insats.startdatum BETWEEN CAST('2018-10-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND insats.finansiar = 'samordningsforbund'
), population AS (
  SELECT
    person.kon AS by_kon,
    CASE WHEN (
      aktivitetsersattningsfall.diagnoskod LIKE 'F%'
    ) THEN 1 ELSE 0 END AS in_numerator,
    insats.person_id AS unit_person
  FROM candidates AS insats
  LEFT JOIN ersattningsfall AS aktivitetsersattningsfall
    ON aktivitetsersattningsfall.person_id = insats.person_id
    AND aktivitetsersattningsfall.startdatum <= insats.startdatum
    AND (
      aktivitetsersattningsfall.slutdatum IS NULL
      OR insats.startdatum <= aktivitetsersattningsfall.slutdatum
    )
    AND aktivitetsersattningsfall.ersattning = 'aktivitetsersattning'
  LEFT JOIN person AS person
    ON person.person_id = insats.person_id
  WHERE
    insats.unit_rank = 1 AND NOT aktivitetsersattningsfall.fall_id IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  CAST(SUM(in_numerator) AS DOUBLE) / NULLIF(COUNT(*), 0) AS value,
  COALESCE(SUM(in_numerator), 0) AS numerator,
  COUNT(*) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 1 THEN unit_person END) AS numerator_persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 0 THEN unit_person END) AS rest_persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  CAST(SUM(in_numerator) AS DOUBLE) / NULLIF(COUNT(*), 0) AS value,
  COALESCE(SUM(in_numerator), 0) AS numerator,
  COUNT(*) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 1 THEN unit_person END) AS numerator_persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 0 THEN unit_person END) AS rest_persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon)
  );

-- period 2018-12
WITH candidates AS (
  SELECT
    insats.*,
    ROW_NUMBER() OVER (
      PARTITION BY insats.person_id
      ORDER BY insats.startdatum ASC NULLS LAST, insats.insats_id ASC NULLS LAST
    ) AS unit_rank
  FROM insats AS insats
  WHERE
    insats.startdatum BETWEEN CAST('2018-12-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND insats.finansiar = 'samordningsforbund'
), population AS (
  SELECT
    person.kon AS by_kon,
    CASE WHEN (
      aktivitetsersattningsfall.diagnoskod LIKE 'F%'
    ) THEN 1 ELSE 0 END AS in_numerator,
    insats.person_id AS unit_person
  FROM candidates AS insats
  LEFT JOIN ersattningsfall AS aktivitetsersattningsfall
    ON aktivitetsersattningsfall.person_id = insats.person_id
    AND aktivitetsersattningsfall.startdatum <= insats.startdatum
    AND (
      aktivitetsersattningsfall.slutdatum IS NULL
      OR insats.startdatum <= aktivitetsersattningsfall.slutdatum
    )
    AND aktivitetsersattningsfall.ersattning = 'aktivitetsersattning'
  LEFT JOIN person AS person
    ON person.person_id = insats.person_id
  WHERE
    insats.unit_rank = 1 AND NOT aktivitetsersattningsfall.fall_id IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  CAST(SUM(in_numerator) AS DOUBLE) / NULLIF(COUNT(*), 0) AS value,
  COALESCE(SUM(in_numerator), 0) AS numerator,
  COUNT(*) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 1 THEN unit_person END) AS numerator_persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 0 THEN unit_person END) AS rest_persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  CAST(SUM(in_numerator) AS DOUBLE) / NULLIF(COUNT(*), 0) AS value,
  COALESCE(SUM(in_numerator), 0) AS numerator,
  COUNT(*) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 1 THEN unit_person END) AS numerator_persons,
  COUNT(DISTINCT CASE WHEN in_numerator = 0 THEN unit_person END) AS rest_persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon)
  );
