-- period 2017
WITH population AS (
  SELECT
    person.kon AS by_kon,
    fall.ersattning AS by_ersattning,
    CASE
      WHEN (
        samarbete.utfall IN ('arbete', 'utbildning', 'arbetsmarknadspolitiskt_program', 'oppet_arbetslos')
      )
      THEN 1
      ELSE 0
    END AS in_numerator,
    samarbete.person_id AS unit_person
  FROM samarbete AS samarbete
  LEFT JOIN (
    SELECT
      insatser.samarbete_id AS anchor_key,
      COUNT(*) AS value
    FROM insats AS insatser
    WHERE
      NOT insatser.samarbete_id IS NULL AND insatser.insatstyp = 'arbetslivsinriktad'
    GROUP BY
      insatser.samarbete_id
  ) AS exists_insatser
    ON exists_insatser.anchor_key = samarbete.samarbete_id
  LEFT JOIN person AS person
    ON person.person_id = samarbete.person_id
  LEFT JOIN ersattningsfall AS fall
    ON fall.fall_id = samarbete.fall_id
  WHERE
    samarbete.slutdatum BETWEEN CAST('2017-01-01' AS DATE) AND CAST('2017-12-31' AS DATE)
    AND samarbete.avslutsorsak = 'efter_insats'
    AND NOT exists_insatser.anchor_key IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_ersattning,
  NULL AS by_ersattning,
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
  GROUPING(by_ersattning) AS grouping_ersattning,
  by_ersattning,
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
    (by_kon),
    (by_ersattning)
  );

-- period 2018
WITH population AS (
  SELECT
    person.kon AS by_kon,
    fall.ersattning AS by_ersattning,
    CASE
      WHEN (
        samarbete.utfall IN ('arbete', 'utbildning', 'arbetsmarknadspolitiskt_program', 'oppet_arbetslos')
      )
      THEN 1
      ELSE 0
    END AS in_numerator,
    samarbete.person_id AS unit_person
  FROM samarbete AS samarbete
  LEFT JOIN (
    SELECT
      insatser.samarbete_id AS anchor_key,
      COUNT(*) AS value
    FROM insats AS insatser
    WHERE
      NOT insatser.samarbete_id IS NULL AND insatser.insatstyp = 'arbetslivsinriktad'
    GROUP BY
      insatser.samarbete_id
  ) AS exists_insatser
    ON exists_insatser.anchor_key = samarbete.samarbete_id
  LEFT JOIN person AS person
    ON person.person_id = samarbete.person_id
  LEFT JOIN ersattningsfall AS fall
    ON fall.fall_id = samarbete.fall_id
  WHERE
    samarbete.slutdatum BETWEEN CAST('2018-01-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND samarbete.avslutsorsak = 'efter_insats'
    AND NOT exists_insatser.anchor_key IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_ersattning,
  NULL AS by_ersattning,
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
  GROUPING(by_ersattning) AS grouping_ersattning,
  by_ersattning,
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
    (by_kon),
    (by_ersattning)
  );

-- period 2018H2
WITH population AS (
  SELECT
    person.kon AS by_kon,
    fall.ersattning AS by_ersattning,
    CASE
      WHEN (
        samarbete.utfall IN ('arbete', 'utbildning', 'arbetsmarknadspolitiskt_program', 'oppet_arbetslos')
      )
      THEN 1
      ELSE 0
    END AS in_numerator,
    samarbete.person_id AS unit_person
  FROM samarbete AS samarbete
  LEFT JOIN (
    SELECT
      insatser.samarbete_id AS anchor_key,
      COUNT(*) AS value
    FROM insats AS insatser
    WHERE
      NOT insatser.samarbete_id IS NULL AND insatser.insatstyp = 'arbetslivsinriktad'
    GROUP BY
      insatser.samarbete_id
  ) AS exists_insatser
    ON exists_insatser.anchor_key = samarbete.samarbete_id
  LEFT JOIN person AS person
    ON person.person_id = samarbete.person_id
  LEFT JOIN ersattningsfall AS fall
    ON fall.fall_id = samarbete.fall_id
  WHERE
    samarbete.slutdatum BETWEEN CAST('2018-07-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND samarbete.avslutsorsak = 'efter_insats'
    AND NOT exists_insatser.anchor_key IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_ersattning,
  NULL AS by_ersattning,
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
  GROUPING(by_ersattning) AS grouping_ersattning,
  by_ersattning,
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
    (by_kon),
    (by_ersattning)
  );

-- period 2018Q4
WITH population AS (
  SELECT
    person.kon AS by_kon,
    fall.ersattning AS by_ersattning,
    CASE
      WHEN (
        samarbete.utfall IN ('arbete', 'utbildning', 'arbetsmarknadspolitiskt_program', 'oppet_arbetslos')
      )
      THEN 1
      ELSE 0
    END AS in_numerator,
    samarbete.person_id AS unit_person
  FROM samarbete AS samarbete
  LEFT JOIN (
    SELECT
      insatser.samarbete_id AS anchor_key,
      COUNT(*) AS value
    FROM insats AS insatser
    WHERE
      NOT insatser.samarbete_id IS NULL AND insatser.insatstyp = 'arbetslivsinriktad'
    GROUP BY
      insatser.samarbete_id
  ) AS exists_insatser
    ON exists_insatser.anchor_key = samarbete.samarbete_id
  LEFT JOIN person AS person
    ON person.person_id = samarbete.person_id
  LEFT JOIN ersattningsfall AS fall
    ON fall.fall_id = samarbete.fall_id
  WHERE
    samarbete.slutdatum BETWEEN CAST('2018-10-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND samarbete.avslutsorsak = 'efter_insats'
    AND NOT exists_insatser.anchor_key IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_ersattning,
  NULL AS by_ersattning,
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
  GROUPING(by_ersattning) AS grouping_ersattning,
  by_ersattning,
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
    (by_kon),
    (by_ersattning)
  );

-- period 2018-12
WITH population AS (
  SELECT
    person.kon AS by_kon,
    fall.ersattning AS by_ersattning,
    CASE
      WHEN (
        samarbete.utfall IN ('arbete', 'utbildning', 'arbetsmarknadspolitiskt_program', 'oppet_arbetslos')
      )
      THEN 1
      ELSE 0
    END AS in_numerator,
    samarbete.person_id AS unit_person
  FROM samarbete AS samarbete
  LEFT JOIN (
    SELECT
      insatser.samarbete_id AS anchor_key,
      COUNT(*) AS value
    FROM insats AS insatser
    WHERE
      NOT insatser.samarbete_id IS NULL AND insatser.insatstyp = 'arbetslivsinriktad'
    GROUP BY
      insatser.samarbete_id
  ) AS exists_insatser
    ON exists_insatser.anchor_key = samarbete.samarbete_id
  LEFT JOIN person AS person
    ON person.person_id = samarbete.person_id
  LEFT JOIN ersattningsfall AS fall
    ON fall.fall_id = samarbete.fall_id
  WHERE
    samarbete.slutdatum BETWEEN CAST('2018-12-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND samarbete.avslutsorsak = 'efter_insats'
    AND NOT exists_insatser.anchor_key IS NULL
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_ersattning,
  NULL AS by_ersattning,
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
  GROUPING(by_ersattning) AS grouping_ersattning,
  by_ersattning,
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
    (by_kon),
    (by_ersattning)
  );
