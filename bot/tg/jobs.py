"""Named JobQueue jobs, as PTB's timerbot example keeps them: found and replaced by name."""

from __future__ import annotations

from typing import Any

from telegram.ext import JobQueue


def remove_jobs(job_queue: JobQueue[Any] | None, name: str) -> None:
    """Remove the jobs named ``name``: before one is put back under that name (a schedule
    changed, a reminder moved), or once what they would do is gone."""
    if job_queue is None:
        return
    for job in job_queue.get_jobs_by_name(name):
        job.schedule_removal()
