"""The A4 poster of a project's feedback page: title, organisation, community, QR code and link.

Rendered by WeasyPrint with the Noto CJK fonts (see ``grants/letters.py``); the QR code is a segno
SVG embedded as a data URI. Always Chinese: it hangs on a notice board in the community.
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from grants.models.feedback import FeedbackChannel


def public_url(channel: FeedbackChannel) -> str:
    return settings.SITE_URL + reverse("grants:feedback_public", args=[channel.token])


def qr_svg(url: str, *, scale: int = 4) -> str:
    """An inline ``<svg>`` of the QR code (for HTML pages)."""
    return segno.make(url, error="m").svg_inline(scale=scale, title="QR")


def render_poster_pdf(channel: FeedbackChannel) -> bytes:
    from weasyprint import CSS, HTML  # heavy import, only when a poster is printed

    application = channel.application
    url = public_url(channel)
    qr = segno.make(url, error="m")
    with translation.override("zh-hans"):
        html = render_to_string(
            "grants/feedback/poster_pdf.html",
            {
                "application": application,
                "organisation": application.organisation,
                "communities": list(application.partner_communities.all()),
                "url": url,
                "qr_uri": qr.svg_data_uri(scale=10, border=2),
            },
        )
        css = render_to_string("grants/feedback/poster_pdf.css")
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=[CSS(string=css)]
    )
