"""``/healthz/``: a trivial view for load balancers and the benchmark floor.

It touches the database with one cheap query, so a balancer takes an app server whose database is
gone out of rotation, and it is what `make bench` measures as the cost of a request that does
nothing (middleware, session-less, one query).
"""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "take me out of rotation"
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
