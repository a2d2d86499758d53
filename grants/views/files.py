"""Private files: served only by Django, after the same permission check as the application.

Attachments live in the private storage (never under MEDIA_URL). Someone who may not see the
application gets a 404, exactly as if the file did not exist.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.cache import never_cache

from grants.models import Attachment


@never_cache
@login_required
def attachment_download(request, pk: int):
    attachment = Attachment.objects.select_related("application").filter(pk=pk).first()
    if attachment is None or not request.user.has_perm(
        "grants.view_application", attachment.application
    ):
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,  # never rendered inline: an uploaded file cannot run in our origin
        filename=attachment.original_name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
