-- period 2017
WITH population AS (
  SELECT
    person.kon AS by_kon,
    mote.person_id AS den_value,
    mote.person_id AS unit_person
  FROM mote AS mote
  LEFT JOIN person AS person
    ON person.person_id = mote.person_id
  WHERE
    mote.datum BETWEEN CAST('2017-01-01' AS DATE) AND CAST('2017-12-31' AS DATE)
    AND mote.motestyp = 'kontaktmote'
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  CAST(COUNT(*) AS DOUBLE) / NULLIF(COUNT(DISTINCT den_value), 0) AS value,
  COUNT(*) AS numerator,
  COUNT(DISTINCT den_value) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  CAST(COUNT(*) AS DOUBLE) / NULLIF(COUNT(DISTINCT den_value), 0) AS value,
  COUNT(*) AS numerator,
  COUNT(DISTINCT den_value) AS denominator,
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
    mote.person_id AS den_value,
    mote.person_id AS unit_person
  FROM mote AS mote
  LEFT JOIN person AS person
    ON person.person_id = mote.person_id
  WHERE
    mote.datum BETWEEN CAST('2018-01-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND mote.motestyp = 'kontaktmote'
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  CAST(COUNT(*) AS DOUBLE) / NULLIF(COUNT(DISTINCT den_value), 0) AS value,
  COUNT(*) AS numerator,
  COUNT(DISTINCT den_value) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  CAST(COUNT(*) AS DOUBLE) / NULLIF(COUNT(DISTINCT den_value), 0) AS value,
  COUNT(*) AS numerator,
  COUNT(DISTINCT den_value) AS denominator,
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
    mote.person_id AS den_value,
    mote.person_id AS unit_person
  FROM mote AS mote
  LEFT JOIN person AS person
    ON person.person_id = mote.person_id
  WHERE
    mote.datum BETWEEN CAST('2018-07-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND mote.motestyp = 'kontaktmote'
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  CAST(COUNT(*) AS DOUBLE) / NULLIF(COUNT(DISTINCT den_value), 0) AS value,
  COUNT(*) AS numerator,
  COUNT(DISTINCT den_value) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  CAST(COUNT(*) AS DOUBLE) / NULLIF(COUNT(DISTINCT den_value), 0) AS value,
  COUNT(*) AS numerator,
  COUNT(DISTINCT den_value) AS denominator,
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
    mote.person_id AS den_value,
    mote.person_id AS unit_person
  FROM mote AS mote
  LEFT JOIN person AS person
    ON person.person_id = mote.person_id
  WHERE
    mote.datum BETWEEN CAST('2018-10-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND mote.motestyp = 'kontaktmote'
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  CAST(COUNT(*) AS DOUBLE) / NULLIF(COUNT(DISTINCT den_value), 0) AS value,
  COUNT(*) AS numerator,
  COUNT(DISTINCT den_value) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  CAST(COUNT(*) AS DOUBLE) / NULLIF(COUNT(DISTINCT den_value), 0) AS value,
  COUNT(*) AS numerator,
  COUNT(DISTINCT den_value) AS denominator,
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
    mote.person_id AS den_value,
    mote.person_id AS unit_person
  FROM mote AS mote
  LEFT JOIN person AS person
    ON person.person_id = mote.person_id
  WHERE
    mote.datum BETWEEN CAST('2018-12-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND mote.motestyp = 'kontaktmote'
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  CAST(COUNT(*) AS DOUBLE) / NULLIF(COUNT(DISTINCT den_value), 0) AS value,
  COUNT(*) AS numerator,
  COUNT(DISTINCT den_value) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  CAST(COUNT(*) AS DOUBLE) / NULLIF(COUNT(DISTINCT den_value), 0) AS value,
  COUNT(*) AS numerator,
  COUNT(DISTINCT den_value) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon)
  );
