-- period 2017
WITH population AS (
  SELECT
    person.kon AS by_kon,
    (
      DATEDIFF(ersattningsfall.slutdatum, ersattningsfall.startdatum) + 1
    ) AS measure_value,
    ersattningsfall.person_id AS unit_person
  FROM ersattningsfall AS ersattningsfall
  LEFT JOIN (
    SELECT
      samarbeten.fall_id AS anchor_key,
      COUNT(*) AS value
    FROM samarbete AS samarbeten
    INNER JOIN insats AS samarbeten__insatser
      ON samarbeten__insatser.samarbete_id = samarbeten.samarbete_id
    WHERE
      NOT samarbeten.fall_id IS NULL
    GROUP BY
      samarbeten.fall_id
  ) AS exists_samarbeten_insatser
    ON exists_samarbeten_insatser.anchor_key = ersattningsfall.fall_id
  LEFT JOIN person AS person
    ON person.person_id = ersattningsfall.person_id
  WHERE
    ersattningsfall.slutdatum BETWEEN CAST('2017-01-01' AS DATE) AND CAST('2017-12-31' AS DATE)
    AND ersattningsfall.ersattning = 'sjukpenning'
    AND NOT exists_samarbeten_insatser.anchor_key IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  PERCENTILE(measure_value, 0.5) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  PERCENTILE(measure_value, 0.5) AS value,
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
    (
      DATEDIFF(ersattningsfall.slutdatum, ersattningsfall.startdatum) + 1
    ) AS measure_value,
    ersattningsfall.person_id AS unit_person
  FROM ersattningsfall AS ersattningsfall
  LEFT JOIN (
    SELECT
      samarbeten.fall_id AS anchor_key,
      COUNT(*) AS value
    FROM samarbete AS samarbeten
    INNER JOIN insats AS samarbeten__insatser
      ON samarbeten__insatser.samarbete_id = samarbeten.samarbete_id
    WHERE
      NOT samarbeten.fall_id IS NULL
    GROUP BY
      samarbeten.fall_id
  ) AS exists_samarbeten_insatser
    ON exists_samarbeten_insatser.anchor_key = ersattningsfall.fall_id
  LEFT JOIN person AS person
    ON person.person_id = ersattningsfall.person_id
  WHERE
    ersattningsfall.slutdatum BETWEEN CAST('2018-01-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND ersattningsfall.ersattning = 'sjukpenning'
    AND NOT exists_samarbeten_insatser.anchor_key IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  PERCENTILE(measure_value, 0.5) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  PERCENTILE(measure_value, 0.5) AS value,
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
    (
      DATEDIFF(ersattningsfall.slutdatum, ersattningsfall.startdatum) + 1
    ) AS measure_value,
    ersattningsfall.person_id AS unit_person
  FROM ersattningsfall AS ersattningsfall
  LEFT JOIN (
    SELECT
      samarbeten.fall_id AS anchor_key,
      COUNT(*) AS value
    FROM samarbete AS samarbeten
    INNER JOIN insats AS samarbeten__insatser
      ON samarbeten__insatser.samarbete_id = samarbeten.samarbete_id
    WHERE
      NOT samarbeten.fall_id IS NULL
    GROUP BY
      samarbeten.fall_id
  ) AS exists_samarbeten_insatser
    ON exists_samarbeten_insatser.anchor_key = ersattningsfall.fall_id
  LEFT JOIN person AS person
    ON person.person_id = ersattningsfall.person_id
  WHERE
    ersattningsfall.slutdatum BETWEEN CAST('2018-07-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND ersattningsfall.ersattning = 'sjukpenning'
    AND NOT exists_samarbeten_insatser.anchor_key IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  PERCENTILE(measure_value, 0.5) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  PERCENTILE(measure_value, 0.5) AS value,
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
    (
      DATEDIFF(ersattningsfall.slutdatum, ersattningsfall.startdatum) + 1
    ) AS measure_value,
    ersattningsfall.person_id AS unit_person
  FROM ersattningsfall AS ersattningsfall
  LEFT JOIN (
    SELECT
      samarbeten.fall_id AS anchor_key,
      COUNT(*) AS value
    FROM samarbete AS samarbeten
    INNER JOIN insats AS samarbeten__insatser
      ON samarbeten__insatser.samarbete_id = samarbeten.samarbete_id
    WHERE
      NOT samarbeten.fall_id IS NULL
    GROUP BY
      samarbeten.fall_id
  ) AS exists_samarbeten_insatser
    ON exists_samarbeten_insatser.anchor_key = ersattningsfall.fall_id
  LEFT JOIN person AS person
    ON person.person_id = ersattningsfall.person_id
  WHERE
    ersattningsfall.slutdatum BETWEEN CAST('2018-10-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND ersattningsfall.ersattning = 'sjukpenning'
    AND NOT exists_samarbeten_insatser.anchor_key IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  PERCENTILE(measure_value, 0.5) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  PERCENTILE(measure_value, 0.5) AS value,
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
    (
      DATEDIFF(ersattningsfall.slutdatum, ersattningsfall.startdatum) + 1
    ) AS measure_value,
    ersattningsfall.person_id AS unit_person
  FROM ersattningsfall AS ersattningsfall
  LEFT JOIN (
    SELECT
      samarbeten.fall_id AS anchor_key,
      COUNT(*) AS value
    FROM samarbete AS samarbeten
    INNER JOIN insats AS samarbeten__insatser
      ON samarbeten__insatser.samarbete_id = samarbeten.samarbete_id
    WHERE
      NOT samarbeten.fall_id IS NULL
    GROUP BY
      samarbeten.fall_id
  ) AS exists_samarbeten_insatser
    ON exists_samarbeten_insatser.anchor_key = ersattningsfall.fall_id
  LEFT JOIN person AS person
    ON person.person_id = ersattningsfall.person_id
  WHERE
    ersattningsfall.slutdatum BETWEEN CAST('2018-12-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND ersattningsfall.ersattning = 'sjukpenning'
    AND NOT exists_samarbeten_insatser.anchor_key IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  PERCENTILE(measure_value, 0.5) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
UNION ALL
SELECT
  GROUPING(by_kon) AS grouping_kon,
  by_kon,
  PERCENTILE(measure_value, 0.5) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon)
  );
