-- period 2017
WITH population AS (
  SELECT
    person.kon AS by_kon,
    person.person_id AS unit_person
  FROM person AS person
  LEFT JOIN (
    SELECT
      insatser.person_id AS anchor_key,
      COUNT(*) AS value
    FROM insats AS insatser
    WHERE
      NOT insatser.person_id IS NULL
      AND insatser.startdatum BETWEEN CAST('2017-01-01' AS DATE) AND CAST('2017-12-31' AS DATE)
    GROUP BY
      insatser.person_id
  ) AS insatser_i_perioden
    ON insatser_i_perioden.anchor_key = person.person_id
  WHERE
    insatser_i_perioden.value >= 2
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
WITH population AS (
  SELECT
    person.kon AS by_kon,
    person.person_id AS unit_person
  FROM person AS person
  LEFT JOIN (
    SELECT
      insatser.person_id AS anchor_key,
      COUNT(*) AS value
    FROM insats AS insatser
    WHERE
      NOT insatser.person_id IS NULL
      AND insatser.startdatum BETWEEN CAST('2018-01-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    GROUP BY
      insatser.person_id
  ) AS insatser_i_perioden
    ON insatser_i_perioden.anchor_key = person.person_id
  WHERE
    insatser_i_perioden.value >= 2
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
WITH population AS (
  SELECT
    person.kon AS by_kon,
    person.person_id AS unit_person
  FROM person AS person
  LEFT JOIN (
    SELECT
      insatser.person_id AS anchor_key,
      COUNT(*) AS value
    FROM insats AS insatser
    WHERE
      NOT insatser.person_id IS NULL
      AND insatser.startdatum BETWEEN CAST('2018-07-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    GROUP BY
      insatser.person_id
  ) AS insatser_i_perioden
    ON insatser_i_perioden.anchor_key = person.person_id
  WHERE
    insatser_i_perioden.value >= 2
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
WITH population AS (
  SELECT
    person.kon AS by_kon,
    person.person_id AS unit_person
  FROM person AS person
  LEFT JOIN (
    SELECT
      insatser.person_id AS anchor_key,
      COUNT(*) AS value
    FROM insats AS insatser
    WHERE
      NOT insatser.person_id IS NULL
      AND insatser.startdatum BETWEEN CAST('2018-10-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    GROUP BY
      insatser.person_id
  ) AS insatser_i_perioden
    ON insatser_i_perioden.anchor_key = person.person_id
  WHERE
    insatser_i_perioden.value >= 2
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
WITH population AS (
  SELECT
    person.kon AS by_kon,
    person.person_id AS unit_person
  FROM person AS person
  LEFT JOIN (
    SELECT
      insatser.person_id AS anchor_key,
      COUNT(*) AS value
    FROM insats AS insatser
    WHERE
      NOT insatser.person_id IS NULL
      AND insatser.startdatum BETWEEN CAST('2018-12-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    GROUP BY
      insatser.person_id
  ) AS insatser_i_perioden
    ON insatser_i_perioden.anchor_key = person.person_id
  WHERE
    insatser_i_perioden.value >= 2
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
