"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py`.

Each setting can be changed with an environment variable, documented in README.md (Deploy).
"""

import multiprocessing
import os

wsgi_app = "shop:create_app()"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# The shop mostly waits on VdM: a few processes with several threads each use little memory
# and keep the CPU busy. Twice the cores by default, never fewer than two.
workers = int(os.environ.get("GUNICORN_WORKERS", max(2, 2 * multiprocessing.cpu_count())))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 8))

# A request waits on VdM at most a connect plus a read time-out (about 13 s by default);
# a worker silent for longer than this is stuck and is replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5

# The head of a request: the shop's longest URL (a programme search with every filter) is far
# below 2048 bytes; a browser sends about 15 headers and the proxy adds a few; one header (the
# session cookie) stays under 4 KB. Longer or more is refused with 400 before the shop sees it.
# Bodies are bounded by the shop itself (SHOP_MAX_BODY_BYTES). gunicorn has no time limit on
# reading a request's head, so slow clients are the reverse proxy's to hold off (see Deploy).
limit_request_line = 2048
limit_request_fields = 50
limit_request_field_size = 8190

# Recycle workers now and then, so a slow leak can never grow without bound.
max_requests = 5000
max_requests_jitter = 500

# The shop writes its own one-line JSON log per request (with the time spent waiting on VdM);
# gunicorn's access log is off unless asked for.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# gunicorn's control socket has one default path for every gunicorn on the host (several shops,
# the tests, the benchmark): one instance's socket would reach another. The shop does not use it.
control_socket_disable = True
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def _trust_proxy() -> bool:
    try:
        return float(os.environ.get("SHOP_TRUST_PROXY", "").strip() or 0) > 0
    except ValueError:
        return False  # the shop itself refuses to start with this value, and says why


# Whose X-Forwarded-Proto (and -Ssl) gunicorn believes, making a request https: HSTS, https
# redirects and Flask-WTF's strict Referer check follow from it. Nobody's unless the shop is told
# it is behind a proxy (SHOP_TRUST_PROXY, whose ProxyFix then also reads the headers), or
# GUNICORN_FORWARDED_ALLOW_IPS names the proxy. gunicorn's own default trusts any local client.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS") or ("127.0.0.1,::1" if _trust_proxy() else "")
