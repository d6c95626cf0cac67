-- period 2017
WITH population AS (
  SELECT
    person.kon AS by_kon,
    CASE WHEN NOT exists_moten.anchor_key IS NULL THEN 1 ELSE 0 END AS in_numerator,
    ersattningsfall.person_id AS unit_person
  FROM ersattningsfall AS ersattningsfall
  LEFT JOIN (
    SELECT
      moten.fall_id AS anchor_key,
      COUNT(*) AS value
    FROM mote AS moten
    WHERE
      NOT moten.fall_id IS NULL AND moten.motestyp = 'omstallningsmote'
    GROUP BY
      moten.fall_id
  ) AS exists_moten
    ON exists_moten.anchor_key = ersattningsfall.fall_id
  LEFT JOIN person AS person
    ON person.person_id = ersattningsfall.person_id
  WHERE
    ersattningsfall.slutdatum BETWEEN CAST('2017-01-01' AS DATE) AND CAST('2017-12-31' AS DATE)
    AND ersattningsfall.ersattning = 'sjukpenning'
    AND ersattningsfall.avslutsorsak = 'ratt_till_ersattning_upphort'
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
WITH population AS (
  SELECT
    person.kon AS by_kon,
    CASE WHEN NOT exists_moten.anchor_key IS NULL THEN 1 ELSE 0 END AS in_numerator,
    ersattningsfall.person_id AS unit_person
  FROM ersattningsfall AS ersattningsfall
  LEFT JOIN (
    SELECT
      moten.fall_id AS anchor_key,
      COUNT(*) AS value
    FROM mote AS moten
    WHERE
      NOT moten.fall_id IS NULL AND moten.motestyp = 'omstallningsmote'
    GROUP BY
      moten.fall_id
  ) AS exists_moten
    ON exists_moten.anchor_key = ersattningsfall.fall_id
  LEFT JOIN person AS person
    ON person.person_id = ersattningsfall.person_id
  WHERE
    ersattningsfall.slutdatum BETWEEN CAST('2018-01-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND ersattningsfall.ersattning = 'sjukpenning'
    AND ersattningsfall.avslutsorsak = 'ratt_till_ersattning_upphort'
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
WITH population AS (
  SELECT
    person.kon AS by_kon,
    CASE WHEN NOT exists_moten.anchor_key IS NULL THEN 1 ELSE 0 END AS in_numerator,
    ersattningsfall.person_id AS unit_person
  FROM ersattningsfall AS ersattningsfall
  LEFT JOIN (
    SELECT
      moten.fall_id AS anchor_key,
      COUNT(*) AS value
    FROM mote AS moten
    WHERE
      NOT moten.fall_id IS NULL AND moten.motestyp = 'omstallningsmote'
    GROUP BY
      moten.fall_id
  ) AS exists_moten
    ON exists_moten.anchor_key = ersattningsfall.fall_id
  LEFT JOIN person AS person
    ON person.person_id = ersattningsfall.person_id
  WHERE
    ersattningsfall.slutdatum BETWEEN CAST('2018-07-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND ersattningsfall.ersattning = 'sjukpenning'
    AND ersattningsfall.avslutsorsak = 'ratt_till_ersattning_upphort'
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
WITH population AS (
  SELECT
    person.kon AS by_kon,
    CASE WHEN NOT exists_moten.anchor_key IS NULL THEN 1 ELSE 0 END AS in_numerator,
    ersattningsfall.person_id AS unit_person
  FROM ersattningsfall AS ersattningsfall
  LEFT JOIN (
    SELECT
      moten.fall_id AS anchor_key,
      COUNT(*) AS value
    FROM mote AS moten
    WHERE
      NOT moten.fall_id IS NULL AND moten.motestyp = 'omstallningsmote'
    GROUP BY
      moten.fall_id
  ) AS exists_moten
    ON exists_moten.anchor_key = ersattningsfall.fall_id
  LEFT JOIN person AS person
    ON person.person_id = ersattningsfall.person_id
  WHERE
    ersattningsfall.slutdatum BETWEEN CAST('2018-10-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND ersattningsfall.ersattning = 'sjukpenning'
    AND ersattningsfall.avslutsorsak = 'ratt_till_ersattning_upphort'
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
WITH population AS (
  SELECT
    person.kon AS by_kon,
    CASE WHEN NOT exists_moten.anchor_key IS NULL THEN 1 ELSE 0 END AS in_numerator,
    ersattningsfall.person_id AS unit_person
  FROM ersattningsfall AS ersattningsfall
  LEFT JOIN (
    SELECT
      moten.fall_id AS anchor_key,
      COUNT(*) AS value
    FROM mote AS moten
    WHERE
      NOT moten.fall_id IS NULL AND moten.motestyp = 'omstallningsmote'
    GROUP BY
      moten.fall_id
  ) AS exists_moten
    ON exists_moten.anchor_key = ersattningsfall.fall_id
  LEFT JOIN person AS person
    ON person.person_id = ersattningsfall.person_id
  WHERE
    ersattningsfall.slutdatum BETWEEN CAST('2018-12-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND ersattningsfall.ersattning = 'sjukpenning'
    AND ersattningsfall.avslutsorsak = 'ratt_till_ersattning_upphort'
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
