-- Hand-written DuckDB SQL for the 21 indicators of /work/shared/spec/indicators.md,
-- written from the spec text (indicators.md, data-model.md) only, as an analyst would
-- write it by hand. It is the baseline of bench/bench.py and the cross-check of
-- tests/test_bench.py. It covers the 21 indicators shipped with the project, not
-- whatever the catalogue holds: bench.py times and cross-checks only the indicators
-- that have a query here and lists the others as skipped.
--
-- Every query takes the period's first and last day as the named parameters $start and
-- $end (DATE) and returns one row per reported cell:
--   breakdown  NULL for the total row, else the breakdown's name (kon, ersattning, ...)
--   category   the breakdown's value (NULL for the total row)
--   value      count / mean / median / share (NULL for a mean, median or share over nothing)
--   numerator, denominator   for shares only (NULL otherwise)
--   n          number of population units behind the row (for a share, the denominator)
-- Total + marginal breakdowns come from GROUPING SETS; the empty grouping set always
-- yields the total row, even over an empty population.
-- Psychiatric = diagnoskod LIKE 'F%' (LIKE is case-sensitive in DuckDB; NULL is not
-- psychiatric and stays in the denominator).

-- indicator: antal_gemensamma_kartlaggningar
WITH pop AS (
    SELECT k.kartlaggning_id, p.kon, f.ersattning
    FROM kartlaggning k
    JOIN person p ON p.person_id = k.person_id
    JOIN ersattningsfall f ON f.fall_id = k.fall_id
    WHERE k.datum BETWEEN $start AND $end
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' WHEN grouping(ersattning) = 0 THEN 'ersattning' END AS breakdown,
       CASE WHEN grouping(kon) = 0 THEN kon ELSE ersattning END AS category,
       count(*) AS value, NULL AS numerator, NULL AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon), (ersattning));

-- indicator: kartlaggning_dag_i_fallet
WITH pop AS (
    SELECT p.kon, f.ersattning, k.datum - f.startdatum + 1 AS dag_i_fallet
    FROM kartlaggning k
    JOIN person p ON p.person_id = k.person_id
    JOIN ersattningsfall f ON f.fall_id = k.fall_id
    WHERE k.datum BETWEEN $start AND $end
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' WHEN grouping(ersattning) = 0 THEN 'ersattning' END AS breakdown,
       CASE WHEN grouping(kon) = 0 THEN kon ELSE ersattning END AS category,
       avg(dag_i_fallet) AS value, NULL AS numerator, NULL AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon), (ersattning));

-- indicator: andel_psykiatrisk_diagnos_vid_kartlaggning
WITH pop AS (
    SELECT p.kon, f.ersattning, coalesce(f.diagnoskod LIKE 'F%', false) AS psykiatrisk
    FROM kartlaggning k
    JOIN person p ON p.person_id = k.person_id
    JOIN ersattningsfall f ON f.fall_id = k.fall_id
    WHERE k.datum BETWEEN $start AND $end
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' WHEN grouping(ersattning) = 0 THEN 'ersattning' END AS breakdown,
       CASE WHEN grouping(kon) = 0 THEN kon ELSE ersattning END AS category,
       count(*) FILTER (WHERE psykiatrisk) / nullif(count(*), 0) AS value,
       count(*) FILTER (WHERE psykiatrisk) AS numerator, count(*) AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon), (ersattning));

-- indicator: antal_nya_personer_i_aktiva_insatser
-- A participation's first intervention = min(startdatum) of its insats rows; the
-- population is the participations whose first intervention started in the period,
-- the value the number of distinct persons among them.
WITH forsta_insats AS (
    SELECT samarbete_id, min(startdatum) AS forsta_insatsdatum
    FROM insats
    WHERE samarbete_id IS NOT NULL
    GROUP BY samarbete_id
),
pop AS (
    SELECT s.person_id, p.kon, f.ersattning
    FROM samarbete s
    JOIN forsta_insats fi ON fi.samarbete_id = s.samarbete_id
    JOIN person p ON p.person_id = s.person_id
    JOIN ersattningsfall f ON f.fall_id = s.fall_id
    WHERE fi.forsta_insatsdatum BETWEEN $start AND $end
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' WHEN grouping(ersattning) = 0 THEN 'ersattning' END AS breakdown,
       CASE WHEN grouping(kon) = 0 THEN kon ELSE ersattning END AS category,
       count(DISTINCT person_id) AS value, NULL AS numerator, NULL AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon), (ersattning));

-- indicator: genomsnittlig_tid_i_samarbetet
WITH pop AS (
    SELECT p.kon, f.ersattning, s.slutdatum - s.startdatum AS dagar
    FROM samarbete s
    JOIN person p ON p.person_id = s.person_id
    JOIN ersattningsfall f ON f.fall_id = s.fall_id
    WHERE s.slutdatum BETWEEN $start AND $end
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' WHEN grouping(ersattning) = 0 THEN 'ersattning' END AS breakdown,
       CASE WHEN grouping(kon) = 0 THEN kon ELSE ersattning END AS category,
       avg(dagar) AS value, NULL AS numerator, NULL AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon), (ersattning));

-- indicator: antal_avslutade_efter_insats
WITH pop AS (
    SELECT p.kon, f.ersattning
    FROM samarbete s
    JOIN person p ON p.person_id = s.person_id
    JOIN ersattningsfall f ON f.fall_id = s.fall_id
    WHERE s.slutdatum BETWEEN $start AND $end
      AND s.avslutsorsak = 'efter_insats'
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' WHEN grouping(ersattning) = 0 THEN 'ersattning' END AS breakdown,
       CASE WHEN grouping(kon) = 0 THEN kon ELSE ersattning END AS category,
       count(*) AS value, NULL AS numerator, NULL AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon), (ersattning));

-- indicator: andel_lamnat_sjukforsakringen_efter_insats
WITH pop AS (
    SELECT p.kon, f.ersattning,
           coalesce(s.utfall IN ('arbete', 'utbildning', 'arbetsmarknadspolitiskt_program', 'oppet_arbetslos'), false) AS lamnat
    FROM samarbete s
    JOIN person p ON p.person_id = s.person_id
    JOIN ersattningsfall f ON f.fall_id = s.fall_id
    WHERE s.slutdatum BETWEEN $start AND $end
      AND s.avslutsorsak = 'efter_insats'
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' WHEN grouping(ersattning) = 0 THEN 'ersattning' END AS breakdown,
       CASE WHEN grouping(kon) = 0 THEN kon ELSE ersattning END AS category,
       count(*) FILTER (WHERE lamnat) / nullif(count(*), 0) AS value,
       count(*) FILTER (WHERE lamnat) AS numerator, count(*) AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon), (ersattning));

-- indicator: andel_lamnat_sjukforsakringen_efter_arbetslivsinriktade_insatser
WITH pop AS (
    SELECT p.kon, f.ersattning,
           coalesce(s.utfall IN ('arbete', 'utbildning', 'arbetsmarknadspolitiskt_program', 'oppet_arbetslos'), false) AS lamnat
    FROM samarbete s
    JOIN person p ON p.person_id = s.person_id
    JOIN ersattningsfall f ON f.fall_id = s.fall_id
    WHERE s.slutdatum BETWEEN $start AND $end
      AND s.avslutsorsak = 'efter_insats'
      AND EXISTS (SELECT 1 FROM insats i
                  WHERE i.samarbete_id = s.samarbete_id AND i.insatstyp = 'arbetslivsinriktad')
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' WHEN grouping(ersattning) = 0 THEN 'ersattning' END AS breakdown,
       CASE WHEN grouping(kon) = 0 THEN kon ELSE ersattning END AS category,
       count(*) FILTER (WHERE lamnat) / nullif(count(*), 0) AS value,
       count(*) FILTER (WHERE lamnat) AS numerator, count(*) AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon), (ersattning));

-- indicator: median_sjukfallslangd_vid_avslut
WITH pop AS (
    SELECT p.kon, f.slutdatum - f.startdatum + 1 AS langd_dagar
    FROM ersattningsfall f
    JOIN person p ON p.person_id = f.person_id
    WHERE f.ersattning = 'sjukpenning'
      AND f.slutdatum BETWEEN $start AND $end
      AND EXISTS (SELECT 1 FROM samarbete s JOIN insats i ON i.samarbete_id = s.samarbete_id
                  WHERE s.fall_id = f.fall_id)
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' END AS breakdown,
       kon AS category,
       quantile_cont(langd_dagar, 0.5) AS value, NULL AS numerator, NULL AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon));

-- indicator: andel_upphord_ratt_med_omstallningsmote
WITH pop AS (
    SELECT p.kon,
           EXISTS (SELECT 1 FROM mote m
                   WHERE m.fall_id = f.fall_id AND m.motestyp = 'omstallningsmote') AS med_mote
    FROM ersattningsfall f
    JOIN person p ON p.person_id = f.person_id
    WHERE f.ersattning = 'sjukpenning'
      AND f.slutdatum BETWEEN $start AND $end
      AND f.avslutsorsak = 'ratt_till_ersattning_upphort'
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' END AS breakdown,
       kon AS category,
       count(*) FILTER (WHERE med_mote) / nullif(count(*), 0) AS value,
       count(*) FILTER (WHERE med_mote) AS numerator, count(*) AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon));

-- indicator: antal_overlamnings_och_omstallningsmoten
WITH pop AS (
    SELECT p.kon, m.motestyp
    FROM mote m
    JOIN person p ON p.person_id = m.person_id
    WHERE m.motestyp IN ('overlamningsmote', 'omstallningsmote')
      AND m.datum BETWEEN $start AND $end
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' WHEN grouping(motestyp) = 0 THEN 'motestyp' END AS breakdown,
       CASE WHEN grouping(kon) = 0 THEN kon ELSE motestyp END AS category,
       count(*) AS value, NULL AS numerator, NULL AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon), (motestyp));

-- indicator: antal_kontaktmoten
WITH pop AS (
    SELECT p.kon
    FROM mote m
    JOIN person p ON p.person_id = m.person_id
    WHERE m.motestyp = 'kontaktmote'
      AND m.datum BETWEEN $start AND $end
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' END AS breakdown,
       kon AS category,
       count(*) AS value, NULL AS numerator, NULL AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon));

-- indicator: antal_insatser_samordningsforbund
WITH pop AS (
    SELECT p.kon, i.behovsgrupp, sf.lan
    FROM insats i
    JOIN person p ON p.person_id = i.person_id
    JOIN samordningsforbund sf ON sf.forbund_id = i.forbund_id
    WHERE i.finansiar = 'samordningsforbund'
      AND i.startdatum BETWEEN $start AND $end
      AND i.behovsgrupp IN ('langtidssjukskrivna', 'unga_med_funktionsnedsattning', 'unga_med_aktivitetsersattning')
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' WHEN grouping(behovsgrupp) = 0 THEN 'behovsgrupp'
            WHEN grouping(lan) = 0 THEN 'lan' END AS breakdown,
       CASE WHEN grouping(kon) = 0 THEN kon WHEN grouping(behovsgrupp) = 0 THEN behovsgrupp ELSE lan END AS category,
       count(*) AS value, NULL AS numerator, NULL AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon), (behovsgrupp), (lan));

-- Participants (report 000): a person with a Finsam-financed insats starting in the
-- period. Only the first such intervention's start date is ever used (the case at start
-- is looked up on it), so min(startdatum) per person is the first intervention; the
-- tie-break on insats_id cannot change the date.

-- indicator: antal_deltagare_med_sjukpenning_samordningsforbund
WITH deltagare AS (
    SELECT person_id, min(startdatum) AS startdatum
    FROM insats
    WHERE finansiar = 'samordningsforbund' AND startdatum BETWEEN $start AND $end
    GROUP BY person_id
),
pop AS (
    SELECT p.kon
    FROM deltagare d
    JOIN person p ON p.person_id = d.person_id
    JOIN ersattningsfall f
      ON f.person_id = d.person_id AND f.ersattning = 'sjukpenning'
     AND f.startdatum <= d.startdatum AND (f.slutdatum IS NULL OR d.startdatum <= f.slutdatum)
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' END AS breakdown,
       kon AS category,
       count(*) AS value, NULL AS numerator, NULL AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon));

-- indicator: antal_deltagare_med_aktivitetsersattning_samordningsforbund
WITH deltagare AS (
    SELECT person_id, min(startdatum) AS startdatum
    FROM insats
    WHERE finansiar = 'samordningsforbund' AND startdatum BETWEEN $start AND $end
    GROUP BY person_id
),
pop AS (
    SELECT p.kon
    FROM deltagare d
    JOIN person p ON p.person_id = d.person_id
    JOIN ersattningsfall f
      ON f.person_id = d.person_id AND f.ersattning = 'aktivitetsersattning'
     AND f.startdatum <= d.startdatum AND (f.slutdatum IS NULL OR d.startdatum <= f.slutdatum)
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' END AS breakdown,
       kon AS category,
       count(*) AS value, NULL AS numerator, NULL AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon));

-- indicator: sjukpenningdagar_vid_insatsstart
WITH deltagare AS (
    SELECT person_id, min(startdatum) AS startdatum
    FROM insats
    WHERE finansiar = 'samordningsforbund' AND startdatum BETWEEN $start AND $end
    GROUP BY person_id
),
pop AS (
    SELECT p.kon, d.startdatum - f.startdatum + 1 AS dag_i_fallet
    FROM deltagare d
    JOIN person p ON p.person_id = d.person_id
    JOIN ersattningsfall f
      ON f.person_id = d.person_id AND f.ersattning = 'sjukpenning'
     AND f.startdatum <= d.startdatum AND (f.slutdatum IS NULL OR d.startdatum <= f.slutdatum)
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' END AS breakdown,
       kon AS category,
       avg(dag_i_fallet) AS value, NULL AS numerator, NULL AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon));

-- indicator: andel_psykiatrisk_diagnos_sjukpenning_samordningsforbund
WITH deltagare AS (
    SELECT person_id, min(startdatum) AS startdatum
    FROM insats
    WHERE finansiar = 'samordningsforbund' AND startdatum BETWEEN $start AND $end
    GROUP BY person_id
),
pop AS (
    SELECT p.kon, coalesce(f.diagnoskod LIKE 'F%', false) AS psykiatrisk
    FROM deltagare d
    JOIN person p ON p.person_id = d.person_id
    JOIN ersattningsfall f
      ON f.person_id = d.person_id AND f.ersattning = 'sjukpenning'
     AND f.startdatum <= d.startdatum AND (f.slutdatum IS NULL OR d.startdatum <= f.slutdatum)
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' END AS breakdown,
       kon AS category,
       count(*) FILTER (WHERE psykiatrisk) / nullif(count(*), 0) AS value,
       count(*) FILTER (WHERE psykiatrisk) AS numerator, count(*) AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon));

-- indicator: andel_kvinnor_sjukpenning_samordningsforbund
-- (no breakdown by kon: the share of women is the measure itself)
WITH deltagare AS (
    SELECT person_id, min(startdatum) AS startdatum
    FROM insats
    WHERE finansiar = 'samordningsforbund' AND startdatum BETWEEN $start AND $end
    GROUP BY person_id
),
pop AS (
    SELECT p.kon
    FROM deltagare d
    JOIN person p ON p.person_id = d.person_id
    JOIN ersattningsfall f
      ON f.person_id = d.person_id AND f.ersattning = 'sjukpenning'
     AND f.startdatum <= d.startdatum AND (f.slutdatum IS NULL OR d.startdatum <= f.slutdatum)
)
SELECT NULL AS breakdown, NULL AS category,
       count(*) FILTER (WHERE kon = 'K') / nullif(count(*), 0) AS value,
       count(*) FILTER (WHERE kon = 'K') AS numerator, count(*) AS denominator, count(*) AS n
FROM pop;

-- indicator: ar_med_aktivitetsersattning_vid_insatsstart
WITH deltagare AS (
    SELECT person_id, min(startdatum) AS startdatum
    FROM insats
    WHERE finansiar = 'samordningsforbund' AND startdatum BETWEEN $start AND $end
    GROUP BY person_id
),
pop AS (
    SELECT p.kon, (d.startdatum - f.startdatum + 1) / 365.25 AS ar
    FROM deltagare d
    JOIN person p ON p.person_id = d.person_id
    JOIN ersattningsfall f
      ON f.person_id = d.person_id AND f.ersattning = 'aktivitetsersattning'
     AND f.startdatum <= d.startdatum AND (f.slutdatum IS NULL OR d.startdatum <= f.slutdatum)
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' END AS breakdown,
       kon AS category,
       avg(ar) AS value, NULL AS numerator, NULL AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon));

-- indicator: andel_kvinnor_aktivitetsersattning_samordningsforbund
-- (no breakdown by kon: the share of women is the measure itself)
WITH deltagare AS (
    SELECT person_id, min(startdatum) AS startdatum
    FROM insats
    WHERE finansiar = 'samordningsforbund' AND startdatum BETWEEN $start AND $end
    GROUP BY person_id
),
pop AS (
    SELECT p.kon
    FROM deltagare d
    JOIN person p ON p.person_id = d.person_id
    JOIN ersattningsfall f
      ON f.person_id = d.person_id AND f.ersattning = 'aktivitetsersattning'
     AND f.startdatum <= d.startdatum AND (f.slutdatum IS NULL OR d.startdatum <= f.slutdatum)
)
SELECT NULL AS breakdown, NULL AS category,
       count(*) FILTER (WHERE kon = 'K') / nullif(count(*), 0) AS value,
       count(*) FILTER (WHERE kon = 'K') AS numerator, count(*) AS denominator, count(*) AS n
FROM pop;

-- indicator: andel_psykiatrisk_diagnos_aktivitetsersattning_samordningsforbund
WITH deltagare AS (
    SELECT person_id, min(startdatum) AS startdatum
    FROM insats
    WHERE finansiar = 'samordningsforbund' AND startdatum BETWEEN $start AND $end
    GROUP BY person_id
),
pop AS (
    SELECT p.kon, coalesce(f.diagnoskod LIKE 'F%', false) AS psykiatrisk
    FROM deltagare d
    JOIN person p ON p.person_id = d.person_id
    JOIN ersattningsfall f
      ON f.person_id = d.person_id AND f.ersattning = 'aktivitetsersattning'
     AND f.startdatum <= d.startdatum AND (f.slutdatum IS NULL OR d.startdatum <= f.slutdatum)
)
SELECT CASE WHEN grouping(kon) = 0 THEN 'kon' END AS breakdown,
       kon AS category,
       count(*) FILTER (WHERE psykiatrisk) / nullif(count(*), 0) AS value,
       count(*) FILTER (WHERE psykiatrisk) AS numerator, count(*) AS denominator, count(*) AS n
FROM pop
GROUP BY GROUPING SETS ((), (kon));
