-- period 2017
WITH population AS (
  SELECT
    person.kon AS by_kon,
    fall.ersattning AS by_ersattning,
    kartlaggning.person_id AS unit_person
  FROM kartlaggning AS kartlaggning
  LEFT JOIN person AS person
    ON person.person_id = kartlaggning.person_id
  LEFT JOIN ersattningsfall AS fall
    ON fall.fall_id = kartlaggning.fall_id
  WHERE
    kartlaggning.datum BETWEEN CAST('2017-01-01' AS DATE) AND CAST('2017-12-31' AS DATE)
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_ersattning,
  NULL AS by_ersattning,
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
  GROUPING(by_ersattning) AS grouping_ersattning,
  by_ersattning,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon),
    (by_ersattning),
    (by_kon, by_ersattning)
  );

-- period 2018
WITH population AS (
  SELECT
    person.kon AS by_kon,
    fall.ersattning AS by_ersattning,
    kartlaggning.person_id AS unit_person
  FROM kartlaggning AS kartlaggning
  LEFT JOIN person AS person
    ON person.person_id = kartlaggning.person_id
  LEFT JOIN ersattningsfall AS fall
    ON fall.fall_id = kartlaggning.fall_id
  WHERE
    kartlaggning.datum BETWEEN CAST('2018-01-01' AS DATE) AND CAST('2018-12-31' AS DATE)
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_ersattning,
  NULL AS by_ersattning,
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
  GROUPING(by_ersattning) AS grouping_ersattning,
  by_ersattning,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon),
    (by_ersattning),
    (by_kon, by_ersattning)
  );

-- period 2018H2
WITH population AS (
  SELECT
    person.kon AS by_kon,
    fall.ersattning AS by_ersattning,
    kartlaggning.person_id AS unit_person
  FROM kartlaggning AS kartlaggning
  LEFT JOIN person AS person
    ON person.person_id = kartlaggning.person_id
  LEFT JOIN ersattningsfall AS fall
    ON fall.fall_id = kartlaggning.fall_id
  WHERE
    kartlaggning.datum BETWEEN CAST('2018-07-01' AS DATE) AND CAST('2018-12-31' AS DATE)
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_ersattning,
  NULL AS by_ersattning,
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
  GROUPING(by_ersattning) AS grouping_ersattning,
  by_ersattning,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon),
    (by_ersattning),
    (by_kon, by_ersattning)
  );

-- period 2018Q4
WITH population AS (
  SELECT
    person.kon AS by_kon,
    fall.ersattning AS by_ersattning,
    kartlaggning.person_id AS unit_person
  FROM kartlaggning AS kartlaggning
  LEFT JOIN person AS person
    ON person.person_id = kartlaggning.person_id
  LEFT JOIN ersattningsfall AS fall
    ON fall.fall_id = kartlaggning.fall_id
  WHERE
    kartlaggning.datum BETWEEN CAST('2018-10-01' AS DATE) AND CAST('2018-12-31' AS DATE)
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_ersattning,
  NULL AS by_ersattning,
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
  GROUPING(by_ersattning) AS grouping_ersattning,
  by_ersattning,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon),
    (by_ersattning),
    (by_kon, by_ersattning)
  );

-- period 2018-12
WITH population AS (
  SELECT
    person.kon AS by_kon,
    fall.ersattning AS by_ersattning,
    kartlaggning.person_id AS unit_person
  FROM kartlaggning AS kartlaggning
  LEFT JOIN person AS person
    ON person.person_id = kartlaggning.person_id
  LEFT JOIN ersattningsfall AS fall
    ON fall.fall_id = kartlaggning.fall_id
  WHERE
    kartlaggning.datum BETWEEN CAST('2018-12-01' AS DATE) AND CAST('2018-12-31' AS DATE)
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_ersattning,
  NULL AS by_ersattning,
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
  GROUPING(by_ersattning) AS grouping_ersattning,
  by_ersattning,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon),
    (by_ersattning),
    (by_kon, by_ersattning)
  );
