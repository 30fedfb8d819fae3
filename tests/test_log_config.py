"""``joblog log-config`` under a real uvicorn, and configure() beside a dictConfig recipe."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import textwrap
from pathlib import Path

import httpx
import pytest

import joblog
from joblog.cli import main
from joblog.cli.log_config import log_config

from .uvicorn_process import uvicorn_process

APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
"""


def _serve(tmp_path: Path, *options: str) -> list[str]:
    """Run ``uvicorn app:app --log-config`` with *options*, make one request, stop it."""
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    args = ("app:app", "--app-dir", str(tmp_path), "--http", "h11", "--ws", "none", *options)
    with uvicorn_process(tmp_path, *args) as served:
        assert 200 == httpx.get(served.url, timeout=10).status_code
    return served.output


def _write_config(tmp_path: Path, *options: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert 0 == main(["log-config", *options])
    path = tmp_path / "logging.json"
    path.write_text(capsys.readouterr().out)
    return str(path)


class TestUnderUvicorn:
    def test_every_uvicorn_line_is_joblog_json(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Start-up and shutdown lines are JSON from uvicorn.error; no access line."""
        config = _write_config(tmp_path, capsys=capsys)

        events = [json.loads(line) for line in _serve(tmp_path, "--log-config", config)]

        messages = [e["message"] for e in events]
        assert any(m.startswith("Started server process") for m in messages)
        assert any(m.startswith("Finished server process") for m in messages)
        assert {"uvicorn.error"} == {e["logger"] for e in events}
        assert {"info"} == {e["level"] for e in events}

    def test_access_log_kept_on_request(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``--access-log`` keeps uvicorn's line per request, as JSON."""
        config = _write_config(tmp_path, "--access-log", capsys=capsys)

        events = [json.loads(line) for line in _serve(tmp_path, "--log-config", config)]

        access = [e for e in events if e["logger"] == "uvicorn.access"]
        assert 1 == len(access)
        assert '"GET / HTTP/1.1" 200' in access[0]["message"]


class TestTheDictionary:
    def test_levels(self) -> None:
        """The root and uvicorn at info; the access log at warnings unless asked for."""
        config = log_config()

        assert "INFO" == config["root"]["level"]
        assert "INFO" == config["loggers"]["uvicorn.error"]["level"]
        assert "WARNING" == config["loggers"]["uvicorn.access"]["level"]
        assert "INFO" == log_config(access_log=True)["loggers"]["uvicorn.access"]["level"]

    def test_the_example_file_is_what_the_command_prints(self) -> None:
        """examples/uvicorn-log-config.json, used by the docs, never drifts from the command."""
        example = Path(__file__).parent.parent / "examples" / "uvicorn-log-config.json"

        assert log_config() == json.loads(example.read_text())

    def test_an_unknown_option_is_a_usage_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The command's own usage is shown."""
        assert 2 == main(["log-config", "--level", "debug"])
        assert "usage: joblog log-config" in capsys.readouterr().err


def test_configure_after_a_formatter_dictconfig_writes_each_line_once() -> None:
    """The dictConfig recipe with JobJsonFormatter, then configure(): one line, not two."""
    recipe_stream, joblog_stream = io.StringIO(), io.StringIO()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"joblog": {"()": "joblog.JobJsonFormatter"}},
            "handlers": {
                "out": {
                    "class": "logging.StreamHandler",
                    "formatter": "joblog",
                    "stream": "ext://sys.stderr",
                }
            },
            "root": {"handlers": ["out"], "level": "INFO"},
        }
    )
    logging.getLogger().handlers[0].setStream(recipe_stream)  # type: ignore[attr-defined]
    joblog.configure(renderer="json", stream=joblog_stream)

    with joblog.bind_job(job_id="job-abc123"):
        logging.getLogger("app").info("once")
        joblog.get_logger("app").info("joblog's own")

    lines = recipe_stream.getvalue().splitlines() + joblog_stream.getvalue().splitlines()
    events = [json.loads(line) for line in lines]
    assert ["once"] == [
        e["message"] for e in events if e["logger"] == "app" and e["message"] == "once"
    ]
    assert all(e["job_id"] == "job-abc123" for e in events)
    assert "joblog's own" in joblog_stream.getvalue()
