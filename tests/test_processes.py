"""joblog.context_env and joblog.processes.carry with real child processes and process pools."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import joblog
import joblog.processes
from joblog.context import get_fields
from joblog.testing import capture_logs

CHILD = textwrap.dedent(
    """
    import logging, joblog
    joblog.configure(renderer="json")
    logging.getLogger("ffmpeg.wrapper").info("Encoding")
    joblog.get_logger("child").info("Encoded", frames=24)
    """
)


def run_child(env: dict[str, str]) -> list[dict[str, Any]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("JOBLOG_")}
    result = subprocess.run(
        [sys.executable, "-c", CHILD],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "" == result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


class TestContextEnv:
    def test_a_subprocess_continues_the_job(self) -> None:
        """The child's stdlib and joblog lines carry the parent's job id and fields."""
        with joblog.bind_job(user_id="user-7", scene=2) as job_id:
            env = joblog.context_env()
        assert job_id == env["JOBLOG_JOB_ID"]
        lines = run_child(env)
        assert ["Encoding", "Encoded"] == [e["message"] for e in lines]
        for line in lines:
            assert (job_id, "user-7", 2) == (line["job_id"], line["user_id"], line["scene"])

    def test_nothing_bound_gives_nothing(self) -> None:
        """Outside a binding there is nothing to carry; other values become text."""
        assert {} == joblog.context_env()
        with joblog.bind(when=Path("/tmp/x"), n=None):
            env = joblog.context_env()
        assert {"JOBLOG_CONTEXT": '{"when":"/tmp/x","n":null}'} == env

    def test_a_shell_set_job_id_is_enough(self) -> None:
        """``JOBLOG_JOB_ID`` alone (a shell script's export) is bound too."""
        lines = run_child({"JOBLOG_JOB_ID": "job-from-shell"})
        assert all(e["job_id"] == "job-from-shell" for e in lines)

    @pytest.mark.parametrize(
        "env",
        [
            {"JOBLOG_CONTEXT": "not json"},
            {"JOBLOG_CONTEXT": "[1, 2]"},
            {"JOBLOG_JOB_ID": "bad\x01id"},
            {"JOBLOG_CONTEXT": '{"job_id": 7}'},
        ],
    )
    def test_a_bad_value_is_reported_and_ignored(self, env: dict[str, str]) -> None:
        """One warning line says why; the child goes on, unbound."""
        lines = run_child(env)
        assert "Ignored the inherited job context" == lines[0]["message"]
        assert "warning" == lines[0]["level"]
        assert ["Encoding", "Encoded"] == [e["message"] for e in lines[1:]]
        assert all("job_id" not in e for e in lines)


def test_bind_from_env_binds_once(
    monkeypatch: pytest.MonkeyPatch, configured: Callable[..., Any]
) -> None:
    """In-process: the first call binds for the rest of the context; later calls do nothing."""
    configured()
    monkeypatch.setattr(joblog.processes, "_bound_from_env", False)

    def check() -> dict[str, Any]:
        joblog.processes.bind_from_env({"JOBLOG_CONTEXT": '{"scene": 1}'})
        joblog.processes.bind_from_env({"JOBLOG_CONTEXT": '{"scene": 2}'})
        return dict(get_fields())

    import contextvars

    assert {"scene": 1} == contextvars.copy_context().run(check)
    monkeypatch.setattr(joblog.processes, "_bound_from_env", False)
    assert {} == contextvars.copy_context().run(
        lambda: (joblog.processes.bind_from_env({}), dict(get_fields()))[1]
    )
    monkeypatch.setattr(joblog.processes, "_bound_from_env", False)
    with capture_logs() as logs:
        contextvars.copy_context().run(joblog.processes.bind_from_env, {"JOBLOG_CONTEXT": "{"})
    assert "Ignored the inherited job context" == logs[0]["message"]
    monkeypatch.setattr(joblog.processes, "_bound_from_env", False)
    monkeypatch.setenv("JOBLOG_JOB_ID", "job-env")
    assert "job-env" == contextvars.copy_context().run(
        lambda: (joblog.processes.bind_from_env(), joblog.current_job_id())[1]
    )


def _configure_into(path: str) -> None:
    joblog.configure(renderer="json", stream=open(path, "a"))  # noqa: SIM115  lives with the worker


def encode(scene: int) -> dict[str, Any]:
    joblog.get_logger("encoder").info("Encoded scene", scene_number=scene)
    return dict(get_fields())


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_a_process_pool_runs_carried_work_bound(method: str, tmp_path: Path) -> None:
    """Each submitted call binds the caller's fields in the worker; the pool's lines carry them."""
    out = tmp_path / "pool.jsonl"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(
        1, mp_context=context, initializer=_configure_into, initargs=(str(out),)
    ) as pool:
        with joblog.bind_job(user_id="user-7") as job_id:
            first = pool.submit(joblog.processes.carry(encode), 1).result(timeout=60)
        with joblog.bind_job() as other:
            second = pool.submit(joblog.processes.carry(encode), 2).result(timeout=60)
        bare = pool.submit(joblog.processes.carry(encode), 3).result(timeout=60)
    assert {"job_id": job_id, "user_id": "user-7"} == first
    assert {"job_id": other} == second
    assert {} == bare
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [job_id, other, None] == [e.get("job_id") for e in lines]


def test_carry_in_process(configured: Callable[..., Any]) -> None:
    """The wrapper binds around the call and restores afterwards."""
    configured()
    with joblog.bind(scene=4):
        wrapped = joblog.processes.carry(encode)
    assert {"scene": 4} == wrapped(4)
    assert {} == dict(get_fields())
