-- The synthetic national register extract, built set-based inside DuckDB.
--
-- Run by engine/synthetic.py, one step at a time (a step starts at a "-- step:" line).
-- Inputs are two variables: getvariable('seed') and getvariable('scale').
-- Everything random comes from u(stream, row, purpose), an integer hash of the seed, a
-- stream number per kind of row, the row's number and the purpose of the draw, mapped
-- to [0, 1). Published figures are held by construction: exact row counts per year,
-- exactly round(p * n) rows given a property (ranked on a hash), and sums corrected by
-- spreading the residual over the rows (see the module docstring of engine/synthetic.py).
-- Working tables are TEMP; only the seven model tables are written to the file.

-- step: setup
CREATE TEMP MACRO mix_step(x) AS (xor(x, x >> 16) * 73244475) % 4294967296;
CREATE TEMP MACRO mix32(x) AS xor(mix_step(mix_step(x)), mix_step(mix_step(x)) >> 16);
SET VARIABLE seed_key = (SELECT mix32((mix32(CAST(getvariable('seed') AS BIGINT) % 4294967296)
                                       + CAST(getvariable('seed') AS BIGINT) // 4294967296) % 4294967296));
-- uniform draw in [0, 1): stream = kind of row, i = row number (< 2^32), k = purpose of the draw
-- (the key of stream and purpose gets one mixing step only: a macro's argument is copied
-- wherever it is used, and a full mix32 there makes every statement slow to plan)
CREATE TEMP MACRO u(stream, i, k) AS
    mix32((mix_step((getvariable('seed_key') + stream * 1000003 + k * 7919) % 4294967296) + i) % 4294967296)
    / 4294967296.0;
CREATE TEMP MACRO normal(u1, u2) AS sqrt(-2 * ln(1 - u1)) * cos(2 * pi() * u2);
-- log-normal with the given mean (not median); sigma is the spread on the log scale
CREATE TEMP MACRO lognormal(mean, sigma, u1, u2) AS mean * exp(sigma * normal(u1, u2) - sigma * sigma / 2);
CREATE TEMP MACRO scaled(n) AS CAST(round(n * getvariable('scale')) AS BIGINT);
CREATE TEMP MACRO plus_days(d, n) AS d + CAST(n AS INTEGER);
-- one number for a row of any source (kalla 1-4), for draws and tie-breaks
CREATE TEMP MACRO row_key(kalla, nr) AS CAST(kalla AS BIGINT) * 1000000000 + nr;
-- a weekend day moves to the nearest weekday within the same month
CREATE TEMP MACRO weekday(d) AS d + CASE isodow(d)
    WHEN 6 THEN CASE WHEN day(d) <= 15 THEN 2 ELSE -1 END
    WHEN 7 THEN CASE WHEN day(d) <= 15 THEN 1 ELSE -2 END
    ELSE 0 END;
CREATE TEMP MACRO day_in_month(y, m, x) AS
    make_date(y, m, 1) + CAST(floor(x * day(last_day(make_date(y, m, 1)))) AS INTEGER);
SET VARIABLE extract_date = DATE '2019-12-31';
SET VARIABLE first_day = DATE '2015-01-01';

-- Month profiles (integer weights): activities (assessments, interventions, meetings) dip in
-- July and December; new sick cases peak in winter.
CREATE TEMP TABLE month_weight AS
SELECT * FROM (VALUES
    (1, 105, 125), (2, 110, 120), (3, 115, 112), (4, 100, 100), (5, 105, 92), (6, 90, 80),
    (7, 45, 62), (8, 80, 78), (9, 115, 98), (10, 115, 108), (11, 115, 112), (12, 80, 95)
) t(month, aktivitet, sjukfall);
CREATE TEMP TABLE month_cdf AS
WITH cumulative AS (
    SELECT 'aktivitet' AS kind, month, sum(aktivitet) OVER (ORDER BY month) / sum(aktivitet) OVER () AS hi
    FROM month_weight
    UNION ALL
    SELECT 'sjukfall', month, sum(sjukfall) OVER (ORDER BY month) / sum(sjukfall) OVER () FROM month_weight)
SELECT kind, month, coalesce(lag(hi) OVER (PARTITION BY kind ORDER BY month), 0) AS lo, hi FROM cumulative;
-- A draw x picks the month of bucket floor(1000 * x): an equality join instead of a range join.
CREATE TEMP MACRO bucket(x) AS CAST(floor(1000 * x) AS BIGINT);
CREATE TEMP TABLE month_bucket AS
SELECT c.kind, b.bucket, c.month
FROM month_cdf c JOIN range(1000) b(bucket) ON (b.bucket + 0.5) / 1000 >= c.lo AND (b.bucket + 0.5) / 1000 < c.hi;

-- Main diagnoses (ICD-10-SE) with integer weights, per group of cases.
CREATE TEMP TABLE diagnosis_weight AS
SELECT * FROM (VALUES
    ('psykiatrisk_vuxen', 'F32.1', 18), ('psykiatrisk_vuxen', 'F43.8', 14), ('psykiatrisk_vuxen', 'F43.2', 8),
    ('psykiatrisk_vuxen', 'F32.0', 7), ('psykiatrisk_vuxen', 'F33.1', 7), ('psykiatrisk_vuxen', 'F41.1', 8),
    ('psykiatrisk_vuxen', 'F41.2', 7), ('psykiatrisk_vuxen', 'F43.1', 5), ('psykiatrisk_vuxen', 'F41.9', 4),
    ('psykiatrisk_vuxen', 'F32.9', 5), ('psykiatrisk_vuxen', 'F48.0', 5), ('psykiatrisk_vuxen', 'F60.3', 2),
    ('psykiatrisk_vuxen', 'F31.3', 2), ('psykiatrisk_vuxen', 'F20.0', 2), ('psykiatrisk_vuxen', 'F10.2', 2),
    ('psykiatrisk_vuxen', 'F90.0', 4),
    ('somatisk_vuxen', 'M54.5', 12), ('somatisk_vuxen', 'M54.4', 5), ('somatisk_vuxen', 'M51.1', 5),
    ('somatisk_vuxen', 'M75.1', 6), ('somatisk_vuxen', 'M79.7', 5), ('somatisk_vuxen', 'M17.1', 4),
    ('somatisk_vuxen', 'M16.1', 3), ('somatisk_vuxen', 'M77.1', 3), ('somatisk_vuxen', 'S82.0', 3),
    ('somatisk_vuxen', 'S52.5', 3), ('somatisk_vuxen', 'S83.5', 2), ('somatisk_vuxen', 'C50.9', 4),
    ('somatisk_vuxen', 'I63.9', 2), ('somatisk_vuxen', 'I21.9', 2), ('somatisk_vuxen', 'G35', 2),
    ('somatisk_vuxen', 'G93.3', 3), ('somatisk_vuxen', 'R53', 3), ('somatisk_vuxen', 'J06.9', 6),
    ('somatisk_vuxen', 'O26.8', 5), ('somatisk_vuxen', 'M06.9', 2), ('somatisk_vuxen', 'G43.9', 2),
    ('somatisk_vuxen', 'E11.9', 1), ('somatisk_vuxen', 'K50.9', 1), ('somatisk_vuxen', 'H81.1', 1),
    ('psykiatrisk_ung', 'F84.5', 20), ('psykiatrisk_ung', 'F90.0', 20), ('psykiatrisk_ung', 'F84.0', 5),
    ('psykiatrisk_ung', 'F70.9', 8), ('psykiatrisk_ung', 'F32.1', 10), ('psykiatrisk_ung', 'F41.1', 7),
    ('psykiatrisk_ung', 'F20.0', 5), ('psykiatrisk_ung', 'F43.1', 5), ('psykiatrisk_ung', 'F60.3', 5),
    ('psykiatrisk_ung', 'F33.1', 5), ('psykiatrisk_ung', 'F50.0', 3), ('psykiatrisk_ung', 'F71.9', 3),
    ('psykiatrisk_ung', 'F25.0', 4),
    ('somatisk_ung', 'G40.9', 20), ('somatisk_ung', 'G80.9', 15), ('somatisk_ung', 'Q90.9', 10),
    ('somatisk_ung', 'E10.9', 5), ('somatisk_ung', 'M08.0', 5), ('somatisk_ung', 'G71.0', 5),
    ('somatisk_ung', 'Q05.9', 5), ('somatisk_ung', 'G93.3', 10), ('somatisk_ung', 'M54.5', 5),
    ('somatisk_ung', 'E84.9', 5), ('somatisk_ung', 'K50.9', 5), ('somatisk_ung', 'H54.0', 5),
    ('somatisk_ung', 'G35', 5)
) t(grupp, kod, weight);
CREATE TEMP TABLE diagnosis_cdf AS
WITH cumulative AS (
    SELECT grupp, kod, sum(weight) OVER (PARTITION BY grupp ORDER BY kod) / sum(weight) OVER (PARTITION BY grupp) AS hi
    FROM diagnosis_weight)
SELECT grupp, kod, coalesce(lag(hi) OVER (PARTITION BY grupp ORDER BY kod), 0) AS lo, hi FROM cumulative;
CREATE TEMP TABLE diagnosis_bucket AS
SELECT c.grupp, b.bucket, c.kod
FROM diagnosis_cdf c JOIN range(1000) b(bucket) ON (b.bucket + 0.5) / 1000 >= c.lo AND (b.bucket + 0.5) / 1000 < c.hi;

-- step: samordningsforbund
-- 85 coordination associations over the 21 counties (real county codes).
CREATE TEMP TABLE forbund AS
SELECT row_number() OVER (ORDER BY lan, namn) AS forbund_id, namn, lan
FROM (VALUES
    ('01', 'Samordningsförbundet Södertälje'), ('01', 'Samordningsförbundet Huddinge'),
    ('01', 'Samordningsförbundet Botkyrka'), ('01', 'Samordningsförbundet Nacka'),
    ('01', 'Samordningsförbundet Järfälla'), ('01', 'Samordningsförbundet Norrtälje'),
    ('01', 'Samordningsförbundet Stockholms stad'), ('01', 'Samordningsförbundet Östra Södertörn'),
    ('03', 'Samordningsförbundet Uppsala'), ('03', 'Samordningsförbundet Enköping-Håbo'),
    ('03', 'Samordningsförbundet Norra Uppland'),
    ('04', 'Samordningsförbundet RAR i Sörmland'), ('04', 'Samordningsförbundet Eskilstuna'),
    ('04', 'Samordningsförbundet Katrineholm-Vingåker'),
    ('05', 'Samordningsförbundet Centrala Östergötland'), ('05', 'Samordningsförbundet Östra Östergötland'),
    ('05', 'Samordningsförbundet Västra Östergötland'), ('05', 'Samordningsförbundet Finspång'),
    ('06', 'Samordningsförbundet Jönköping'), ('06', 'Finnvedens samordningsförbund'),
    ('06', 'Samordningsförbundet Höglandet'), ('06', 'Samordningsförbundet Gislaved-Gnosjö'),
    ('07', 'Samordningsförbundet Kronoberg'), ('07', 'Samordningsförbundet Växjö'),
    ('08', 'Samordningsförbundet Kalmar län'), ('08', 'Samordningsförbundet Norra Kalmar län'),
    ('08', 'Samordningsförbundet Västervik'),
    ('09', 'Samordningsförbundet Gotland'),
    ('10', 'Samordningsförbundet Karlskrona'), ('10', 'Samordningsförbundet Västra Blekinge'),
    ('12', 'Samordningsförbundet Malmö'), ('12', 'Samordningsförbundet Lund'),
    ('12', 'Samordningsförbundet Helsingborg'), ('12', 'Samordningsförbundet Landskrona-Svalöv'),
    ('12', 'Samordningsförbundet Trelleborg'), ('12', 'Samordningsförbundet Ystad-Österlen'),
    ('12', 'Samordningsförbundet Skåne Nordost'), ('12', 'Samordningsförbundet Söderåsen'),
    ('13', 'Samordningsförbundet Halmstad'), ('13', 'Samordningsförbundet Varberg'),
    ('13', 'Samordningsförbundet Kungsbacka'),
    ('14', 'Samordningsförbundet Göteborg Centrum'), ('14', 'Samordningsförbundet Göteborg Nordost'),
    ('14', 'Samordningsförbundet Göteborg Hisingen'), ('14', 'Samordningsförbundet Göteborg Sydväst'),
    ('14', 'Samordningsförbundet Insjöriket'), ('14', 'Samordningsförbundet Väst'),
    ('14', 'Samordningsförbundet Consensus'), ('14', 'Samordningsförbundet Sjuhärad'),
    ('14', 'Samordningsförbundet Norra Bohuslän'), ('14', 'Samordningsförbundet Östra Skaraborg'),
    ('14', 'Samordningsförbundet Skaraborg'), ('14', 'Samordningsförbundet Trestad'),
    ('14', 'Samordningsförbundet Älvdalen'), ('14', 'Samordningsförbundet Mölndal-Härryda-Partille'),
    ('17', 'Samordningsförbundet Värmland'), ('17', 'Samordningsförbundet Karlstad'),
    ('17', 'Samordningsförbundet Arvika-Eda'),
    ('18', 'Samordningsförbundet Örebro'), ('18', 'Samordningsförbundet Norra Örebro län'),
    ('18', 'Samordningsförbundet Sydnärke'),
    ('19', 'Samordningsförbundet Västerås'), ('19', 'Samordningsförbundet Köping-Arboga-Kungsör'),
    ('19', 'Samordningsförbundet Norra Västmanland'),
    ('20', 'Samordningsförbundet Falun'), ('20', 'Samordningsförbundet Borlänge'),
    ('20', 'Samordningsförbundet Mora-Orsa-Älvdalen'), ('20', 'Samordningsförbundet Södra Dalarna'),
    ('21', 'Samordningsförbundet Gävle'), ('21', 'Samordningsförbundet Sandviken'),
    ('21', 'Samordningsförbundet Hudiksvall-Nordanstig'), ('21', 'Samordningsförbundet Bollnäs-Ovanåker'),
    ('22', 'Samordningsförbundet Sundsvall'), ('22', 'Samordningsförbundet Härnösand'),
    ('22', 'Samordningsförbundet Örnsköldsvik'),
    ('23', 'Samordningsförbundet Jämtlands län'), ('23', 'Samordningsförbundet Östersund'),
    ('24', 'Samordningsförbundet Umeå'), ('24', 'Samordningsförbundet Skellefteå'),
    ('24', 'Samordningsförbundet Lycksele'), ('24', 'Samordningsförbundet Södra Lappland'),
    ('25', 'Samordningsförbundet Luleå'), ('25', 'Samordningsförbundet Piteå'),
    ('25', 'Samordningsförbundet Kiruna-Gällivare'), ('25', 'Samordningsförbundet Östra Norrbotten')
) t(lan, namn);
-- how a participant is spread over the associations: larger ones in the big-city counties
CREATE TEMP TABLE forbund_cdf AS
WITH weighted AS (
    SELECT forbund_id,
           50 + CAST(floor(100 * u(1, forbund_id, 1)) AS BIGINT) + CASE WHEN lan IN ('01', '12', '14') THEN 60 ELSE 0 END AS weight
    FROM forbund),
cumulative AS (SELECT forbund_id, sum(weight) OVER (ORDER BY forbund_id) / sum(weight) OVER () AS hi FROM weighted)
SELECT forbund_id, coalesce(lag(hi) OVER (ORDER BY forbund_id), 0) AS lo, hi FROM cumulative;
CREATE TEMP TABLE forbund_bucket AS
SELECT b.bucket, c.forbund_id
FROM forbund_cdf c JOIN range(1000) b(bucket) ON (b.bucket + 0.5) / 1000 >= c.lo AND (b.bucket + 0.5) / 1000 < c.hi;

-- step: gemensamma kartlaggningar
-- Enhanced cooperation, per year of the joint assessment. Published years hold the
-- published figures; the other years continue the trend. lamnat* are the shares who left
-- the sickness insurance among participations ended after interventions (al = with a
-- work-oriented intervention, ae = aktivitetsersättning).
CREATE TEMP TABLE target_cooperation AS
SELECT * FROM (VALUES
    (2015, 10500, 0.80,  560, 1180, 0.62, 0.70, NULL,  NULL, NULL, 0.55, 0.52, 0.68, 0.70),
    (2016, 11500, 0.79,  610, 1260, 0.65, 0.72, NULL,  302,  NULL, 0.59, 0.55, 0.72, 0.74),
    (2017, 10010, 0.78,  719, 1391, 0.67, 0.73, 10301, 362,  NULL, 0.60, 0.57, 0.73, 0.76),
    (2018,  8306, 0.77,  823, 1597, 0.70, 0.75, 8092,  356,  5112, 0.58, 0.62, 0.71, 0.79),
    (2019,  7900, 0.77,  850, 1640, 0.71, 0.76, NULL,  NULL, NULL, 0.58, 0.63, 0.71, 0.79)
) t(year, kartlaggningar, andel_sjukpenning, dag_sjukpenning, dag_aktivitetsersattning,
    psykiatrisk_sjukpenning, psykiatrisk_aktivitetsersattning, nya_personer, tid_i_samarbetet,
    avslutade_efter_insats, lamnat, lamnat_ae, lamnat_al, lamnat_al_ae);

-- One row per assessment = participation = person (stream 10). Raw draws only; the
-- calibrated values are derived in the next steps.
CREATE TEMP TABLE coop_draw AS
WITH numbered AS (
    SELECT row_number() OVER (ORDER BY year, i) AS coop_no, year
    FROM (SELECT year, unnest(range(scaled(kartlaggningar))) AS i FROM target_cooperation)),
dated AS (
    SELECT n.coop_no, n.year, weekday(day_in_month(n.year, m.month, u(10, n.coop_no, 2))) AS datum
    FROM numbered n JOIN month_bucket m ON m.kind = 'aktivitet' AND m.bucket = bucket(u(10, n.coop_no, 1)))
SELECT d.coop_no, d.year, d.datum,
       CASE WHEN u(10, d.coop_no, 3) < t.andel_sjukpenning THEN 'sjukpenning' ELSE 'aktivitetsersattning' END AS ersattning,
       -- day of the case on which the assessment is initiated (before calibration)
       CAST(CASE WHEN ersattning = 'sjukpenning'
                 THEN least(3650, 20 + round(lognormal(t.dag_sjukpenning - 20, 0.5, u(10, d.coop_no, 4), u(10, d.coop_no, 5))))
                 ELSE least(3300, 60 + round(lognormal(t.dag_aktivitetsersattning - 60, 0.35, u(10, d.coop_no, 4), u(10, d.coop_no, 5))))
            END AS BIGINT) AS dag_raw,
       -- when the first intervention would start, if there is one
       weekday(plus_days(d.datum, 7 + round(lognormal(123, 0.6, u(10, d.coop_no, 6), u(10, d.coop_no, 7))))) AS forsta_insats_kandidat,
       -- days from the first intervention to leaving: most leave within about a year, many stay on for years
       CAST(CASE WHEN u(10, d.coop_no, 8) < 0.57
                 THEN round(lognormal(270, 0.55, u(10, d.coop_no, 9), u(10, d.coop_no, 10)))
                 ELSE round(lognormal(2500, 0.15, u(10, d.coop_no, 9), u(10, d.coop_no, 10)))
            END AS BIGINT) AS tid_efter_forsta_insats,
       -- days in the cooperation for those who leave without an intervention
       CAST(5 + round(lognormal(100, 0.7, u(10, d.coop_no, 11), u(10, d.coop_no, 12))) AS BIGINT) AS tid_utan_insats
FROM dated d JOIN target_cooperation t USING (year);

-- step: insatser i samarbetet
-- Which participations get interventions: per year of the would-be first intervention,
-- exactly the published number of new persons (else 92 % of the candidates).
CREATE TEMP TABLE coop_insats AS
WITH candidates AS (
    SELECT c.*, year(forsta_insats_kandidat) AS insats_ar,
           row_number() OVER (PARTITION BY year(forsta_insats_kandidat) ORDER BY u(10, coop_no, 20), coop_no) AS rang,
           count(*) OVER (PARTITION BY year(forsta_insats_kandidat)) AS kandidater
    FROM coop_draw c)
SELECT c.* EXCLUDE (insats_ar, rang, kandidater, forsta_insats_kandidat),
       c.forsta_insats_kandidat <= getvariable('extract_date')
           AND c.rang <= coalesce(scaled(t.nya_personer), round(0.92 * c.kandidater)) AS har_insats,
       CASE WHEN har_insats THEN c.forsta_insats_kandidat END AS forsta_insats
FROM candidates c LEFT JOIN target_cooperation t ON t.year = c.insats_ar;

-- When participations end: exactly the published number ends after interventions in a
-- published year; the other candidates of that year stay on for more than a year. Who
-- stays on is a sample weighted by the time already spent (long stays tend to go on).
CREATE TEMP TABLE coop_slut_raw AS
WITH candidate_end AS (
    SELECT c.*,
           CASE WHEN har_insats THEN plus_days(forsta_insats, tid_efter_forsta_insats)
                ELSE plus_days(datum, tid_utan_insats) END AS slut_kandidat
    FROM coop_insats c),
ranked AS (
    SELECT c.*, t.avslutade_efter_insats,
           row_number() OVER (PARTITION BY har_insats, year(slut_kandidat)
                              ORDER BY ln(1 - u(10, coop_no, 21)) * pow(365.0 / greatest(slut_kandidat - datum, 1), 2), coop_no) AS rang
    FROM candidate_end c LEFT JOIN target_cooperation t ON t.year = year(c.slut_kandidat))
SELECT * EXCLUDE (avslutade_efter_insats, rang, slut_kandidat),
       CASE WHEN har_insats AND avslutade_efter_insats IS NOT NULL AND rang > scaled(avslutade_efter_insats)
            THEN plus_days(slut_kandidat, 366 + round(lognormal(250, 0.5, u(10, coop_no, 22), u(10, coop_no, 23))))
            ELSE slut_kandidat END AS slut_utan_grans
FROM ranked;

-- Mean time in the cooperation, exact for the published years: the residual of the sum
-- of durations is spread over the year's leavers in proportion to each end date's distance
-- to the nearer bound (the year's first or last day, or the first intervention), which
-- stretches the year's end dates a little without emptying or crowding either end.
CREATE TEMP TABLE coop_slut AS
WITH ended AS (
    SELECT c.coop_no, c.datum, c.slut_utan_grans AS slutdatum, year(c.slut_utan_grans) AS slut_ar,
           coalesce(c.forsta_insats, c.datum) AS tidigast, t.tid_i_samarbetet AS mal
    FROM coop_slut_raw c JOIN target_cooperation t ON t.year = year(c.slut_utan_grans)
    WHERE c.slut_utan_grans <= getvariable('extract_date') AND t.tid_i_samarbetet IS NOT NULL),
residual AS (
    SELECT slut_ar, CAST(round(any_value(mal) * count(*)) - sum(slutdatum - datum) AS BIGINT) AS rest
    FROM ended GROUP BY slut_ar),
room AS (
    SELECT e.*, r.rest,
           least(make_date(e.slut_ar, 12, 31) - e.slutdatum,
                 e.slutdatum - greatest(make_date(e.slut_ar, 1, 1), e.tidigast)) AS utrymme
    FROM ended e JOIN residual r USING (slut_ar)),
share AS (
    -- never more than the room: a tiny extract may need more than all of it, and an end date
    -- moved past the first intervention would break the model's rules
    SELECT *, least(utrymme, coalesce((abs(rest) * utrymme) // nullif(sum(utrymme) OVER (PARTITION BY slut_ar), 0), 0)) AS bas
    FROM room),
spread AS (
    SELECT *, least(abs(rest) - sum(bas) OVER (PARTITION BY slut_ar), count(*) OVER (PARTITION BY slut_ar)) AS kvar,
           row_number() OVER (PARTITION BY slut_ar ORDER BY utrymme > bas DESC, u(10, coop_no, 24), coop_no) AS ordning
    FROM share),
moved AS (
    SELECT coop_no, plus_days(slutdatum, sign(rest) * (bas + CASE WHEN ordning <= kvar AND utrymme > bas THEN 1 ELSE 0 END)) AS slutdatum
    FROM spread)
SELECT c.* EXCLUDE (slut_utan_grans),
       CASE WHEN c.slut_utan_grans <= getvariable('extract_date') THEN coalesce(m.slutdatum, c.slut_utan_grans) END AS slutdatum
FROM coop_slut_raw c LEFT JOIN moved m USING (coop_no);

-- The cooperation's interventions: the first one on forsta_insats, up to three more
-- within the participation.
CREATE TEMP TABLE coop_insats_rad AS
WITH numbered AS (
    SELECT coop_no, unnest(range(1 + CASE WHEN u(11, coop_no, 1) < 0.30 THEN 0 WHEN u(11, coop_no, 1) < 0.65 THEN 1
                                          WHEN u(11, coop_no, 1) < 0.88 THEN 2 ELSE 3 END)) AS nr
    FROM coop_slut WHERE har_insats)
SELECT n.coop_no, n.nr, n.coop_no * 4 + n.nr AS rad,
       CASE WHEN n.nr = 0 THEN c.forsta_insats
            ELSE greatest(c.forsta_insats, least(coalesce(c.slutdatum, getvariable('extract_date')),
                 weekday(plus_days(c.forsta_insats, floor(u(11, n.coop_no * 4 + n.nr, 2)
                                                          * (coalesce(c.slutdatum, getvariable('extract_date')) - c.forsta_insats + 1))))))
       END AS startdatum,
       CASE WHEN u(11, n.coop_no * 4 + n.nr, 3) < CASE WHEN n.nr = 0 THEN 0.25 ELSE 0.45 END
            THEN 'arbetslivsinriktad' ELSE 'forberedande' END AS insatstyp,
       c.slutdatum AS samarbete_slut
FROM numbered n JOIN coop_slut c USING (coop_no);

-- step: avslut och utfall
-- How participations ended. Among those ended after interventions, exactly round(p * n)
-- left the sickness insurance in each cell (year, benefit, with or without a work-oriented
-- intervention), so that every published share and its breakdowns hold.
CREATE TEMP TABLE coop_cell AS
WITH flagged AS (
    SELECT c.coop_no, c.ersattning, year(c.slutdatum) AS slut_ar,
           coalesce(bool_or(i.insatstyp = 'arbetslivsinriktad'), false) AS arbetslivsinriktad
    FROM coop_slut c LEFT JOIN coop_insats_rad i USING (coop_no)
    WHERE c.har_insats AND c.slutdatum IS NOT NULL
    GROUP BY c.coop_no, c.ersattning, year(c.slutdatum)),
counts AS (
    SELECT slut_ar,
           count(*) AS n,
           count(*) FILTER (WHERE ersattning = 'aktivitetsersattning') AS n_ae,
           count(*) FILTER (WHERE arbetslivsinriktad) AS n_al,
           count(*) FILTER (WHERE arbetslivsinriktad AND ersattning = 'aktivitetsersattning') AS n_al_ae
    FROM flagged GROUP BY slut_ar),
numerators AS (
    SELECT c.slut_ar,
           CAST(round(t.lamnat * c.n) AS BIGINT) AS k,
           CAST(round(t.lamnat_ae * c.n_ae) AS BIGINT) AS k_ae,
           CAST(round(t.lamnat_al * c.n_al) AS BIGINT) AS k_al,
           CAST(round(t.lamnat_al_ae * c.n_al_ae) AS BIGINT) AS k_al_ae
    FROM counts c JOIN target_cooperation t ON t.year = c.slut_ar),
cells AS (  -- how many in each cell leave the sickness insurance
    SELECT slut_ar, 'aktivitetsersattning' AS ersattning, true AS arbetslivsinriktad, k_al_ae AS k FROM numerators
    UNION ALL SELECT slut_ar, 'aktivitetsersattning', false, k_ae - k_al_ae FROM numerators
    UNION ALL SELECT slut_ar, 'sjukpenning', true, k_al - k_al_ae FROM numerators
    UNION ALL SELECT slut_ar, 'sjukpenning', false, k - k_ae - k_al + k_al_ae FROM numerators)
SELECT f.coop_no, f.arbetslivsinriktad,
       row_number() OVER (PARTITION BY f.slut_ar, f.ersattning, f.arbetslivsinriktad ORDER BY u(10, f.coop_no, 30), f.coop_no)
           <= coalesce(c.k, 0) AS lamnat
FROM flagged f LEFT JOIN cells c USING (slut_ar, ersattning, arbetslivsinriktad);

CREATE TEMP TABLE coop_utfall AS
SELECT c.*,
       CASE WHEN c.slutdatum IS NULL THEN NULL WHEN c.har_insats THEN 'efter_insats' ELSE 'utan_insats' END AS avslutsorsak,
       CASE WHEN c.slutdatum IS NULL THEN NULL
            WHEN coalesce(x.lamnat, NOT c.har_insats AND u(10, c.coop_no, 31) < 0.35) THEN
                CASE WHEN u(10, c.coop_no, 32) < 0.45 THEN 'arbete'
                     WHEN u(10, c.coop_no, 32) < 0.55 THEN 'utbildning'
                     WHEN u(10, c.coop_no, 32) < 0.80 THEN 'arbetsmarknadspolitiskt_program'
                     ELSE 'oppet_arbetslos' END
            WHEN u(10, c.coop_no, 32) < 0.75 THEN 'fortsatt_ersattning'
            ELSE 'annat' END AS utfall
FROM coop_slut c LEFT JOIN coop_cell x USING (coop_no);

-- The benefit case ends about when the person left the insurance, later when the benefit
-- went on, never before the assessment; still ongoing with the participation.
CREATE TEMP TABLE coop_fall_slut AS
SELECT c.*,
       CASE WHEN c.slutdatum IS NULL THEN NULL
            WHEN c.utfall IN ('arbete', 'utbildning', 'arbetsmarknadspolitiskt_program', 'oppet_arbetslos')
                THEN greatest(c.datum, plus_days(c.slutdatum, -floor(21 * u(10, c.coop_no, 33))))
            ELSE plus_days(c.slutdatum, 30 + round(lognormal(300, 0.7, u(10, c.coop_no, 34), u(10, c.coop_no, 35))))
       END AS fall_slut_kandidat,
       CASE WHEN fall_slut_kandidat <= getvariable('extract_date') THEN fall_slut_kandidat END AS fall_slut
FROM coop_utfall c;

-- step: kalibrering av fallen
-- Median case length of sjukpenning cases with interventions that end in the published
-- months. Their day of the case at the assessment is first scaled by the factor (searched
-- on a grid) that brings the median closest to the target, then the rows below the middle
-- are capped at the target, the middle ones set to it and the rows above raised to it.
CREATE TEMP TABLE target_median AS
SELECT * FROM (VALUES (DATE '2017-12-01', 1024), (DATE '2018-12-01', 1285)) t(manad, mal);

CREATE TEMP TABLE median_grupp AS
SELECT c.coop_no, m.manad, m.mal, c.fall_slut - c.datum + 1 AS golv, c.dag_raw
FROM coop_fall_slut c JOIN target_median m ON c.fall_slut BETWEEN m.manad AND last_day(m.manad)
WHERE c.ersattning = 'sjukpenning' AND c.har_insats;

CREATE TEMP TABLE median_fall AS
WITH grid AS (SELECT 0.5 + i / 100.0 AS faktor FROM range(201) r(i)),
tried AS (
    SELECT g.manad, grid.faktor, abs(median(g.golv + round(grid.faktor * (g.dag_raw - 1))) - any_value(g.mal)) AS fel
    FROM median_grupp g CROSS JOIN grid GROUP BY g.manad, grid.faktor),
best AS (
    SELECT manad, faktor FROM (
        SELECT manad, faktor, row_number() OVER (PARTITION BY manad ORDER BY fel, faktor) AS r FROM tried) WHERE r = 1),
scaled_length AS (
    SELECT g.*, CAST(g.golv + round(b.faktor * (g.dag_raw - 1)) AS BIGINT) AS langd
    FROM median_grupp g JOIN best b USING (manad)),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY manad ORDER BY golv > mal, langd, coop_no) AS r,
           count(*) OVER (PARTITION BY manad) AS n
    FROM scaled_length),
placed AS (
    SELECT coop_no,
           greatest(golv, CASE WHEN r < (n + 1) // 2 THEN least(langd, mal)
                               WHEN r > n // 2 + 1 THEN greatest(langd, mal)
                               ELSE mal END) AS langd, golv
    FROM ranked)
SELECT coop_no, langd - golv + 1 AS dag FROM placed;

-- Mean day of the case at the assessment, exact per year and benefit: the residual is
-- spread over the other assessments in proportion to their day (the median cases stay).
CREATE TEMP TABLE coop_dag AS
WITH days AS (
    SELECT c.coop_no, c.year, c.ersattning, coalesce(m.dag, c.dag_raw) AS dag, m.coop_no IS NOT NULL AS fast,
           CASE WHEN c.ersattning = 'sjukpenning' THEN t.dag_sjukpenning ELSE t.dag_aktivitetsersattning END AS mal
    FROM coop_fall_slut c JOIN target_cooperation t USING (year) LEFT JOIN median_fall m USING (coop_no)),
residual AS (
    SELECT year, ersattning, CAST(round(any_value(mal) * count(*)) - sum(dag) AS BIGINT) AS rest,
           sum(dag) FILTER (WHERE NOT fast) AS fri_summa
    FROM days GROUP BY year, ersattning),
share AS (
    SELECT d.*, r.rest,
           CASE WHEN d.fast THEN 0 ELSE CAST((r.rest * d.dag) // nullif(r.fri_summa, 0) AS BIGINT) END AS bas
    FROM days d JOIN residual r USING (year, ersattning)),
spread AS (
    SELECT *, rest - sum(bas) OVER (PARTITION BY year, ersattning) AS kvar,
           row_number() OVER (PARTITION BY year, ersattning
                              ORDER BY NOT fast AND dag + bas >= 2 DESC, u(10, coop_no, 40), coop_no) AS ordning
    FROM share)
SELECT coop_no, dag + bas + CASE WHEN ordning <= abs(kvar) AND NOT fast THEN sign(kvar) ELSE 0 END AS dag
FROM spread;

-- Diagnoses: exactly round(p * n) psychiatric per year and benefit of the assessment.
CREATE TEMP TABLE coop_fall AS
WITH ranked AS (
    SELECT c.*, d.dag,
           row_number() OVER (PARTITION BY c.year, c.ersattning ORDER BY u(10, c.coop_no, 50), c.coop_no)
               <= round(CASE WHEN c.ersattning = 'sjukpenning' THEN t.psykiatrisk_sjukpenning
                             ELSE t.psykiatrisk_aktivitetsersattning END * count(*) OVER (PARTITION BY c.year, c.ersattning))
               AS psykiatrisk
    FROM coop_fall_slut c JOIN coop_dag d USING (coop_no) JOIN target_cooperation t USING (year))
SELECT r.*, plus_days(r.datum, 1 - r.dag) AS fall_start, dc.kod AS diagnoskod
FROM ranked r
JOIN diagnosis_bucket dc
  ON dc.grupp = CASE WHEN r.psykiatrisk THEN 'psykiatrisk_' ELSE 'somatisk_' END
               || CASE WHEN r.ersattning = 'sjukpenning' THEN 'vuxen' ELSE 'ung' END
 AND dc.bucket = bucket(u(10, r.coop_no, 51));

-- step: samordningsforbund deltagare
-- Participants in Finsam-financed interventions, per year of their first intervention
-- (stream 20). Each is one person with interventions in that year only; a participant
-- with sjukpenning (aktivitetsersättning) has exactly one such case, ongoing on the first
-- intervention's start, and no other case.
CREATE TEMP TABLE target_finsam AS
SELECT * FROM (VALUES
    (2015, 6600, 2900, 14500, 700, 3.30, 0.68, 0.46, 0.58, 0.62),
    (2016, 7000, 3000, 15000, 740, 3.35, 0.69, 0.47, 0.59, 0.63),
    (2017, 7400, 3050, 17500, 780, 3.40, 0.70, 0.46, 0.60, 0.64),
    (2018, 7800, 2950, 15000, 811, 3.50, 0.70, 0.47, 0.61, 0.65),
    (2019, 8100, 3000, 15500, 830, 3.55, 0.71, 0.47, 0.62, 0.66)
) t(year, deltagare_sjukpenning, deltagare_aktivitetsersattning, deltagare_utan_ersattning,
    dag_sjukpenning, ar_aktivitetsersattning, kvinnor_sjukpenning, kvinnor_aktivitetsersattning,
    psykiatrisk_sjukpenning, psykiatrisk_aktivitetsersattning);

CREATE TEMP TABLE finsam_draw AS
WITH groups AS (
    SELECT year, 'sjukpenning' AS grupp, scaled(deltagare_sjukpenning) AS n FROM target_finsam
    UNION ALL SELECT year, 'aktivitetsersattning', scaled(deltagare_aktivitetsersattning) FROM target_finsam
    UNION ALL SELECT year, 'utan_ersattning', scaled(deltagare_utan_ersattning) FROM target_finsam),
numbered AS (
    SELECT row_number() OVER (ORDER BY year, grupp, i) AS finsam_no, year, grupp
    FROM (SELECT year, grupp, unnest(range(n)) AS i FROM groups))
SELECT n.finsam_no, n.year, n.grupp,
       weekday(day_in_month(n.year, m.month, u(20, n.finsam_no, 2))) AS forsta_start,
       f.forbund_id,
       CASE n.grupp
           WHEN 'sjukpenning' THEN CASE WHEN u(20, n.finsam_no, 4) < 0.92 THEN 'langtidssjukskrivna' ELSE 'ovriga' END
           WHEN 'aktivitetsersattning' THEN CASE WHEN u(20, n.finsam_no, 4) < 0.95 THEN 'unga_med_aktivitetsersattning'
                                                 ELSE 'unga_med_funktionsnedsattning' END
           ELSE CASE WHEN u(20, n.finsam_no, 4) < 0.45 THEN 'unga_med_funktionsnedsattning' ELSE 'ovriga' END
       END AS behovsgrupp,
       CAST(CASE n.grupp
           WHEN 'sjukpenning' THEN least(3650, 30 + round(lognormal(t.dag_sjukpenning - 30, 0.6, u(20, n.finsam_no, 5), u(20, n.finsam_no, 6))))
           WHEN 'aktivitetsersattning' THEN least(3300, 30 + round(lognormal(t.ar_aktivitetsersattning * 365.25 - 30, 0.45, u(20, n.finsam_no, 5), u(20, n.finsam_no, 6))))
       END AS BIGINT) AS dag_raw,
       CASE n.grupp WHEN 'sjukpenning' THEN t.dag_sjukpenning
                    WHEN 'aktivitetsersattning' THEN t.ar_aktivitetsersattning * 365.25 END AS dag_mal
FROM numbered n
JOIN target_finsam t USING (year)
JOIN month_bucket m ON m.kind = 'aktivitet' AND m.bucket = bucket(u(20, n.finsam_no, 1))
JOIN forbund_bucket f ON f.bucket = bucket(u(20, n.finsam_no, 3));

-- Day of the case at the first intervention: the mean is exact per year and group.
CREATE TEMP TABLE finsam_dag AS
WITH residual AS (
    SELECT year, grupp, CAST(round(any_value(dag_mal) * count(*)) - sum(dag_raw) AS BIGINT) AS rest, sum(dag_raw) AS summa
    FROM finsam_draw WHERE dag_raw IS NOT NULL GROUP BY year, grupp),
share AS (
    SELECT d.finsam_no, d.year, d.grupp, d.dag_raw, r.rest,
           CAST((r.rest * d.dag_raw) // nullif(r.summa, 0) AS BIGINT) AS bas
    FROM finsam_draw d JOIN residual r USING (year, grupp)),
spread AS (
    SELECT *, rest - sum(bas) OVER (PARTITION BY year, grupp) AS kvar,
           row_number() OVER (PARTITION BY year, grupp ORDER BY dag_raw + bas >= 2 DESC, u(20, finsam_no, 7), finsam_no) AS ordning
    FROM share)
SELECT finsam_no, dag_raw + bas + CASE WHEN ordning <= abs(kvar) THEN sign(kvar) ELSE 0 END AS dag FROM spread;

-- The case, the person's sex (exact share of women per year and group) and diagnosis
-- (exact share of psychiatric diagnoses per year and group).
CREATE TEMP TABLE finsam_deltagare AS
WITH ranked AS (
    SELECT d.*, g.dag,
           row_number() OVER (PARTITION BY d.year, d.grupp ORDER BY u(20, d.finsam_no, 10), d.finsam_no)
               <= round(CASE d.grupp WHEN 'sjukpenning' THEN t.kvinnor_sjukpenning
                                     WHEN 'aktivitetsersattning' THEN t.kvinnor_aktivitetsersattning ELSE 0.5 END
                        * count(*) OVER (PARTITION BY d.year, d.grupp)) AS kvinna,
           row_number() OVER (PARTITION BY d.year, d.grupp ORDER BY u(20, d.finsam_no, 11), d.finsam_no)
               <= round(CASE d.grupp WHEN 'sjukpenning' THEN t.psykiatrisk_sjukpenning
                                     ELSE t.psykiatrisk_aktivitetsersattning END
                        * count(*) OVER (PARTITION BY d.year, d.grupp)) AS psykiatrisk
    FROM finsam_draw d JOIN target_finsam t USING (year) LEFT JOIN finsam_dag g USING (finsam_no))
SELECT r.*,
       CASE WHEN r.dag IS NOT NULL THEN plus_days(r.forsta_start, 1 - r.dag) END AS fall_start,
       CASE r.grupp
           WHEN 'sjukpenning' THEN plus_days(r.forsta_start, 20 + round(lognormal(300, 0.8, u(20, r.finsam_no, 12), u(20, r.finsam_no, 13))))
           WHEN 'aktivitetsersattning' THEN plus_days(r.forsta_start, round(lognormal(700, 0.6, u(20, r.finsam_no, 12), u(20, r.finsam_no, 13))))
       END AS fall_slut_kandidat,
       dc.kod AS diagnoskod
FROM ranked r
LEFT JOIN diagnosis_bucket dc
  ON r.grupp <> 'utan_ersattning'
 AND dc.grupp = CASE WHEN r.psykiatrisk THEN 'psykiatrisk_' ELSE 'somatisk_' END
               || CASE WHEN r.grupp = 'sjukpenning' THEN 'vuxen' ELSE 'ung' END
 AND dc.bucket = bucket(u(20, r.finsam_no, 14));

-- Each participant's Finsam interventions: the first one, and up to three more later in
-- the same year, all with the participant's association and need group.
CREATE TEMP TABLE finsam_insats AS
WITH numbered AS (
    SELECT finsam_no, unnest(range(1 + CASE WHEN u(21, finsam_no, 1) < 0.55 THEN 0 WHEN u(21, finsam_no, 1) < 0.85 THEN 1
                                            WHEN u(21, finsam_no, 1) < 0.95 THEN 2 ELSE 3 END)) AS nr
    FROM finsam_deltagare)
SELECT n.finsam_no, n.nr, n.finsam_no * 4 + n.nr AS rad, d.forbund_id, d.behovsgrupp,
       CASE WHEN n.nr = 0 THEN d.forsta_start
            ELSE greatest(d.forsta_start, weekday(plus_days(d.forsta_start,
                     floor(u(21, n.finsam_no * 4 + n.nr, 2) * (make_date(d.year, 12, 31) - d.forsta_start + 1)))))
       END AS startdatum,
       CASE WHEN u(21, n.finsam_no * 4 + n.nr, 3) < 0.40 THEN 'arbetslivsinriktad' ELSE 'forberedande' END AS insatstyp,
       plus_days(startdatum, 14 + round(lognormal(120, 0.6, u(21, n.finsam_no * 4 + n.nr, 4), u(21, n.finsam_no * 4 + n.nr, 5))))
           AS slut_kandidat
FROM numbered n JOIN finsam_deltagare d USING (finsam_no);

-- step: bakgrundspopulation
-- Everyone else with sickness benefit (stream 30): each person has a chain of one to
-- three sjukpenning cases, one after the other with gaps, so they never overlap. Most
-- cases are short, a few last for years. Cases that ended before 2015 or start after the
-- extract date are not in the extract.
CREATE TEMP TABLE bg_fall AS
WITH persons AS (
    SELECT range + 1 AS bg_no, u(30, range + 1, 1) AS u_antal, u(30, range + 1, 2) AS u_ar,
           u(30, range + 1, 3) AS u_manad, u(30, range + 1, 4) AS u_dag
    FROM range(scaled(1300000))),
chain AS (
    SELECT bg_no, unnest(range(CASE WHEN u_antal < 0.70 THEN 1 WHEN u_antal < 0.90 THEN 2 ELSE 3 END)) AS nr FROM persons),
draws AS (
    SELECT bg_no, nr, bg_no * 4 + nr AS rad,
           u(31, bg_no * 4 + nr, 1) AS u_typ, u(31, bg_no * 4 + nr, 2) AS u_langd1, u(31, bg_no * 4 + nr, 3) AS u_langd2,
           u(31, bg_no * 4 + nr, 4) AS u_glapp1, u(31, bg_no * 4 + nr, 5) AS u_glapp2
    FROM chain),
drawn AS (
    SELECT bg_no, nr, rad,
           CAST(CASE WHEN u_typ < 0.68 THEN 7 + round(lognormal(38, 0.8, u_langd1, u_langd2))
                     WHEN u_typ < 0.92 THEN 60 + round(lognormal(150, 0.6, u_langd1, u_langd2))
                     ELSE 200 + round(lognormal(700, 0.6, u_langd1, u_langd2)) END AS BIGINT) AS langd,
           CAST(CASE WHEN nr = 0 THEN 0 ELSE 30 + round(lognormal(450, 0.8, u_glapp1, u_glapp2)) END AS BIGINT) AS glapp
    FROM draws),
first_start AS (
    SELECT p.bg_no, day_in_month(2011 + CAST(floor(9 * p.u_ar) AS INTEGER), m.month, p.u_dag) AS start
    FROM persons p JOIN month_bucket m ON m.kind = 'sjukfall' AND m.bucket = bucket(p.u_manad)),
placed AS (
    SELECT d.*, plus_days(f.start, coalesce(sum(d.langd) OVER earlier, 0) + sum(d.glapp) OVER (PARTITION BY d.bg_no ORDER BY d.nr))
               AS fall_start
    FROM drawn d JOIN first_start f USING (bg_no)
    WINDOW earlier AS (PARTITION BY d.bg_no ORDER BY d.nr ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)),
kept AS (
    SELECT p.*, plus_days(p.fall_start, p.langd - 1) AS fall_slut_kandidat,
           u(31, p.rad, 6) AS u_saknas, u(31, p.rad, 7) AS u_psyk, u(31, p.rad, 8) AS u_kod, u(31, p.rad, 9) AS u_avslut
    FROM placed p
    WHERE p.fall_start <= getvariable('extract_date') AND plus_days(p.fall_start, p.langd - 1) >= getvariable('first_day'))
SELECT k.bg_no, k.nr, k.rad, k.langd, k.fall_start, k.fall_slut_kandidat,
       CASE WHEN k.u_saknas < 0.015 THEN NULL ELSE dc.kod END AS diagnoskod,
       -- short cases mostly end with regained work capacity; the right to the benefit ends mostly in long ones
       CASE WHEN k.langd <= 90 THEN
                CASE WHEN k.u_avslut < 0.88 THEN 'aterfatt_arbetsformaga' WHEN k.u_avslut < 0.96 THEN 'annat'
                     WHEN k.u_avslut < 0.99 THEN 'annan_ersattning' ELSE 'ratt_till_ersattning_upphort' END
            WHEN k.langd <= 365 THEN
                CASE WHEN k.u_avslut < 0.78 THEN 'aterfatt_arbetsformaga' WHEN k.u_avslut < 0.88 THEN 'annat'
                     WHEN k.u_avslut < 0.93 THEN 'annan_ersattning' ELSE 'ratt_till_ersattning_upphort' END
            ELSE
                CASE WHEN k.u_avslut < 0.55 THEN 'aterfatt_arbetsformaga' WHEN k.u_avslut < 0.65 THEN 'annat'
                     WHEN k.u_avslut < 0.82 THEN 'annan_ersattning' ELSE 'ratt_till_ersattning_upphort' END
       END AS avslut_kandidat
FROM kept k
JOIN diagnosis_bucket dc
  ON dc.grupp = CASE WHEN k.u_psyk < CASE WHEN k.langd <= 90 THEN 0.22 WHEN k.langd <= 365 THEN 0.40 ELSE 0.48 END
                     THEN 'psykiatrisk_vuxen' ELSE 'somatisk_vuxen' END
 AND dc.bucket = bucket(k.u_kod);

CREATE TEMP TABLE bg_person AS
SELECT bg_no,
       CASE WHEN u(30, bg_no, 5) < 0.58 THEN 'K' ELSE 'M' END AS kon,
       year(min(fall_start)) - (19 + CAST(floor(21 * (u(30, bg_no, 6) + u(30, bg_no, 7))) AS INTEGER)) AS fodelsear
FROM bg_fall GROUP BY bg_no;

-- Young people with aktivitetsersättning (stream 32): one case each, started at 19-23,
-- ending at the latest in the year the person turns 29 (then sjukersättning follows).
CREATE TEMP TABLE bg_ae AS
WITH persons AS (
    SELECT range + 1 AS ae_no, 2006 + CAST(floor(14 * u(32, range + 1, 1)) AS INTEGER) AS start_ar,
           19 + CAST(floor(5 * u(32, range + 1, 2)) AS INTEGER) AS alder,
           u(32, range + 1, 3) AS u_manad, u(32, range + 1, 4) AS u_dag, u(32, range + 1, 5) AS u_langd1,
           u(32, range + 1, 6) AS u_langd2, u(32, range + 1, 7) AS u_kon, u(32, range + 1, 8) AS u_psyk,
           u(32, range + 1, 9) AS u_kod, u(32, range + 1, 10) AS u_avslut
    FROM range(scaled(90000))),
drawn AS (
    SELECT p.*, p.start_ar - p.alder AS fodelsear, make_date(p.start_ar - p.alder + 29, 12, 31) AS sista_dag,
           day_in_month(p.start_ar, m.month, p.u_dag) AS fall_start,
           least(plus_days(fall_start, round(lognormal(2200, 0.6, p.u_langd1, p.u_langd2))), sista_dag) AS slut_kandidat
    FROM persons p JOIN month_bucket m ON m.kind = 'aktivitet' AND m.bucket = bucket(p.u_manad))
SELECT d.ae_no, d.fodelsear, d.fall_start, d.slut_kandidat,
       CASE WHEN d.u_kon < 0.52 THEN 'K' ELSE 'M' END AS kon,
       dc.kod AS diagnoskod,
       CASE WHEN d.slut_kandidat = d.sista_dag THEN 'annan_ersattning'
            WHEN d.u_avslut < 0.35 THEN 'aterfatt_arbetsformaga'
            WHEN d.u_avslut < 0.80 THEN 'annat' ELSE 'annan_ersattning' END AS avslut_kandidat
FROM drawn d
JOIN diagnosis_bucket dc
  ON dc.grupp = CASE WHEN d.u_psyk < 0.70 THEN 'psykiatrisk_ung' ELSE 'somatisk_ung' END AND dc.bucket = bucket(d.u_kod)
WHERE d.slut_kandidat >= getvariable('first_day') AND d.fall_start <= getvariable('extract_date');

-- step: personer och fall
-- Ages of the cooperation's and the participants' persons (a person with
-- aktivitetsersättning is 19-29 while the case lasts), then every person and case with
-- a source (kalla) and a number within it, before the final ids are given.
CREATE TEMP TABLE all_person AS
SELECT 1 AS kalla, bg_no AS nr, kon, fodelsear FROM bg_person
UNION ALL
SELECT 2, ae_no, kon, fodelsear FROM bg_ae
UNION ALL
SELECT 3, coop_no,
       CASE WHEN u(12, coop_no, 1) < CASE WHEN ersattning = 'sjukpenning' THEN 0.64 ELSE 0.47 END THEN 'K' ELSE 'M' END,
       CASE WHEN ersattning = 'sjukpenning'  -- 25-64 at the assessment, at least 20 when the case started
            THEN year(datum) - greatest(25 + CAST(floor(20 * (u(12, coop_no, 2) + u(12, coop_no, 3))) AS INTEGER),
                                        20 + year(datum) - year(fall_start))
            ELSE year(fall_start) - (19 + CAST(floor(u(12, coop_no, 2) * greatest(0, 10 - (year(datum) - year(fall_start)))) AS INTEGER))
       END
FROM coop_fall
UNION ALL
SELECT 4, finsam_no, CASE WHEN grupp = 'utan_ersattning' THEN CASE WHEN u(22, finsam_no, 1) < 0.5 THEN 'K' ELSE 'M' END
                          WHEN kvinna THEN 'K' ELSE 'M' END,
       CASE grupp
           WHEN 'sjukpenning'
               THEN year(forsta_start) - greatest(25 + CAST(floor(20 * (u(22, finsam_no, 2) + u(22, finsam_no, 3))) AS INTEGER),
                                                  20 + year(forsta_start) - year(fall_start))
           WHEN 'aktivitetsersattning'
               THEN year(fall_start) - (19 + CAST(floor(u(22, finsam_no, 2) * greatest(0, 10 - (year(forsta_start) - year(fall_start)))) AS INTEGER))
           ELSE year(forsta_start) - CASE WHEN behovsgrupp = 'unga_med_funktionsnedsattning'
                                          THEN 18 + CAST(floor(12 * u(22, finsam_no, 2)) AS INTEGER)
                                          ELSE 20 + CAST(floor(20 * (u(22, finsam_no, 2) + u(22, finsam_no, 3))) AS INTEGER) END
       END
FROM finsam_deltagare;

CREATE TEMP TABLE all_fall AS
WITH cases AS (
    SELECT 1 AS kalla, rad AS nr, 1 AS person_kalla, bg_no AS person_nr, 'sjukpenning' AS ersattning,
           fall_start, fall_slut_kandidat, diagnoskod, avslut_kandidat
    FROM bg_fall
    UNION ALL
    SELECT 2, ae_no, 2, ae_no, 'aktivitetsersattning', fall_start, slut_kandidat, diagnoskod, avslut_kandidat FROM bg_ae
    UNION ALL
    SELECT 3, coop_no, 3, coop_no, ersattning, fall_start, fall_slut_kandidat, diagnoskod,
           CASE WHEN ersattning = 'sjukpenning' THEN
                    CASE WHEN utfall IN ('arbete', 'utbildning', 'arbetsmarknadspolitiskt_program')
                             THEN CASE WHEN u(13, coop_no, 1) < 0.85 THEN 'aterfatt_arbetsformaga' ELSE 'annat' END
                         WHEN utfall = 'oppet_arbetslos'
                             THEN CASE WHEN u(13, coop_no, 1) < 0.60 THEN 'ratt_till_ersattning_upphort' ELSE 'aterfatt_arbetsformaga' END
                         WHEN u(13, coop_no, 1) < 0.35 THEN 'ratt_till_ersattning_upphort'
                         WHEN u(13, coop_no, 1) < 0.70 THEN 'annan_ersattning'
                         WHEN u(13, coop_no, 1) < 0.90 THEN 'aterfatt_arbetsformaga' ELSE 'annat' END
                WHEN utfall IN ('arbete', 'utbildning', 'arbetsmarknadspolitiskt_program', 'oppet_arbetslos')
                    THEN CASE WHEN u(13, coop_no, 1) < 0.50 THEN 'aterfatt_arbetsformaga' ELSE 'annat' END
                WHEN u(13, coop_no, 1) < 0.55 THEN 'annan_ersattning'
                WHEN u(13, coop_no, 1) < 0.80 THEN 'annat' ELSE 'aterfatt_arbetsformaga' END
    FROM coop_fall
    UNION ALL
    SELECT 4, finsam_no, 4, finsam_no, grupp, fall_start, fall_slut_kandidat, diagnoskod,
           CASE WHEN grupp = 'sjukpenning' THEN
                    CASE WHEN u(23, finsam_no, 1) < 0.50 THEN 'aterfatt_arbetsformaga'
                         WHEN u(23, finsam_no, 1) < 0.70 THEN 'ratt_till_ersattning_upphort'
                         WHEN u(23, finsam_no, 1) < 0.88 THEN 'annan_ersattning' ELSE 'annat' END
                WHEN u(23, finsam_no, 1) < 0.35 THEN 'aterfatt_arbetsformaga'
                WHEN u(23, finsam_no, 1) < 0.75 THEN 'annat' ELSE 'annan_ersattning' END
    FROM finsam_deltagare WHERE grupp <> 'utan_ersattning'),
capped AS (  -- aktivitetsersättning ends at the latest in the year the person turns 29
    SELECT c.*,
           CASE WHEN c.ersattning = 'aktivitetsersattning' AND c.fall_slut_kandidat IS NOT NULL
                     AND c.fall_slut_kandidat > make_date(p.fodelsear + 29, 12, 31)
                THEN make_date(p.fodelsear + 29, 12, 31)
                WHEN c.ersattning = 'aktivitetsersattning' AND c.fall_slut_kandidat IS NULL
                     AND p.fodelsear + 29 < 2019
                THEN make_date(p.fodelsear + 29, 12, 31)
                ELSE c.fall_slut_kandidat END AS slut
    FROM cases c JOIN all_person p ON p.kalla = c.person_kalla AND p.nr = c.person_nr)
SELECT kalla, nr, person_kalla, person_nr, ersattning, fall_start AS startdatum,
       CASE WHEN slut <= getvariable('extract_date') THEN slut END AS slutdatum,
       diagnoskod,
       CASE WHEN slut > getvariable('extract_date') OR slut IS NULL THEN NULL
            WHEN slut IS DISTINCT FROM fall_slut_kandidat THEN 'annan_ersattning'
            ELSE avslut_kandidat END AS avslutsorsak
FROM capped;

-- step: moten
-- Meetings, from the final cases (stream 40).
-- 1. Omställningsmöten for exactly 20 % of the sjukpenning cases whose right to the
--    benefit ended in the second half of 2018, held in the 45 days before the end.
CREATE TEMP TABLE mote_upphort_2018h2 AS
WITH population AS (
    SELECT kalla, nr, person_kalla, person_nr, slutdatum, row_key(kalla, nr) AS rad
    FROM all_fall
    WHERE ersattning = 'sjukpenning' AND avslutsorsak = 'ratt_till_ersattning_upphort'
      AND slutdatum BETWEEN DATE '2018-07-01' AND DATE '2018-12-31'),
ranked AS (
    SELECT *, row_number() OVER (ORDER BY u(40, rad, 1), kalla, nr) AS r, count(*) OVER () AS n FROM population)
SELECT kalla, nr, person_kalla, person_nr, 'omstallningsmote' AS motestyp,
       greatest(DATE '2018-06-01', weekday(plus_days(slutdatum, -floor(45 * u(40, rad, 2))))) AS datum, rad
FROM ranked WHERE r <= round(0.20 * n);

-- 2. Other hand-over / transition meetings, before the end of a sjukpenning case whose
--    right ended (not one of the cases above); exactly the yearly number, 3 109 in 2018
--    all together. Overlämningsmöte until May 2018, omställningsmöte from June 2018.
CREATE TEMP TABLE target_moten AS
SELECT * FROM (VALUES (2015, 2300, 380), (2016, 2500, 460), (2017, 2700, 529), (2018, 3109, 597), (2019, 3300, 640))
    t(year, overlamning_omstallning, kontaktmoten);

CREATE TEMP TABLE mote_ovriga AS
WITH candidates AS (
    SELECT f.kalla, f.nr, f.person_kalla, f.person_nr, row_key(f.kalla, f.nr) AS rad,
           weekday(plus_days(f.slutdatum, -floor(45 * u(41, row_key(f.kalla, f.nr), 1)))) AS datum
    FROM all_fall f
    WHERE f.ersattning = 'sjukpenning' AND f.avslutsorsak = 'ratt_till_ersattning_upphort'
      AND NOT (f.slutdatum BETWEEN DATE '2018-07-01' AND DATE '2018-12-31')),
quota AS (  -- 2018's number includes the meetings of part 1
    SELECT t.year, scaled(t.overlamning_omstallning) - CASE WHEN t.year = 2018 THEN (SELECT count(*) FROM mote_upphort_2018h2) ELSE 0 END AS n
    FROM target_moten t),
ranked AS (
    SELECT c.*, row_number() OVER (PARTITION BY year(c.datum) ORDER BY u(41, c.rad, 2), c.kalla, c.nr) AS r
    FROM candidates c WHERE c.datum BETWEEN getvariable('first_day') AND getvariable('extract_date'))
SELECT r.kalla, r.nr, r.person_kalla, r.person_nr,
       CASE WHEN r.datum < DATE '2018-06-01' THEN 'overlamningsmote' ELSE 'omstallningsmote' END AS motestyp,
       r.datum, r.rad, u(41, r.rad, 3) < 0.04 AS utan_fall
FROM ranked r JOIN quota q ON q.year = year(r.datum) WHERE r.r <= q.n;

-- 3. Kontaktmöten for persons in transition, up to four months after the case ended.
CREATE TEMP TABLE mote_kontakt AS
WITH candidates AS (
    SELECT f.kalla, f.nr, f.person_kalla, f.person_nr, row_key(f.kalla, f.nr) AS rad,
           weekday(plus_days(f.slutdatum, 1 + floor(120 * u(42, row_key(f.kalla, f.nr), 1)))) AS datum
    FROM all_fall f
    WHERE f.ersattning = 'sjukpenning' AND f.avslutsorsak = 'ratt_till_ersattning_upphort'),
ranked AS (
    SELECT c.*, row_number() OVER (PARTITION BY year(c.datum) ORDER BY u(42, c.rad, 2), c.kalla, c.nr) AS r
    FROM candidates c WHERE c.datum <= getvariable('extract_date'))
SELECT r.kalla, r.nr, r.person_kalla, r.person_nr, 'kontaktmote' AS motestyp, r.datum, r.rad,
       u(42, r.rad, 3) < 0.08 AS utan_fall
FROM ranked r JOIN target_moten t ON t.year = year(r.datum) WHERE r.r <= scaled(t.kontaktmoten);

-- step: tabeller
-- Final ids and the seven tables of the model. person_id is a pseudonym: persons are
-- numbered in an order drawn from the seed.
CREATE TEMP TABLE person_key AS
SELECT kalla, nr, 1000000 + row_number() OVER (ORDER BY u(50, row_key(kalla, nr), 1), kalla, nr) AS person_id
FROM all_person;

CREATE TEMP TABLE fall_key AS
SELECT f.kalla, f.nr, p.person_id, row_number() OVER (ORDER BY f.startdatum, p.person_id, f.ersattning) AS fall_id
FROM all_fall f JOIN person_key p ON p.kalla = f.person_kalla AND p.nr = f.person_nr;

CREATE TABLE main.person AS
SELECT CAST(k.person_id AS BIGINT) AS person_id, CAST(p.kon AS VARCHAR) AS kon, CAST(p.fodelsear AS INTEGER) AS fodelsear
FROM all_person p JOIN person_key k USING (kalla, nr)
ORDER BY person_id;

CREATE TABLE main.ersattningsfall AS
SELECT CAST(k.fall_id AS BIGINT) AS fall_id, CAST(k.person_id AS BIGINT) AS person_id, CAST(f.ersattning AS VARCHAR) AS ersattning,
       CAST(f.startdatum AS DATE) AS startdatum, CAST(f.slutdatum AS DATE) AS slutdatum,
       CAST(f.diagnoskod AS VARCHAR) AS diagnoskod, CAST(f.avslutsorsak AS VARCHAR) AS avslutsorsak
FROM all_fall f JOIN fall_key k USING (kalla, nr)
ORDER BY fall_id;

CREATE TEMP TABLE coop_key AS
SELECT c.coop_no, f.person_id, f.fall_id,
       row_number() OVER (ORDER BY c.datum, f.person_id) AS kartlaggning_id
FROM coop_fall c JOIN fall_key f ON f.kalla = 3 AND f.nr = c.coop_no;

CREATE TABLE main.kartlaggning AS
SELECT CAST(k.kartlaggning_id AS BIGINT) AS kartlaggning_id, CAST(k.person_id AS BIGINT) AS person_id,
       CAST(k.fall_id AS BIGINT) AS fall_id, CAST(c.datum AS DATE) AS datum
FROM coop_fall c JOIN coop_key k USING (coop_no)
ORDER BY kartlaggning_id;

CREATE TABLE main.samarbete AS
SELECT CAST(k.kartlaggning_id AS BIGINT) AS samarbete_id, CAST(k.kartlaggning_id AS BIGINT) AS kartlaggning_id,
       CAST(k.person_id AS BIGINT) AS person_id, CAST(k.fall_id AS BIGINT) AS fall_id,
       CAST(c.datum AS DATE) AS startdatum, CAST(c.slutdatum AS DATE) AS slutdatum,
       CAST(c.avslutsorsak AS VARCHAR) AS avslutsorsak, CAST(c.utfall AS VARCHAR) AS utfall
FROM coop_fall c JOIN coop_key k USING (coop_no)
ORDER BY samarbete_id;

CREATE TABLE main.samordningsforbund AS
SELECT CAST(forbund_id AS BIGINT) AS forbund_id, CAST(namn AS VARCHAR) AS namn, CAST(lan AS VARCHAR) AS lan
FROM forbund ORDER BY forbund_id;

CREATE TABLE main.insats AS
WITH rows AS (
    SELECT k.person_id, 'forstarkt_samarbete' AS finansiar, k.kartlaggning_id AS samarbete_id, NULL AS forbund_id,
           i.insatstyp, NULL AS behovsgrupp, i.startdatum,
           CASE WHEN plus_days(i.startdatum, 14 + round(lognormal(90, 0.5, u(14, i.rad, 1), u(14, i.rad, 2))))
                     <= coalesce(i.samarbete_slut, getvariable('extract_date'))
                THEN plus_days(i.startdatum, 14 + round(lognormal(90, 0.5, u(14, i.rad, 1), u(14, i.rad, 2))))
                ELSE i.samarbete_slut END AS slutdatum,
           1 AS kalla, i.rad
    FROM coop_insats_rad i JOIN coop_key k USING (coop_no)
    UNION ALL
    SELECT p.person_id, 'samordningsforbund', NULL, i.forbund_id, i.insatstyp, i.behovsgrupp, i.startdatum,
           CASE WHEN i.slut_kandidat <= getvariable('extract_date') THEN i.slut_kandidat END,
           2, i.rad
    FROM finsam_insats i JOIN person_key p ON p.kalla = 4 AND p.nr = i.finsam_no)
SELECT CAST(row_number() OVER (ORDER BY startdatum, person_id, kalla, rad) AS BIGINT) AS insats_id,
       CAST(person_id AS BIGINT) AS person_id, CAST(finansiar AS VARCHAR) AS finansiar,
       CAST(samarbete_id AS BIGINT) AS samarbete_id, CAST(forbund_id AS BIGINT) AS forbund_id,
       CAST(insatstyp AS VARCHAR) AS insatstyp, CAST(behovsgrupp AS VARCHAR) AS behovsgrupp,
       CAST(startdatum AS DATE) AS startdatum, CAST(slutdatum AS DATE) AS slutdatum
FROM rows
ORDER BY insats_id;

CREATE TABLE main.mote AS
WITH rows AS (
    SELECT kalla, nr, person_kalla, person_nr, motestyp, datum, rad, false AS utan_fall FROM mote_upphort_2018h2
    UNION ALL SELECT kalla, nr, person_kalla, person_nr, motestyp, datum, rad, utan_fall FROM mote_ovriga
    UNION ALL SELECT kalla, nr, person_kalla, person_nr, motestyp, datum, rad, utan_fall FROM mote_kontakt)
SELECT CAST(row_number() OVER (ORDER BY r.datum, f.person_id, r.motestyp, r.rad) AS BIGINT) AS mote_id,
       CAST(f.person_id AS BIGINT) AS person_id,
       CAST(CASE WHEN r.utan_fall THEN NULL ELSE f.fall_id END AS BIGINT) AS fall_id,
       CAST(r.motestyp AS VARCHAR) AS motestyp, CAST(r.datum AS DATE) AS datum
FROM rows r JOIN fall_key f USING (kalla, nr)
ORDER BY mote_id;
