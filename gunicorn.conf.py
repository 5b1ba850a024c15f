"""gunicorn's settings for the gateway; gunicorn reads ./gunicorn.conf.py by itself when
started from the repository's root (devtools/stack.py names it too).

Each worker starts the gateway's background work (redelivery, the trainers' inbox
capture) as soon as it has loaded the app, not on its first request: a worker that
replaces a dead one answers the messages that wait even if nobody texts again.
Redelivery claims each message atomically, so any number of workers and gateway
processes can run it at once.

Metrics (server/api/metrics.py): with PROMETHEUS_MULTIPROC_DIR set, every worker
writes its measurements into that directory and /metrics adds them up, whichever worker
answers. The directory is emptied when gunicorn starts (old files would count twice), and
a worker that exits is marked dead so its gauges stop counting.
"""
import os
import shutil
from pathlib import Path

# gunicorn's control socket is one path per user by default (~/.gunicorn/gunicorn.ctl), which
# every gateway of that user on the machine would share; the gateway is run by signals and its
# process manager, so it opens none.
control_socket_disable = True


def on_starting(server) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def post_worker_init(worker) -> None:
    from server import start_background_work

    start_background_work(worker.wsgi)  # the Flask app create_app() built in this worker


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
