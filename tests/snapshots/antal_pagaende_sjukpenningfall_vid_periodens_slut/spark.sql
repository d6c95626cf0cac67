-- period 2017
WITH population AS (
  SELECT
    person.kon AS by_kon,
    ersattningsfall.person_id AS unit_person
  FROM ersattningsfall AS ersattningsfall
  LEFT JOIN person AS person
    ON person.person_id = ersattningsfall.person_id
  WHERE
    (
      ersattningsfall.startdatum <= CAST('2017-12-31' AS DATE)
      AND (
        ersattningsfall.slutdatum IS NULL
        OR ersattningsfall.slutdatum >= CAST('2017-12-31' AS DATE)
      )
    )
    AND ersattningsfall.ersattning = 'sjukpenning'
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
    ersattningsfall.person_id AS unit_person
  FROM ersattningsfall AS ersattningsfall
  LEFT JOIN person AS person
    ON person.person_id = ersattningsfall.person_id
  WHERE
    (
      ersattningsfall.startdatum <= CAST('2018-12-31' AS DATE)
      AND (
        ersattningsfall.slutdatum IS NULL
        OR ersattningsfall.slutdatum >= CAST('2018-12-31' AS DATE)
      )
    )
    AND ersattningsfall.ersattning = 'sjukpenning'
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
    ersattningsfall.person_id AS unit_person
  FROM ersattningsfall AS ersattningsfall
  LEFT JOIN person AS person
    ON person.person_id = ersattningsfall.person_id
  WHERE
    (
      ersattningsfall.startdatum <= CAST('2018-12-31' AS DATE)
      AND (
        ersattningsfall.slutdatum IS NULL
        OR ersattningsfall.slutdatum >= CAST('2018-12-31' AS DATE)
      )
    )
    AND ersattningsfall.ersattning = 'sjukpenning'
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
    ersattningsfall.person_id AS unit_person
  FROM ersattningsfall AS ersattningsfall
  LEFT JOIN person AS person
    ON person.person_id = ersattningsfall.person_id
  WHERE
    (
      ersattningsfall.startdatum <= CAST('2018-12-31' AS DATE)
      AND (
        ersattningsfall.slutdatum IS NULL
        OR ersattningsfall.slutdatum >= CAST('2018-12-31' AS DATE)
      )
    )
    AND ersattningsfall.ersattning = 'sjukpenning'
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
    ersattningsfall.person_id AS unit_person
  FROM ersattningsfall AS ersattningsfall
  LEFT JOIN person AS person
    ON person.person_id = ersattningsfall.person_id
  WHERE
    (
      ersattningsfall.startdatum <= CAST('2018-12-31' AS DATE)
      AND (
        ersattningsfall.slutdatum IS NULL
        OR ersattningsfall.slutdatum >= CAST('2018-12-31' AS DATE)
      )
    )
    AND ersattningsfall.ersattning = 'sjukpenning'
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
