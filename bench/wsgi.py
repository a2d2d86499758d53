"""The production WSGI application plus an ``X-Query-Count`` response header, for `make bench`.

Only the benchmark serves this module (``WSGI_APP=bench.wsgi:application`` for ``bin/serve``); the
site itself runs ``yichuang.wsgi``. Counting wraps the request's own database connection
(``execute_wrapper``), so it costs a function call per query and needs no DEBUG.
"""

from __future__ import annotations

from django.db import connection

from yichuang.wsgi import application as django_application


def application(environ, start_response):
    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    def counted_start_response(status, headers, exc_info=None):
        # Django calls this once the view has run, so the count is complete (streaming aside).
        return start_response(status, [*headers, ("X-Query-Count", str(count))], exc_info)

    with connection.execute_wrapper(counter):
        return django_application(environ, counted_start_response)
