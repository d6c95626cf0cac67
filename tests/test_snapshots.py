"""The compiled SQL of every indicator, period kind and dialect equals its committed snapshot.

A difference is a change to the numbers' SQL: review it, then `indicators snapshots --update`.
"""
from engine.snapshots import compare_snapshots, snapshot_text, write_snapshots


def test_compiled_sql_matches_committed_snapshots(catalogue):
    differences = compare_snapshots(catalogue)
    assert not differences, "\n".join(f"{d.path}: {d.kind}" for d in differences) + (
        "\nreview the SQL change, then run `indicators snapshots --update` and commit the files")


def test_a_changed_snapshot_is_found_and_rewritten(catalogue, tmp_path):
    ind = sorted(catalogue.indicators)[0]
    assert {d.kind for d in compare_snapshots(catalogue, tmp_path, [ind])} == {"missing"}
    written = write_snapshots(catalogue, tmp_path, [ind])
    assert written and compare_snapshots(catalogue, tmp_path, [ind]) == []
    written[0].write_text(written[0].read_text().replace("COUNT", "SUM", 1))
    assert [d.kind for d in compare_snapshots(catalogue, tmp_path, [ind])] == ["changed"]
    (tmp_path / "no_such_indicator").mkdir()
    assert "stale" in {d.kind for d in compare_snapshots(catalogue, tmp_path)}


def test_snapshot_holds_every_period_and_refusals(catalogue):
    text = snapshot_text(catalogue, "median_sjukfallslangd_vid_avslut", "trino")
    assert text.count("-- period ") == 5 and "-- refused:" in text
