from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

# Private and machine areas: nothing there for a search engine, and crawling them only costs us.
DISALLOWED = [
    "/admin/",
    "/django-admin/",
    "/me/",
    "/workspace/",
    "/accounts/",
    "/api/",
    "/i18n/",
    "/gongshi/objections/",  # an objector's own page, addressed by a token
]


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", "Allow: /"]
    lines += [f"Disallow: {path}" for path in DISALLOWED]
    lines.append(f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
