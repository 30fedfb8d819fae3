"""Input of the joblog command: files, globs, directories, gzip, stdin, and the rows they become."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import pytest

from joblog.cli.errors import CLIError
from joblog.cli.reader import (
    Prefilter,
    Row,
    ScanStats,
    Source,
    lookup,
    parse_object,
    read_blocks,
    read_lines,
    resolve_sources,
    scan,
)


def names(sources: list[Source]) -> list[tuple[str, str]]:
    return [(source.log, source.log_stream) for source in sources]


class TestResolveSources:
    def test_nothing_means_stdin(self) -> None:
        """No FILE argument reads stdin, as does '-'."""
        assert [("-", "-")] == names(resolve_sources([]))
        assert [("-", "-")] == names(resolve_sources(["-"]))

    def test_files_keep_their_order(self, tmp_path: Path) -> None:
        """Files are read in the order given; @logStream is the base name."""
        b, a = tmp_path / "b.log", tmp_path / "a.jsonl"
        b.write_text("")
        a.write_text("")

        assert [(str(b), "b.log"), (str(a), "a.jsonl")] == names(resolve_sources([str(b), str(a)]))

    def test_directories_contribute_their_logs_recursively(self, tmp_path: Path) -> None:
        """*.jsonl, *.log and their .gz forms, in name order; other files are left out."""
        (tmp_path / "day2").mkdir()
        for name in ("z.log", "a.jsonl", "notes.txt", "day2/b.jsonl.gz", "day2/c.log.gz"):
            (tmp_path / name).write_text("")

        assert ["a.jsonl", "b.jsonl.gz", "c.log.gz", "z.log"] == [
            source.log_stream for source in resolve_sources([str(tmp_path)])
        ]

    def test_empty_directory(self, tmp_path: Path) -> None:
        """A directory without logs is an error naming it."""
        with pytest.raises(
            CLIError, match=f"no \\*.jsonl or \\*.log files in the directory {tmp_path}"
        ):
            resolve_sources([str(tmp_path)])

    def test_globs(self, tmp_path: Path) -> None:
        """A glob the shell did not expand is expanded here, ** included."""
        (tmp_path / "x").mkdir()
        for name in ("app-1.jsonl", "app-2.jsonl", "x/app-3.jsonl"):
            (tmp_path / name).write_text("")

        assert ["app-1.jsonl", "app-2.jsonl", "app-3.jsonl"] == [
            source.log_stream for source in resolve_sources([f"{tmp_path}/**/app-*.jsonl"])
        ]

    def test_glob_without_matches(self, tmp_path: Path) -> None:
        """A glob that matches nothing is an error."""
        with pytest.raises(CLIError, match="no files match"):
            resolve_sources([f"{tmp_path}/*.jsonl"])

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file is an error naming it."""
        missing = tmp_path / "nope.jsonl"

        with pytest.raises(CLIError, match=f"no such file: {missing}"):
            resolve_sources([str(missing)])

    def test_timestamp_key(self) -> None:
        """The timestamp key travels with each source."""
        assert "ts" == resolve_sources([], "ts")[0].timestamp_key


class TestReading:
    def test_gzip_files_are_read_by_their_content(self, tmp_path: Path) -> None:
        """A gzip file is recognised by its magic bytes, whatever its name."""
        path = tmp_path / "app.log"
        path.write_bytes(gzip.compress(b'{"a":1}\n{"a":2}\n'))

        assert [[b'{"a":1}', b'{"a":2}']] == list(
            read_lines(Source(str(path), "app.log", str(path)), io.BytesIO())
        )

    def test_gzip_on_stdin(self) -> None:
        """Gzip-compressed stdin is decompressed too."""
        stdin = io.BufferedReader(io.BytesIO(gzip.compress(b"x\ny\n")))  # type: ignore[arg-type]

        assert [[b"x", b"y"]] == list(read_lines(Source("-", "-", None), stdin))

    def test_corrupt_gzip(self, tmp_path: Path) -> None:
        """A damaged gzip file is an error naming it."""
        path = tmp_path / "bad.jsonl.gz"
        data = gzip.compress(b"".join(b'{"a":%d}\n' % i for i in range(10_000)))
        path.write_bytes(data[: len(data) // 2])

        with pytest.raises(CLIError, match=f"cannot read {path}"):
            list(read_lines(Source(str(path), "bad.jsonl.gz", str(path)), io.BytesIO()))

    def test_unreadable_file(self, tmp_path: Path) -> None:
        """A file that cannot be opened is an error naming it."""
        path = tmp_path / "dir.jsonl"
        path.mkdir()

        with pytest.raises(CLIError, match=f"cannot read {path}: Is a directory"):
            list(read_blocks(Source(str(path), "dir.jsonl", str(path)), io.BytesIO()))

    def test_blocks_end_on_line_boundaries(self) -> None:
        """A line longer than a block, and a last line without newline, come out whole."""
        long = b"x" * (3 << 20)
        data = b"a\n" + long + b"\nb\nlast"

        blocks = list(read_blocks(Source("-", "-", None), io.BytesIO(data)))

        assert data == b"".join(blocks)
        assert all(block.endswith(b"\n") for block in blocks[:-1])
        assert [b"a", long, b"b", b"last"] == [
            line for batch in read_lines(Source("-", "-", None), io.BytesIO(data)) for line in batch
        ]

    def test_stdin_is_not_closed(self) -> None:
        """Reading stdin leaves it open; files are closed."""
        stdin = io.BytesIO(b"a\n")
        list(read_blocks(Source("-", "-", None), stdin))

        assert not stdin.closed


class TestParseObject:
    @pytest.mark.parametrize(
        ("line", "expected"),
        [
            (b'{"a": 1}', {"a": 1}),
            (b'{"a": "\\ud800"}', {"a": "\ud800"}),
            (b"[1, 2]", None),
            (b'{"a": NaN}', None),
            (b'{"a": ', None),
            (b'"text"', None),
            (b"[" * 100_000, None),
        ],
    )
    def test_objects_only(self, line: bytes, expected: object) -> None:
        """Only a JSON object is an event; escapes orjson refuses still parse."""
        assert expected == parse_object(line)


class TestLookup:
    def test_flattened_names(self) -> None:
        """Dots walk objects and arrays; keys with dots are found; containers are absent."""
        data = {"a": {"b": [10, {"c": 2}]}, "x.y": 3, "n": None, "o": {}, "p": {"q.r": {"s": 4}}}

        assert [10, 2, 3, None, None, None, 4, None, None, None] == [
            lookup(data, name)
            for name in (
                "a.b.0",
                "a.b.1.c",
                "x.y",
                "n",
                "o",
                "a.b",
                "p.q.r.s",
                "a.b.9",
                "a.b.x",
                "a.z",
            )
        ]


class TestScan:
    def scan(self, data: bytes, **kwargs: object) -> tuple[list[Row], ScanStats]:
        stats = ScanStats()
        rows = list(scan([Source("-", "-", None)], io.BytesIO(data), stats, **kwargs))  # type: ignore[arg-type]
        return rows, stats

    def test_rows_and_non_json_lines(self) -> None:
        """Blank lines are skipped; a non-JSON line becomes an @message-only row, counted."""
        rows, stats = self.scan(b'{"a":1}\r\n\n   \nplain\n  {"b":2}\n[1]\n')

        assert [{"a": 1}, {}, {"b": 2}, {}] == [row.data for row in rows]
        assert ['{"a":1}', "plain", '  {"b":2}', "[1]"] == [row.message for row in rows]
        assert (4, 2) == (stats.parsed, stats.not_json)
        assert [1, 2, 3, 4] == [row.seq for row in rows]

    def test_invalid_utf8_in_message(self) -> None:
        """Invalid UTF-8 shows as \\xNN in @message."""
        rows, _stats = self.scan(b"bad \xff\n")

        assert "bad \\xff" == rows[0].message

    def test_time_bounds(self) -> None:
        """since is inclusive, until exclusive; lines without a time are dropped."""
        data = (
            b"".join(b'{"timestamp": "2026-11-23T10:00:0%dZ"}\n' % second for second in range(5))
            + b"{}\n"
        )
        since = 1795428001000.0  # 10:00:01
        until = 1795428003000.0  # 10:00:03

        rows, _stats = self.scan(data, since=since, until=until)

        assert ["2026-11-23T10:00:01Z", "2026-11-23T10:00:02Z"] == [
            row.data["timestamp"] for row in rows
        ]

    def test_prefilter_with_needles_skips_other_lines_unparsed(self) -> None:
        """With needles only lines holding one (or a backslash) are parsed."""
        data = b'{"id":"a"}\n{"id":"b"}\n{"id":"\\u0061"}\nnot json a\r\n'
        prefilter = Prefilter(lambda line: b"a" in line or b"\\" in line, (b"a",))

        rows, stats = self.scan(data, prefilter=prefilter)

        assert [{"id": "a"}, {"id": "a"}, {}] == [row.data for row in rows]
        assert "not json a" == rows[2].message
        assert (3, 1) == (stats.parsed, stats.not_json)

    def test_last_line_without_newline(self) -> None:
        """A final line without its newline is read, with or without needles."""
        prefilter = Prefilter(lambda line: b"x" in line, (b"x",))

        assert [b'{"x":1}'] == [
            row.raw for row in self.scan(b'{"y":1}\n{"x":1}', prefilter=prefilter)[0]
        ]
        assert [b'{"y":1}', b'{"x":1}'] == [row.raw for row in self.scan(b'{"y":1}\n{"x":1}')[0]]

    def test_prefilter_without_needles_tests_each_line(self) -> None:
        """A plain test rules lines out one by one."""
        prefilter = Prefilter(lambda line: line.startswith(b'{"keep"'))

        rows, stats = self.scan(b'{"keep":1}\n{"drop":1}\nplain\n', prefilter=prefilter)

        assert [{"keep": 1}] == [row.data for row in rows]
        assert (1, 0) == (stats.parsed, stats.not_json)

    def test_timestamp_key_and_missing_timestamp(self) -> None:
        """@timestamp comes from the source's key; a stats row has none."""
        source = Source("-", "-", None, "ts")
        (row,) = scan([source], io.BytesIO(b'{"ts": 1795428000}\n'), ScanStats())

        assert "2026-11-23 10:00:00.000" == str(row.timestamp)
        assert Row(None, {}, None, 0, {}).timestamp is None
        assert Row(None, {}, None, 0, {}).message is None


def test_no_descriptor_leak(tmp_path: Path) -> None:
    """Every file read is closed, gzip ones included."""
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(b"{}\n"))
    before = len(os.listdir("/proc/self/fd"))

    for _ in range(50):
        list(read_blocks(Source(str(path), "a", str(path)), io.BytesIO()))

    assert before == len(os.listdir("/proc/self/fd"))
