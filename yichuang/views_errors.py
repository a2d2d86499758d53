"""The 500 page, in the language of the URL, rendered without the request context.

When something failed, the context processors and template tags that query (menu, settings,
inbox) may fail again, so the page is a plain template given only what it needs: the language
(``/en/…`` English, anything else the default Chinese) and the home page of that language.

A lost database connection (PostgreSQL restarting or failing over) is answered 503 with
``Retry-After``: the request was rolled back, nothing was saved, and trying again shortly works.
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponseServerError
from django.template import loader
from django.utils import translation

logger = logging.getLogger(__name__)

FALLBACK = "<!DOCTYPE html><title>Server error</title><h1>服务器错误 · Server error</h1><p><a href='/'>首页 · Home</a></p>"


def server_error(request: HttpRequest, template_name: str = "500.html"):
    language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    home_url = "/" if language == settings.LANGUAGE_CODE else f"/{language}/"
    try:
        with translation.override(language):
            html = loader.get_template(template_name).render({"home_url": home_url})
    except Exception:  # the error page must not fail: a bare page in both languages
        logger.exception("The 500 page could not be rendered")
        html = FALLBACK
    response = HttpResponseServerError(html)
    # Called while Django handles the exception, so it is still the current one.
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        response.status_code = 503
        response["Retry-After"] = "10"
    return response
