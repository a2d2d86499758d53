"""The volunteer-service certificate (志愿服务证明) as a PDF, rendered by WeasyPrint.

The text is Chinese whatever the interface language: the certificate is an official paper for
Chinese volunteer platforms and employers. The fonts are the Noto CJK fonts the system packages
install (``fonts-noto-cjk``); WeasyPrint finds them through fontconfig.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.template.loader import render_to_string
from django.utils import timezone, translation

from incubator.models import HoursRecord, VolunteerCertificate
from incubator.selectors_volunteers import VolunteerContact


def render_certificate_pdf(
    certificate: VolunteerCertificate,
    *,
    contact: VolunteerContact,
    rows: Iterable[HoursRecord],
) -> bytes:
    from weasyprint import CSS, HTML  # heavy import, only when a certificate is made

    with translation.override("zh-hans"):
        context = {
            "certificate": certificate,
            "contact": contact,
            "rows": list(rows),
            "organisation": certificate.organisation,
            "issued_on": timezone.localtime(certificate.issued_at).date(),
        }
        html = render_to_string("incubator/volunteering/certificate_pdf.html", context)
        css = render_to_string("incubator/volunteering/certificate_pdf.css")
    return HTML(string=html).write_pdf(stylesheets=[CSS(string=css)])
