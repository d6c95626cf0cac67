-- period 2017
WITH population AS (
  SELECT
    person.kon AS by_kon,
    mote.motestyp AS by_motestyp,
    mote.person_id AS unit_person
  FROM mote AS mote
  LEFT JOIN person AS person
    ON person.person_id = mote.person_id
  WHERE
    mote.datum BETWEEN CAST('2017-01-01' AS DATE) AND CAST('2017-12-31' AS DATE)
    AND mote.motestyp IN ('overlamningsmote', 'omstallningsmote')
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_motestyp,
  NULL AS by_motestyp,
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
  GROUPING(by_motestyp) AS grouping_motestyp,
  by_motestyp,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon),
    (by_motestyp)
  );

-- period 2018
WITH population AS (
  SELECT
    person.kon AS by_kon,
    mote.motestyp AS by_motestyp,
    mote.person_id AS unit_person
  FROM mote AS mote
  LEFT JOIN person AS person
    ON person.person_id = mote.person_id
  WHERE
    mote.datum BETWEEN CAST('2018-01-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND mote.motestyp IN ('overlamningsmote', 'omstallningsmote')
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_motestyp,
  NULL AS by_motestyp,
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
  GROUPING(by_motestyp) AS grouping_motestyp,
  by_motestyp,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon),
    (by_motestyp)
  );

-- period 2018H2
WITH population AS (
  SELECT
    person.kon AS by_kon,
    mote.motestyp AS by_motestyp,
    mote.person_id AS unit_person
  FROM mote AS mote
  LEFT JOIN person AS person
    ON person.person_id = mote.person_id
  WHERE
    mote.datum BETWEEN CAST('2018-07-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND mote.motestyp IN ('overlamningsmote', 'omstallningsmote')
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_motestyp,
  NULL AS by_motestyp,
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
  GROUPING(by_motestyp) AS grouping_motestyp,
  by_motestyp,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon),
    (by_motestyp)
  );

-- period 2018Q4
WITH population AS (
  SELECT
    person.kon AS by_kon,
    mote.motestyp AS by_motestyp,
    mote.person_id AS unit_person
  FROM mote AS mote
  LEFT JOIN person AS person
    ON person.person_id = mote.person_id
  WHERE
    mote.datum BETWEEN CAST('2018-10-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND mote.motestyp IN ('overlamningsmote', 'omstallningsmote')
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_motestyp,
  NULL AS by_motestyp,
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
  GROUPING(by_motestyp) AS grouping_motestyp,
  by_motestyp,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon),
    (by_motestyp)
  );

-- period 2018-12
WITH population AS (
  SELECT
    person.kon AS by_kon,
    mote.motestyp AS by_motestyp,
    mote.person_id AS unit_person
  FROM mote AS mote
  LEFT JOIN person AS person
    ON person.person_id = mote.person_id
  WHERE
    mote.datum BETWEEN CAST('2018-12-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND mote.motestyp IN ('overlamningsmote', 'omstallningsmote')
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_motestyp,
  NULL AS by_motestyp,
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
  GROUPING(by_motestyp) AS grouping_motestyp,
  by_motestyp,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon),
    (by_motestyp)
  );
