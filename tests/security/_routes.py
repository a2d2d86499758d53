"""Every route of the project, as Django's URL resolver spells it, for the security tests."""

from __future__ import annotations

from django.urls import URLResolver, get_resolver

# Own permission systems, hundreds of routes: only their roots are walked.
ROOT_ONLY = ("admin/", "django-admin/")


def project_routes() -> dict[str, str | None]:
    """{route: URL name (with namespaces) or None} for every pattern, prefixes joined."""
    found: dict[str, str | None] = {}

    def walk(resolver, prefix: str, namespace: list[str]):
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route.startswith(ROOT_ONLY):
                    found[route] = None
                    continue
                walk(pattern, route, namespace + ([pattern.namespace] if pattern.namespace else []))
            else:
                found[route] = ":".join([*namespace, pattern.name]) if pattern.name else None

    walk(get_resolver(), "", [])
    return found
