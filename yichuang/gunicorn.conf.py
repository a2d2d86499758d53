"""Gunicorn settings for the production profile (`make serve`, `make bench`, docs/deploy.md).

Every value comes from the environment so that one file serves a laptop, a benchmark and a fleet of
app servers behind a load balancer.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND") or (
    f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)
# Processes, not threads, carry the load: Django renders pages in Python and the GIL lets one
# thread of a process run at a time. 2 × cores + 1 keeps the cores busy while others wait on
# PostgreSQL.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
# gthread with a couple of threads: keep-alive connections from a load balancer, and a slow client
# or a long Excel export does not hold a whole process (measured against sync in bench/README.md).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
keepalive = 5
# An Excel export of a big call takes seconds; anything past this is a bug, not work.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
# Recycle a worker now and then (a slow leak cannot grow for ever), but rarely: a restart costs the
# other workers a second of CPU while Django boots again.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# The load balancer (or nginx) in front sets X-Forwarded-For/-Proto: trust it only from there.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Access log to stdout only when asked (the load balancer usually keeps one); errors always.
accesslog = (
    "-" if os.environ.get("GUNICORN_ACCESS_LOG", "").lower() in ("1", "true", "yes") else None
)
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "yichuang"
# gunicorn's control socket defaults to one path per user: two servers on one machine (a test, a
# benchmark) would fight over it. Nothing here uses it.
control_socket_disable = True
