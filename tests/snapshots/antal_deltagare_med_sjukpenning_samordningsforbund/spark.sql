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
    insats.person_id AS unit_person
  FROM candidates AS insats
  LEFT JOIN ersattningsfall AS sjukpenningfall
    ON sjukpenningfall.person_id = insats.person_id
    AND sjukpenningfall.startdatum <= insats.startdatum
    AND (
      sjukpenningfall.slutdatum IS NULL
      OR insats.startdatum <= sjukpenningfall.slutdatum
    )
    AND sjukpenningfall.ersattning = 'sjukpenning'
  LEFT JOIN person AS person
    ON person.person_id = insats.person_id
  WHERE
    insats.unit_rank = 1 AND NOT sjukpenningfall.fall_id IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
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
    insats.person_id AS unit_person
  FROM candidates AS insats
  LEFT JOIN ersattningsfall AS sjukpenningfall
    ON sjukpenningfall.person_id = insats.person_id
    AND sjukpenningfall.startdatum <= insats.startdatum
    AND (
      sjukpenningfall.slutdatum IS NULL
      OR insats.startdatum <= sjukpenningfall.slutdatum
    )
    AND sjukpenningfall.ersattning = 'sjukpenning'
  LEFT JOIN person AS person
    ON person.person_id = insats.person_id
  WHERE
    insats.unit_rank = 1 AND NOT sjukpenningfall.fall_id IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
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
    insats.person_id AS unit_person
  FROM candidates AS insats
  LEFT JOIN ersattningsfall AS sjukpenningfall
    ON sjukpenningfall.person_id = insats.person_id
    AND sjukpenningfall.startdatum <= insats.startdatum
    AND (
      sjukpenningfall.slutdatum IS NULL
      OR insats.startdatum <= sjukpenningfall.slutdatum
    )
    AND sjukpenningfall.ersattning = 'sjukpenning'
  LEFT JOIN person AS person
    ON person.person_id = insats.person_id
  WHERE
    insats.unit_rank = 1 AND NOT sjukpenningfall.fall_id IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
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
    insats.person_id AS unit_person
  FROM candidates AS insats
  LEFT JOIN ersattningsfall AS sjukpenningfall
    ON sjukpenningfall.person_id = insats.person_id
    AND sjukpenningfall.startdatum <= insats.startdatum
    AND (
      sjukpenningfall.slutdatum IS NULL
      OR insats.startdatum <= sjukpenningfall.slutdatum
    )
    AND sjukpenningfall.ersattning = 'sjukpenning'
  LEFT JOIN person AS person
    ON person.person_id = insats.person_id
  WHERE
    insats.unit_rank = 1 AND NOT sjukpenningfall.fall_id IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
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
    insats.person_id AS unit_person
  FROM candidates AS insats
  LEFT JOIN ersattningsfall AS sjukpenningfall
    ON sjukpenningfall.person_id = insats.person_id
    AND sjukpenningfall.startdatum <= insats.startdatum
    AND (
      sjukpenningfall.slutdatum IS NULL
      OR insats.startdatum <= sjukpenningfall.slutdatum
    )
    AND sjukpenningfall.ersattning = 'sjukpenning'
  LEFT JOIN person AS person
    ON person.person_id = insats.person_id
  WHERE
    insats.unit_rank = 1 AND NOT sjukpenningfall.fall_id IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon)
  );
