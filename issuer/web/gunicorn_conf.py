"""Gunicorn's settings for production:
`gunicorn -c python:issuer.web.gunicorn_conf 'issuer.web:create_app()'`.

Threaded workers: a request waiting on a slow remote host (a verification may wait up to ten
seconds in all) holds one thread, not a whole process, and the verifier's slots
(`SKY_VERIFY_SLOTS`, issuer/web/capacity.py) leave the other threads to the pages. Processes give
the parallelism (the signature work is Python, one core each). `WEB_CONCURRENCY` sets the number
of processes, and `GUNICORN_CMD_ARGS` or command-line options override anything here.
"""

import os

bind = os.environ.get("SKY_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1))
threads = 8
# A verification is bounded to about ten seconds of network time; nothing else comes near.
timeout = 60
graceful_timeout = 30
keepalive = 5
# Requests a worker serves before it is replaced: bounds what a slow leak could grow to.
max_requests = 5000
max_requests_jitter = 500
