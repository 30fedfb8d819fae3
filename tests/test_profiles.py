"""joblog.profiles: each backend's field layout, service fields, and the way back.

The golden files in tests/golden/ hold what each profile writes for the
same events (replacement lines included), rendered by joblog's own JSON
renderer; their field names were checked against each vendor's
documentation (see docs/profiles.md).  Set JOBLOG_UPDATE_GOLDEN=1 to
rewrite them after a deliberate change, then review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import joblog
from joblog import profiles
from joblog.profiles import ServiceFields, layout, normalize, service_fields
from joblog.render import dumps

GOLDEN = Path(__file__).parent / "golden"
SERVICE = ServiceFields("video-api", "production", "1.4.2")
TRACE = {
    "trace_id": "0af7651916cd43dd8448eb211c80319c",
    "span_id": "b7ad6b7169203331",
    "trace_flags": "01",
}


def events() -> list[dict[str, Any]]:
    """joblog events as the pipeline has them after redaction (fresh copies each call)."""
    raw: list[dict[str, Any]] = [
        {
            "timestamp": "2026-11-23T10:15:30.123Z",
            "level": "info",
            "message": "Starting fully async generation",
            "logger": "app.generate",
            "job_id": "job-0b5c1d2e",
            "user_id": "user-xyz",
            "scene_count": 2,
        },
        {
            "timestamp": "2026-11-23T10:15:31.456Z",
            "level": "debug",
            "message": "Kling still processing",
            "logger": "app.kling",
            "job_id": "job-0b5c1d2e",
            "scene": 1,
            "attempt": 12,
            "suppressed": 11,
            **TRACE,
            "pathname": "app/kling.py",
            "lineno": 142,
            "func_name": "poll",
        },
        {
            "timestamp": "2026-11-23T10:15:32.789Z",
            "level": "error",
            "message": "compose failed",
            "logger": "app.compose",
            "job_id": "job-0b5c1d2e",
            "stage": "compose",
            "elapsed_ms": 812.5,
            "error_type": "CalledProcessError",
            "error_message": "Command 'ffmpeg' returned non-zero exit status 1.",
            "exception": "Traceback (most recent call last):\n"
            '  File "app/compose.py", line 9, in run\n'
            "subprocess.CalledProcessError: Command 'ffmpeg' returned non-zero exit status 1.",
            **TRACE,
        },
        {
            "timestamp": "2026-11-23T10:15:33.000Z",
            "level": "warning",
            "message": "Job cancelled",
            "logger": "joblog",
            "job_id": "job-0b5c1d2e",
            # Field names that are reserved by some profile stay, under fields.<name>.
            "status": "cancelled",
            "severity": "user-set",
            "log.level": "user-set",
            "ecs.version": "user-set",
            "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
            "span_id": "00f067aa0ba902b7",
            "trace_flags": "00",
            "stack": 'Stack (most recent call last):\n  File "app.py", line 3, in <module>',
        },
        # A replacement line, written when a processor or rendering failed.
        {
            "timestamp": "2026-11-23T10:15:34.000Z",
            "level": "error",
            "message": "joblog: a processor raised; the event was dropped",
            "logger": "joblog",
            "job_id": "job-0b5c1d2e",
            "error_type": "KeyError",
        },
        {
            "timestamp": "2026-11-23T10:15:35.000Z",
            "level": "critical",
            "message": "Out of memory",
            "logger": "app",
        },
    ]
    return [dict(joblog.redact_secrets(None, e["level"], e)) for e in raw]


def rendered(profile: str) -> str:
    lay = layout(profile, service=SERVICE, gcp_project="my-project")
    return "".join(dumps(lay(event)) for event in events())


@pytest.mark.parametrize("profile", profiles.PROFILES)
def test_golden(profile: str) -> None:
    """Each profile writes exactly its golden file for the same events."""
    path = GOLDEN / f"{profile}.jsonl"
    text = rendered(profile)
    if os.environ.get("JOBLOG_UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.read_text() == text


@pytest.mark.parametrize("profile", profiles.PROFILES)
def test_golden_reads_back(profile: str) -> None:
    """normalize() turns every golden line back into the joblog layout of its event."""
    expected = [layout("joblog", service=SERVICE)(e) for e in events()]
    lines = (GOLDEN / f"{profile}.jsonl").read_text().splitlines()
    assert expected == [normalize(json.loads(line)) for line in lines]


class TestFieldNames:
    """The vendor field names, one assertion per documented field."""

    def test_ecs(self) -> None:
        """ECS: @timestamp, log.level, message first; error.*, trace.id, span.id, service.*."""
        out = layout("ecs", service=SERVICE)(events()[2])
        assert ["@timestamp", "log.level", "message"] == list(out)[:3]
        assert {
            "ecs.version": profiles.ECS_VERSION,
            "log.logger": "app.compose",
            "error.type": "CalledProcessError",
            "error.message": "Command 'ffmpeg' returned non-zero exit status 1.",
            "trace.id": TRACE["trace_id"],
            "span.id": TRACE["span_id"],
            "service.name": "video-api",
            "service.environment": "production",
            "service.version": "1.4.2",
            "event.dataset": "video-api",
        }.items() <= out.items()
        assert out["error.stack_trace"].startswith("Traceback")
        assert not {"timestamp", "level", "logger", "error_type", "exception"} & set(out)

    def test_gcp(self) -> None:
        """GCP: severity upper case, time, the trace resource name, spanId, trace_sampled."""
        out = layout("gcp", service=SERVICE, gcp_project="my-project")(events()[1])
        assert {
            "time": "2026-11-23T10:15:31.456Z",
            "severity": "DEBUG",
            "message": "Kling still processing",
            "logging.googleapis.com/trace": f"projects/my-project/traces/{TRACE['trace_id']}",
            "logging.googleapis.com/spanId": TRACE["span_id"],
            "logging.googleapis.com/trace_sampled": True,
            "logging.googleapis.com/sourceLocation": {
                "file": "app/kling.py",
                "line": "142",
                "function": "poll",
            },
            "serviceContext": {"service": "video-api", "version": "1.4.2"},
            "environment": "production",
        }.items() <= out.items()
        assert [
            "DEBUG",
            "INFO",
            "WARNING",
            "ERROR",
            "CRITICAL",
        ] == [
            layout("gcp")({"level": level})["severity"]
            for level in ("debug", "info", "warning", "error", "critical")
        ]
        assert "DEFAULT" == layout("gcp")({"level": None})["severity"]
        assert "DEFAULT" == layout("gcp")({"level": "loud"})["severity"]

    def test_datadog(self) -> None:
        """Datadog: status, logger.name, error.*, dd.* with the 64-bit decimal ids."""
        out = layout("datadog", service=SERVICE)(events()[2])
        assert {
            "status": "error",
            "logger.name": "app.compose",
            "error.kind": "CalledProcessError",
            "error.message": "Command 'ffmpeg' returned non-zero exit status 1.",
            # Datadog's docs: str(trace_id & 0xFFFFFFFFFFFFFFFF) and str(span_id).
            "dd.trace_id": str(int(TRACE["trace_id"], 16) & 0xFFFFFFFFFFFFFFFF),
            "dd.span_id": str(int(TRACE["span_id"], 16)),
            "dd.service": "video-api",
            "dd.env": "production",
            "dd.version": "1.4.2",
            **TRACE,
        }.items() <= out.items()
        assert "9532127138774266268" == out["dd.trace_id"]
        assert out["error.stack"].startswith("Traceback")

    def test_reserved_names_are_kept_aside(self) -> None:
        """A field named like a profile's own key never replaces it."""
        event = events()[3]
        assert {"status": "warning", "fields.status": "cancelled"}.items() <= (
            layout("datadog")(dict(event)).items()
        )
        assert {"severity": "WARNING", "fields.severity": "user-set"}.items() <= (
            layout("gcp")(dict(event)).items()
        )
        assert {"log.level": "warning", "fields.log.level": "user-set"}.items() <= (
            layout("ecs")(dict(event)).items()
        )

    def test_a_taken_fields_name_is_not_lost(self) -> None:
        """With fields.status taken already, status goes one level further aside."""
        out = layout("datadog")({"level": "info", "status": "a", "fields.status": "b"})
        assert ("b", "a") == (out["fields.status"], out["fields.fields.status"])

    def test_joblog_layout(self) -> None:
        """joblog's layout is the event itself, with the service fields it lacks."""
        event = events()[0]
        assert event is layout("joblog")(event)
        with_service = layout("JOBLOG", service=SERVICE)({**event, "version": "mine"})
        assert ("video-api", "production", "mine") == (
            with_service["service"],
            with_service["environment"],
            with_service["version"],
        )

    def test_without_service_or_project(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """No service fields are written when none are set; the bare trace id without a project."""
        monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
        event = events()[2]
        gcp = layout("gcp")(dict(event))
        assert TRACE["trace_id"] == gcp["logging.googleapis.com/trace"]
        assert "serviceContext" not in gcp
        assert "environment" not in gcp
        assert not [k for k in layout("ecs")(dict(event)) if k.startswith("service.")]
        assert not [k for k in layout("datadog")(dict(event)) if k.startswith("dd.service")]
        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "from-env")
        assert (
            "projects/from-env/traces/"
            in layout("gcp")(dict(event))["logging.googleapis.com/trace"]
        )

    def test_malformed_trace_context(self) -> None:
        """Trace fields that are not hex are passed on, never turned into Datadog ids."""
        out = layout("datadog")({"level": "info", "trace_id": "xyz", "span_id": 5})
        assert "dd.trace_id" not in out
        assert "dd.span_id" not in out
        gcp = layout("gcp")({"level": "info", "trace_flags": "zz"})
        assert "logging.googleapis.com/trace_sampled" not in gcp
        assert "logging.googleapis.com/trace_sampled" not in layout("gcp")({"trace_flags": 1})

    def test_partial_callsite(self) -> None:
        """Only the call-site fields present are moved."""
        ecs = layout("ecs")({"level": "info", "lineno": 3})
        assert 3 == ecs["log.origin.file.line"]
        assert "log.origin.file.name" not in ecs
        gcp = layout("gcp")({"level": "info", "func_name": "f"})
        assert {"function": "f"} == gcp["logging.googleapis.com/sourceLocation"]


class TestLayoutConfiguration:
    def test_unknown_schema(self) -> None:
        """An unknown profile name is a ValueError naming it and the choices."""
        with pytest.raises(ValueError, match=r"unknown schema 'splunk': expected one of 'joblog'"):
            layout("splunk")
        with pytest.raises(ValueError, match="unknown schema 3"):
            layout(3)  # type: ignore[arg-type]

    def test_bad_gcp_project(self) -> None:
        """A project id with a line break is refused."""
        with pytest.raises(ValueError, match="gcp_project must be"):
            layout("gcp", gcp_project="a\nb")


class TestServiceFields:
    def test_arguments_win(self) -> None:
        """Arguments beat every environment variable."""
        env = {"OTEL_SERVICE_NAME": "otel", "DD_SERVICE": "dd", "DD_ENV": "e", "DD_VERSION": "v"}
        assert ServiceFields("api", "prod", "1") == service_fields("api", "prod", "1", environ=env)

    def test_opentelemetry_then_datadog(self) -> None:
        """OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then DD_*."""
        env = {
            "OTEL_SERVICE_NAME": "from-otel",
            "OTEL_RESOURCE_ATTRIBUTES": (
                "service.name=from-resource, deployment.environment=old,"
                "deployment.environment.name=stag%20ing,,service.version=2.0"
            ),
            "DD_SERVICE": "dd",
            "DD_ENV": "dd-env",
            "DD_VERSION": "dd-v",
        }
        assert ServiceFields("from-otel", "stag ing", "2.0") == service_fields(environ=env)
        del env["OTEL_SERVICE_NAME"]
        assert "from-resource" == service_fields(environ=env).name
        env["OTEL_RESOURCE_ATTRIBUTES"] = "deployment.environment=old"
        assert ServiceFields("dd", "old", "dd-v") == service_fields(environ=env)
        assert ServiceFields("dd", "dd-env", "dd-v") == service_fields(
            environ={"DD_SERVICE": "dd", "DD_ENV": "dd-env", "DD_VERSION": "dd-v"}
        )

    def test_os_environ_by_default(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without environ=, the process environment is read."""
        for name in ("OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "DD_ENV", "DD_VERSION"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("DD_SERVICE", "checkout")
        assert ServiceFields("checkout") == service_fields()
        assert ServiceFields("checkout")
        assert not ServiceFields()

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"service": ""}, "service must be a non-empty string"),
            ({"environment": "a\nb"}, "environment must be"),
            ({"version": 3}, "version must be"),
            ({"environ": {"DD_SERVICE": "x" * 300}}, "DD_SERVICE must be"),
            (
                {"environ": {"OTEL_RESOURCE_ATTRIBUTES": "service.name"}},
                "OTEL_RESOURCE_ATTRIBUTES has an entry that is not key=value: 'service.name'",
            ),
            ({"environ": {"OTEL_RESOURCE_ATTRIBUTES": "=x"}}, "not key=value: '=x'"),
        ],
    )
    def test_bad_values(self, kwargs: dict[str, Any], message: str) -> None:
        """A bad value, from an argument or the environment, is a ValueError naming it."""
        with pytest.raises(ValueError, match=message):
            service_fields(**kwargs)


class TestNormalize:
    def test_joblog_lines_pass_through(self) -> None:
        """A joblog line is returned as it is, and so is an unrecognized object."""
        line = {"timestamp": "t", "level": "info", "message": "m"}
        assert line is normalize(line)
        other = {"msg": "hello"}
        assert other is normalize(other)

    def test_other_ecs_loggers(self) -> None:
        """Nested ECS (as ecs-logging-python writes it) and other level spellings."""
        line = {
            "@timestamp": "2026-11-23T10:15:30.123Z",
            "log": {"level": "WARN", "logger": "svc", "origin": {"function": "f"}},
            "message": "m",
            "error": {"type": "E", "message": "boom", "stack_trace": "tb"},
            "service": {"name": "api"},
            "event.dataset": "api.log",
        }
        out = normalize(line)
        assert {
            "timestamp": "2026-11-23T10:15:30.123Z",
            "level": "warning",
            "message": "m",
            "logger": "svc",
            "error_type": "E",
            "error_message": "boom",
            "exception": "tb",
            "func_name": "f",
            "event.dataset": "api.log",
        }.items() <= out.items()
        assert "warning" == normalize({"log.level": "Warn"})["level"]
        assert "notalevel" == normalize({"log.level": "NotALevel"})["level"]
        assert 5 == normalize({"@timestamp": "t", "log.level": 5})["level"]

    def test_other_gcp_loggers(self) -> None:
        """GCP's other time forms, every LogSeverity, a bare trace id."""
        out = normalize(
            {
                "severity": "NOTICE",
                "timestamp": {"seconds": 1795428930, "nanos": 123000000},
                "message": "m",
                "logging.googleapis.com/trace": "abc",
                "logging.googleapis.com/sourceLocation": {"line": 7},
            }
        )
        assert {
            "timestamp": "2026-11-23T10:15:30.123Z",
            "level": "info",
            "trace_id": "abc",
            "lineno": 7,
        }.items() <= out.items()
        assert (
            "2026-11-23T10:15:30.000Z"
            == (normalize({"severity": "INFO", "timestamp": {"seconds": 1795428930}})["timestamp"])
        )
        assert "x" == normalize({"severity": "INFO", "timestamp": "x"})["timestamp"]
        assert (
            "2026" == normalize({"severity": "INFO", "time": "2026", "timestamp": 1})["timestamp"]
        )
        assert ["info", "critical", "critical", "info", "odd", 3] == [
            normalize({"severity": s}).get("level")
            for s in ("DEFAULT", "ALERT", "EMERGENCY", "NOTICE", "Odd", 3)
        ]
        assert (
            "00"
            == normalize({"severity": "INFO", "logging.googleapis.com/trace_sampled": False})[
                "trace_flags"
            ]
        )

    def test_other_datadog_loggers(self) -> None:
        """dd.* ids without the OpenTelemetry ones: the span id comes back as hex."""
        out = normalize({"status": "warn", "dd.trace_id": "123", "dd.span_id": "255"})
        assert {"level": "warning", "dd.trace_id": "123", "span_id": "00000000000000ff"} == out
        assert "00000000000000ff" == normalize({"status": "info", "dd.span_id": 255})["span_id"]
        assert "nope" == normalize({"status": "info", "dd.span_id": "nope"})["span_id"]
        assert "1" * 30 == normalize({"status": "info", "dd.span_id": "1" * 30})["span_id"]

    @given(
        st.dictionaries(
            st.sampled_from(
                [
                    "job_id",
                    "status",
                    "severity",
                    "time",
                    "@timestamp",
                    "log.level",
                    "ecs.version",
                    "logger.name",
                    "dd.trace_id",
                    "serviceContext",
                    "event.dataset",
                    "stack",
                    "pathname",
                    "lineno",
                    "func_name",
                ]
            )
            | st.text(alphabet="abcdefgh_", min_size=1, max_size=6),
            st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=5),
            max_size=8,
        ),
        st.sampled_from(["debug", "info", "warning", "error", "critical"]),
        st.booleans(),
        st.booleans(),
    )
    def test_round_trip(
        self, fields: dict[str, Any], level: str, traced: bool, with_service: bool
    ) -> None:
        """For any event, normalize(profile(event)) is the event in joblog's layout."""
        # GCP writes the line number as text (protobuf's JSON for int64) and
        # reads digits back as a number: a line number given as digit text
        # comes back as an int, by design.
        line = fields.get("lineno")
        assume(
            not (
                isinstance(line, str)
                and line.removeprefix("-").isascii()
                and line.removeprefix("-").isdigit()
            )
        )
        event = {
            "timestamp": "2026-11-23T10:15:30.123Z",
            "level": level,
            "message": "m",
            "logger": "app",
            **fields,
            **(TRACE if traced else {}),
        }
        service = SERVICE if with_service else None
        expected = layout("joblog", service=service)(dict(event))
        for profile in ("ecs", "gcp", "datadog"):
            written = json.loads(
                dumps(layout(profile, service=service, gcp_project="p")(dict(event)))
            )
            assert profile == profiles.detect(written)
            assert expected == normalize(written), profile
