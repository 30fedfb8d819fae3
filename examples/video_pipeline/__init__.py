"""
The reference pipeline: a video-generation service that exercises all of joblog.

A small Starlette service in the shape of the logging architecture: an
authenticated ``POST /api/v1/generate`` creates a job and answers 202, the job
runs fully asynchronously (script, parallel scenes with polling, audio,
composition, upload), ``GET /api/v1/jobs/{job_id}`` reports its status, and
``GET /health`` answers the load balancer. See ``docs/example.md``.
"""
