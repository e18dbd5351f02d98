"""gunicorn settings for production-like serving (``make serve``; ``gunicorn -c gunicorn.conf.py``).

Stateless workers: sessions and the public-data version live in the database, the page cache in
Redis (``CACHE_URL``), so any number of these processes can run behind a load balancer.

Workers: the app is I/O-bound on the database, so the usual ``2 × cores + 1`` sync workers
is the starting point: 5 on a 2-core machine (the figure ``make loadtest`` is measured with).
Override with ``WEB_CONCURRENCY``.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 60  # a report PDF can take seconds; anything longer is a fault
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then, against slow leaks
max_requests_jitter = 200
accesslog = os.environ.get("ACCESS_LOG", "-") or None  # "-": stdout; a path; empty: none (the proxy logs)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
