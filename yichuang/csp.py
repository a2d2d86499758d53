"""Content Security Policy: one strict policy for the whole site, two scoped exceptions.

The strict policy (``CONTENT_SECURITY_POLICY`` in settings) allows scripts, styles and frames only
from our own origin, so an injected ``<script>``, ``style=""`` or ``onerror=`` does nothing. Two
places need more, and get it only where they are served:

- the Stripe payment page (view ``grants:donations_pay``) loads Stripe.js and its card frames from
  Stripe's origins (``CSP_STRIPE_SOURCES``);
- the Wagtail admin (``/admin/``) uses inline styles and scripts of its own and its rich-text
  editor, so it gets ``CSP_ADMIN_POLICY``. Only signed-in staff reach it, and its pages show our
  editors' content, never a member of the public's.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import default_config
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


class ScopedCSPMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        if parts.config is None and request.path_info.startswith(settings.CSP_ADMIN_PREFIXES):
            parts.config = default_config(settings.CSP_ADMIN_POLICY)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.view_name in settings.CSP_STRIPE_VIEWS:
            parts.replace = _with_sources(parts, settings.CSP_STRIPE_SOURCES)
        return parts


def _with_sources(parts: PolicyParts, extra: dict[str, list[str]]) -> dict[str, list[str]]:
    """The replacements that add ``extra`` to the policy in force. A directive that was 'none'
    loses it (browsers ignore 'none' beside other sources, and say so in the console); one that
    was absent starts from default-src, which it used to inherit."""
    config = parts.config or default_config(settings.CONTENT_SECURITY_POLICY["DIRECTIVES"])
    replace = dict(parts.replace or {})
    for name, sources in extra.items():
        current = replace.get(name) or config.get(name) or config["default-src"]
        replace[name] = [source for source in current if source != "'none'"] + list(sources)
    return replace
