-- period 2017
WITH population AS (
  SELECT
    person.kon AS by_kon,
    insats.behovsgrupp AS by_behovsgrupp,
    forbund.lan AS by_lan,
    insats.person_id AS unit_person
  FROM insats AS insats
  LEFT JOIN person AS person
    ON person.person_id = insats.person_id
  LEFT JOIN samordningsforbund AS forbund
    ON forbund.forbund_id = insats.forbund_id
  WHERE
    insats.startdatum BETWEEN CAST('2017-01-01' AS DATE) AND CAST('2017-12-31' AS DATE)
    AND insats.finansiar = 'samordningsforbund'
    AND insats.behovsgrupp IN (
      'langtidssjukskrivna',
      'unga_med_funktionsnedsattning',
      'unga_med_aktivitetsersattning'
    )
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_behovsgrupp,
  NULL AS by_behovsgrupp,
  1 AS grouping_lan,
  NULL AS by_lan,
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
  GROUPING(by_behovsgrupp) AS grouping_behovsgrupp,
  by_behovsgrupp,
  GROUPING(by_lan) AS grouping_lan,
  by_lan,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon),
    (by_behovsgrupp),
    (by_lan)
  );

-- period 2018
WITH population AS (
  SELECT
    person.kon AS by_kon,
    insats.behovsgrupp AS by_behovsgrupp,
    forbund.lan AS by_lan,
    insats.person_id AS unit_person
  FROM insats AS insats
  LEFT JOIN person AS person
    ON person.person_id = insats.person_id
  LEFT JOIN samordningsforbund AS forbund
    ON forbund.forbund_id = insats.forbund_id
  WHERE
    insats.startdatum BETWEEN CAST('2018-01-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND insats.finansiar = 'samordningsforbund'
    AND insats.behovsgrupp IN (
      'langtidssjukskrivna',
      'unga_med_funktionsnedsattning',
      'unga_med_aktivitetsersattning'
    )
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_behovsgrupp,
  NULL AS by_behovsgrupp,
  1 AS grouping_lan,
  NULL AS by_lan,
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
  GROUPING(by_behovsgrupp) AS grouping_behovsgrupp,
  by_behovsgrupp,
  GROUPING(by_lan) AS grouping_lan,
  by_lan,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon),
    (by_behovsgrupp),
    (by_lan)
  );

-- period 2018H2
WITH population AS (
  SELECT
    person.kon AS by_kon,
    insats.behovsgrupp AS by_behovsgrupp,
    forbund.lan AS by_lan,
    insats.person_id AS unit_person
  FROM insats AS insats
  LEFT JOIN person AS person
    ON person.person_id = insats.person_id
  LEFT JOIN samordningsforbund AS forbund
    ON forbund.forbund_id = insats.forbund_id
  WHERE
    insats.startdatum BETWEEN CAST('2018-07-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND insats.finansiar = 'samordningsforbund'
    AND insats.behovsgrupp IN (
      'langtidssjukskrivna',
      'unga_med_funktionsnedsattning',
      'unga_med_aktivitetsersattning'
    )
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_behovsgrupp,
  NULL AS by_behovsgrupp,
  1 AS grouping_lan,
  NULL AS by_lan,
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
  GROUPING(by_behovsgrupp) AS grouping_behovsgrupp,
  by_behovsgrupp,
  GROUPING(by_lan) AS grouping_lan,
  by_lan,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon),
    (by_behovsgrupp),
    (by_lan)
  );

-- period 2018Q4
WITH population AS (
  SELECT
    person.kon AS by_kon,
    insats.behovsgrupp AS by_behovsgrupp,
    forbund.lan AS by_lan,
    insats.person_id AS unit_person
  FROM insats AS insats
  LEFT JOIN person AS person
    ON person.person_id = insats.person_id
  LEFT JOIN samordningsforbund AS forbund
    ON forbund.forbund_id = insats.forbund_id
  WHERE
    insats.startdatum BETWEEN CAST('2018-10-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND insats.finansiar = 'samordningsforbund'
    AND insats.behovsgrupp IN (
      'langtidssjukskrivna',
      'unga_med_funktionsnedsattning',
      'unga_med_aktivitetsersattning'
    )
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_behovsgrupp,
  NULL AS by_behovsgrupp,
  1 AS grouping_lan,
  NULL AS by_lan,
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
  GROUPING(by_behovsgrupp) AS grouping_behovsgrupp,
  by_behovsgrupp,
  GROUPING(by_lan) AS grouping_lan,
  by_lan,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon),
    (by_behovsgrupp),
    (by_lan)
  );

-- period 2018-12
WITH population AS (
  SELECT
    person.kon AS by_kon,
    insats.behovsgrupp AS by_behovsgrupp,
    forbund.lan AS by_lan,
    insats.person_id AS unit_person
  FROM insats AS insats
  LEFT JOIN person AS person
    ON person.person_id = insats.person_id
  LEFT JOIN samordningsforbund AS forbund
    ON forbund.forbund_id = insats.forbund_id
  WHERE
    insats.startdatum BETWEEN CAST('2018-12-01' AS DATE) AND CAST('2018-12-31' AS DATE)
    AND insats.finansiar = 'samordningsforbund'
    AND insats.behovsgrupp IN (
      'langtidssjukskrivna',
      'unga_med_funktionsnedsattning',
      'unga_med_aktivitetsersattning'
    )
)
SELECT
  1 AS grouping_kon,
  NULL AS by_kon,
  1 AS grouping_behovsgrupp,
  NULL AS by_behovsgrupp,
  1 AS grouping_lan,
  NULL AS by_lan,
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
  GROUPING(by_behovsgrupp) AS grouping_behovsgrupp,
  by_behovsgrupp,
  GROUPING(by_lan) AS grouping_lan,
  by_lan,
  COUNT(*) AS value,
  CAST(NULL AS BIGINT) AS numerator,
  CAST(NULL AS BIGINT) AS denominator,
  COUNT(*) AS n,
  COUNT(DISTINCT unit_person) AS persons
FROM population
GROUP BY
  GROUPING SETS (
    (by_kon),
    (by_behovsgrupp),
    (by_lan)
  );
