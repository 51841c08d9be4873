"""Loading for every user: the pandas backend keeps each Table Schema type, nulls included, and the
errata warning is one line that `warn_errata=False` silences."""
from __future__ import annotations

import warnings

import polars as pl
import pytest

import rare_earth_supply as res

pd = pytest.importorskip("pandas", reason="backend='pandas' needs the pandas extra")


def _quiet(name: str, **kwargs):
    return res.load(name, warn_errata=False, **kwargs)


def test_years_are_nullable_integers_never_floats():
    sources = _quiet("sources", backend="pandas")
    assert sources["year"].dtype == "Int64"
    news = sources.set_index("id")
    assert news.loc["news-001", "year"] == 2025 and news.loc["news-000", "year"] is pd.NA
    assert "2025.0" not in sources[["id", "year"]].to_csv(), "a year never prints as 2023.0"
    for table in ("production", "reserves", "costs", "quotas"):
        frame = _quiet(table, backend="pandas")
        year = "as_of" if table == "reserves" else "year"
        assert frame[year].dtype == "Int64", table


def test_booleans_are_nullable_booleans():
    timeline = _quiet("timeline", backend="pandas")
    assert timeline["expected"].dtype == "boolean"
    expected = _quiet("timeline")["expected"]
    assert timeline["expected"].isna().sum() == expected.null_count() > 0
    assert timeline["expected"].fillna(False).tolist() == expected.fill_null(False).to_list()


def test_dates_are_datetime64_with_nat_for_unknown_dates():
    sources = _quiet("sources", backend="pandas").set_index("id")
    assert pd.api.types.is_datetime64_dtype(sources["published"])
    assert sources.loc["news-003", "published"] == pd.Timestamp("2025-10-21")
    assert sources.loc["news-000", "published"] is pd.NaT


def test_strings_are_the_string_dtype_with_na_for_empty_cells():
    sources = _quiet("sources", backend="pandas").set_index("id")
    assert isinstance(sources["publisher"].dtype, pd.StringDtype)
    assert sources.loc["news-000", "publisher"] is pd.NA and sources.loc["news-004", "publisher"] == "Sou Hu Cai Jing"


@pytest.mark.parametrize("table", res.tables())
def test_every_table_converts_cell_for_cell(table):
    polars_frame, pandas_frame = _quiet(table), _quiet(table, backend="pandas")
    assert list(pandas_frame.columns) == polars_frame.columns and len(pandas_frame) == polars_frame.height
    expected_dtypes = {pl.Int64: "Int64", pl.Float64: "Float64", pl.Boolean: "boolean", pl.String: "string"}
    for column, dtype in polars_frame.schema.items():
        converted = pandas_frame[column]
        if dtype == pl.Date:
            assert pd.api.types.is_datetime64_dtype(converted), column
            values = [None if pd.isna(v) else v.date() for v in converted]
        else:
            assert str(converted.dtype) == expected_dtypes[dtype], column
            values = [None if pd.isna(v) else v for v in converted]
        assert values == polars_frame[column].to_list(), column


def _errata_warnings(call) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if issubclass(w.category, res.ErrataWarning)]


def test_errata_warning_is_one_line_with_the_count_and_ids(monkeypatch):
    monkeypatch.setattr(res, "_warned", set())
    (warning,) = _errata_warnings(lambda: res.load("reserves", backend="pandas"))
    message = str(warning.message)
    open_ids = _quiet("errata").filter(pl.col("table") == "reserves", pl.col("status") == "open")["id"].to_list()
    assert "\n" not in message
    assert message.startswith(f"reserves has {len(open_ids)} open errata ({', '.join(open_ids)})")
    assert "warn_errata=False" in message


def test_warn_errata_false_silences_the_warning_for_that_call_only(monkeypatch):
    monkeypatch.setattr(res, "_warned", set())
    assert _errata_warnings(lambda: res.load("reserves", warn_errata=False)) == []
    assert _errata_warnings(lambda: res.load("reserves", backend="pandas", warn_errata=False)) == []
    assert len(_errata_warnings(lambda: res.load("reserves"))) == 1, "a later call without it still warns, once"
    assert _errata_warnings(lambda: res.load("reserves")) == []
