import datetime as dt

import pytest

from engine.periods import PeriodError, parse_period


@pytest.mark.parametrize("text, first, last", [
    ("2018", "2018-01-01", "2018-12-31"), ("2018H1", "2018-01-01", "2018-06-30"),
    ("2018H2", "2018-07-01", "2018-12-31"), ("2018Q1", "2018-01-01", "2018-03-31"),
    ("2018Q4", "2018-10-01", "2018-12-31"), ("2016-02", "2016-02-01", "2016-02-29"),
    ("2018-12", "2018-12-01", "2018-12-31"),
])
def test_bounds(text, first, last):
    p = parse_period(text)
    assert (p.first, p.last) == (dt.date.fromisoformat(first), dt.date.fromisoformat(last))


@pytest.mark.parametrize("text", ["18", "2018H3", "2018Q5", "2018-13", "2018-1", "x"])
def test_bad(text):
    with pytest.raises(PeriodError):
        parse_period(text)


def test_previous():
    assert [str(parse_period(t).previous()) for t in ["2018", "2018H1", "2018Q1", "2018-01", "2018-07"]] == \
        ["2017", "2017H2", "2017Q4", "2017-12", "2018-06"]
