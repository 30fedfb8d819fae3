"""Shared by the CLI tests: the reference pipeline's log, and reading a PNG screenshot."""

from __future__ import annotations

import importlib.util
import struct
import zlib
from pathlib import Path
from types import ModuleType

import pytest

from joblog.testing import reset_defaults

ROOT = Path(__file__).parent.parent

#: The jobs examples/pipeline_log.py runs.
GOOD_JOBS = ("job-abc123", "job-def456")
FAILED_JOB = "job-0f9e8d"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "pipeline_log", ROOT / "examples" / "pipeline_log.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def pipeline_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """
    The log of the reference pipeline, written by joblog's own loggers.

    Two jobs succeed with their scenes rendered in parallel, one fails with
    status="failed" and error_message (examples/pipeline_log.py).
    """
    path = tmp_path_factory.mktemp("pipeline") / "pipeline.jsonl"
    with path.open("w", encoding="utf-8") as stream:
        _example().write_pipeline_log(stream, scale=0.25)
    reset_defaults()
    return path


def read_png(path: Path) -> tuple[int, int, list[bytes]]:
    """
    Decode an 8-bit RGB or RGBA PNG (what Chromium writes) into rows of RGB bytes.

    Returns:
        (width, height, rows), each row ``width * 3`` bytes.
    """
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset = 8
    idat = b""
    width = height = channels = 0
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _c, _f, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, interlace) == (8, 0)
            channels = {2: 3, 6: 4}[color]
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    position = 0
    for _ in range(height):
        kind = raw[position]
        line = bytearray(raw[position + 1 : position + 1 + stride])
        position += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + predictor) & 0xFF
        previous = line
        rows.append(bytes(b for i, b in enumerate(line) if channels == 3 or i % 4 != 3))
    return width, height, rows
