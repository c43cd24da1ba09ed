"""Celery app for scripts/bench/dispatch.ts: one no-op task, Redis as broker
and result backend (the design mdswarm replaces). The broker URL comes from
MDSWARM_BENCH_REDIS_URL (redis://127.0.0.1:PORT)."""
import os

from celery import Celery

REDIS_URL = os.environ.get("MDSWARM_BENCH_REDIS_URL", "redis://127.0.0.1:6379")

app = Celery("bench_tasks", broker=f"{REDIS_URL}/0", backend=f"{REDIS_URL}/1")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)


@app.task(name="bench.noop")
def noop(i):
    """The tiny unit of work: returns its argument."""
    return i
