"""Values of the query language: numbers, text forms, comparison, natural order and time."""

from __future__ import annotations

import calendar
import functools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joblog.cli.values import (
    Timestamp,
    as_number,
    ceil_time,
    compare,
    floor_time,
    format_time,
    parse_time,
    sort_key,
    text,
)


def ms(iso: str) -> float:
    """Epoch milliseconds of a UTC time written YYYY-MM-DDTHH:MM:SS[.fff]."""
    stamp = parse_time(iso + ("Z" if not iso.endswith("Z") else ""))
    assert stamp is not None
    return float(stamp)


class TestAsNumber:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (5, 5),
            (2.5, 2.5),
            ("42", 42),
            ("-7", -7),
            ("+3", 3),
            ("1.5e3", 1500.0),
            (".5", 0.5),
            ("5.", 5.0),
            (Timestamp(1000.0), 1000.0),
        ],
    )
    def test_numbers_and_numeric_strings(self, value: object, expected: float) -> None:
        """JSON numbers and strings that spell one are numbers."""
        assert expected == as_number(value)

    @pytest.mark.parametrize(
        "value",
        [True, False, None, "", "abc", "1_000", " 5", "5 ", "nan", "inf", "0x10", "1e", "-"],
    )
    def test_other_values(self, value: object) -> None:
        """Booleans, absent values and other strings are not numbers."""
        assert as_number(value) is None


class TestText:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("abc", "abc"),
            (True, "true"),
            (False, "false"),
            (5, "5"),
            (5.0, "5"),
            (2.5, "2.5"),
            (1e20, "1e+20"),
            (float("inf"), "inf"),
            (Timestamp(ms("2026-11-23T10:15:30.123")), "2026-11-23 10:15:30.123"),
            (None, "None"),
        ],
    )
    def test_text_forms(self, value: object, expected: str) -> None:
        """Booleans as in JSON, whole floats without .0, timestamps as CloudWatch prints them."""
        assert expected == text(value)

    def test_timestamp_repr(self) -> None:
        """A timestamp's repr shows its time."""
        assert "Timestamp('1970-01-01 00:00:01.500')" == repr(Timestamp(1500.0))


class TestCompare:
    @pytest.mark.parametrize(
        ("left", "right", "expected"),
        [
            (5, "5", 0),
            ("10", "9", 1),
            (2.5, 10, -1),
            ("abc", "abd", -1),
            ("b", "a", 1),
            ("10", "9x", -1),
            (True, "true", 0),
            (5, "5.0", 0),
        ],
    )
    def test_numbers_compare_as_numbers_else_text(
        self, left: object, right: object, expected: int
    ) -> None:
        """D5: both numeric (strings included) compare as numbers; otherwise as text."""
        assert expected == compare(left, right)

    def test_timestamps_compare_with_iso_strings(self) -> None:
        """A timestamp compares with an ISO string as a time, on either side."""
        stamp = Timestamp(ms("2026-11-23T10:00:00"))

        assert 1 == compare(stamp, "2026-11-23T09:59:59Z")
        assert -1 == compare("2026-11-23T09:59:59Z", stamp)
        assert 1 == compare(stamp, "2026-11-23")
        assert 0 == compare(stamp, "2026-11-23T10:00:00.000Z")

    def test_timestamp_and_non_time_string_compare_as_text(self) -> None:
        """A string that is no time compares with a timestamp's text."""
        stamp = Timestamp(ms("2026-11-23T10:00:00"))

        assert -1 == compare(stamp, "zzz")
        assert 1 == compare("zzz", stamp)


class TestNaturalOrder:
    def test_the_documented_example(self) -> None:
        """AWS's example list sorts into the documented order."""
        documented = [
            "!:",
            "#",
            "*%04",
            "0#",
            "5A",
            "111A",
            "2345_",
            "@",
            "@_",
            "A",
            "A9876fghj",
            "a12345hfh",
            "0",
        ]
        shuffled = list(reversed(documented[1:])) + documented[:1]

        assert documented == sorted(shuffled, key=sort_key)

    def test_numbers_sort_by_value_after_text(self) -> None:
        """Every number after every non-number; numbers (numeric strings too) by value."""
        assert ["a", "z9", 2, "10", 10.5, "100"] == sorted(
            ["100", 10.5, "a", "10", 2, "z9"], key=sort_key
        )

    def test_digit_runs_sort_by_length_then_value(self) -> None:
        """scene2 before scene10; a longer run of digits sorts later even with zeros."""
        assert ["scene2", "scene10", "scene99x", "scene010"] == sorted(
            ["scene010", "scene99x", "scene10", "scene2"], key=sort_key
        )

    def test_digits_sort_between_punctuation_and_letters(self) -> None:
        """A run of digits takes the place of its first digit among other characters."""
        assert ["a!", "a1", "a:", "aa"] == sorted(["aa", "a:", "a1", "a!"], key=sort_key)

    @given(st.text(alphabet="ab"))
    def test_text_without_digits_sorts_by_code_point(self, value: str) -> None:
        """Without digits, natural order is plain string order."""
        other = value[::-1] + "a"
        assert (sort_key(value) < sort_key(other)) == (value < other)

    @given(
        st.lists(st.one_of(st.text(max_size=6), st.integers(-1000, 1000)), min_size=3, max_size=3)
    )
    def test_is_a_total_order(self, values: list[object]) -> None:
        """Keys are totally ordered: antisymmetric and transitive."""
        a, b, c = (sort_key(v) for v in values)

        assert (a <= b) or (b <= a)
        if a <= b and b <= c:
            assert a <= c
        if a <= b and b <= a:
            assert a == b

    @given(st.lists(st.one_of(st.text(alphabet="ab01-", max_size=5), st.integers(0, 50))))
    def test_sorting_is_consistent_with_pairwise_comparison(self, values: list[object]) -> None:
        """sorted() by key agrees with a comparison sort by the same keys."""

        def cmp(x: object, y: object) -> int:
            kx, ky = sort_key(x), sort_key(y)
            return (kx > ky) - (kx < ky)

        assert [sort_key(v) for v in sorted(values, key=sort_key)] == [
            sort_key(v) for v in sorted(values, key=functools.cmp_to_key(cmp))
        ]


class TestParseTime:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("2026-11-23T10:15:30.123Z", "2026-11-23 10:15:30.123"),
            ("2026-11-23T10:15:30Z", "2026-11-23 10:15:30.000"),
            ("2026-11-23 10:15:30.123456", "2026-11-23 10:15:30.123"),
            ("2026-11-23T10:15:30,5Z", "2026-11-23 10:15:30.500"),
            ("2026-11-23T12:15:30+02:00", "2026-11-23 10:15:30.000"),
            ("2026-11-23T05:15:30-0500", "2026-11-23 10:15:30.000"),
            ("2026-11-23T10:15", "2026-11-23 10:15:00.000"),
            ("2026-11-23", "2026-11-23 00:00:00.000"),
            (1795428930, "2026-11-23 10:15:30.000"),
            (1795428930.5, "2026-11-23 10:15:30.500"),
            (1795428930123, "2026-11-23 10:15:30.123"),
            (1795428930123000, "2026-11-23 10:15:30.123"),
            (1795428930123000000, "2026-11-23 10:15:30.123"),
        ],
    )
    def test_iso_strings_and_epoch_numbers(self, value: object, expected: str) -> None:
        """ISO 8601 in its common forms; epoch s, ms, µs and ns told apart by magnitude."""
        stamp = parse_time(value)

        assert stamp is not None
        assert expected == text(stamp)

    @pytest.mark.parametrize(
        "value",
        [
            "yesterday",
            "2026-13-01",
            "2026-11-23T25:00:00Z",
            "2026-11-31T10:00:00.000Z",
            "2026-11-23Txx:xx:xx.123Z",
            True,
            None,
            float("nan"),
            float("inf"),
            [1],
        ],
    )
    def test_non_times(self, value: object) -> None:
        """Anything else, invalid dates included, is no time."""
        assert parse_time(value) is None

    def test_timestamps_pass_through(self) -> None:
        """A timestamp is its own time."""
        stamp = Timestamp(5.0)

        assert stamp is parse_time(stamp)

    def test_cache_of_seconds_stays_bounded(self) -> None:
        """Thousands of distinct seconds parse correctly while the cache is cleared."""
        for second in range(5000):
            epoch = 1795428930 + second
            stamp = parse_time(f"{format_time(epoch * 1000.0).replace(' ', 'T')[:19]}.007Z")
            assert stamp == epoch * 1000 + 7


class TestFormatTime:
    def test_milliseconds_are_cut_not_rounded(self) -> None:
        """.9999 ms stays in its millisecond."""
        assert "1970-01-01 00:00:01.999" == format_time(1999.9999)

    def test_out_of_range(self) -> None:
        """A time beyond what the platform can print falls back to the number."""
        assert "1e+30" == format_time(1e30)


class TestFloorAndCeil:
    @pytest.mark.parametrize(
        ("count", "unit", "expected"),
        [
            (1, "ms", "2026-11-23T10:17:42.123"),
            (1, "s", "2026-11-23T10:17:42"),
            (5, "m", "2026-11-23T10:15:00"),
            (2, "h", "2026-11-23T10:00:00"),
            (1, "d", "2026-11-23T00:00:00"),
            (1, "w", "2026-11-23T00:00:00"),
            (1, "mo", "2026-11-01T00:00:00"),
            (1, "q", "2026-10-01T00:00:00"),
            (1, "y", "2026-01-01T00:00:00"),
            (2, "mo", "2026-11-01T00:00:00"),
        ],
    )
    def test_floor(self, count: int, unit: str, expected: str) -> None:
        """D9: fixed units floor to multiples, weeks to Monday, calendar units to their start."""
        when = ms("2026-11-23T10:17:42.123")  # a Monday

        assert ms(expected) == floor_time(when, count, unit)

    @pytest.mark.parametrize(
        ("count", "unit", "expected"),
        [
            (5, "m", "2026-11-23T10:20:00"),
            (1, "w", "2026-11-30T00:00:00"),
            (1, "mo", "2026-12-01T00:00:00"),
            (1, "q", "2027-01-01T00:00:00"),
        ],
    )
    def test_ceil(self, count: int, unit: str, expected: str) -> None:
        """ceil_time is the next boundary, across a year end too."""
        assert ms(expected) == ceil_time(ms("2026-11-23T10:17:42.123"), count, unit)

    def test_ceil_of_a_boundary_is_itself(self) -> None:
        """A time on the boundary does not move."""
        when = ms("2026-11-01T00:00:00")

        assert when == ceil_time(when, 1, "mo")

    @given(st.integers(0, 4_000_000_000_000), st.sampled_from(["s", "m", "h", "d", "w", "mo", "y"]))
    def test_floor_and_ceil_bracket_the_time(self, when: int, unit: str) -> None:
        """floor <= t <= ceil, and both are boundaries (flooring them changes nothing)."""
        low = floor_time(when, 1, unit)
        high = ceil_time(when, 1, unit)

        assert low <= when <= high
        assert low == floor_time(low, 1, unit)
        assert high == floor_time(high, 1, unit)

    def test_month_boundaries_match_the_calendar(self) -> None:
        """Month starts are the calendar's, for long and short months."""
        march = ms("2026-03-31T23:59:59")

        assert calendar.timegm((2026, 3, 1, 0, 0, 0)) * 1000 == floor_time(march, 1, "mo")
        assert calendar.timegm((2026, 4, 1, 0, 0, 0)) * 1000 == ceil_time(march, 1, "mo")
