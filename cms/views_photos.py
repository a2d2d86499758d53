"""Photos of funded projects on the public site, from their accepted reports (issue #8).

Report evidence lives in private storage and has no URL. This view serves one piece of evidence
only when ``cms.selectors_projects.public_photo`` allows it (a JPEG/PNG *photo* of an ACCEPTED report
of a public project) and never the stored file itself: it decodes the picture, turns it upright,
scales it down and re-encodes it as a JPEG. Re-encoding drops the EXIF block (GPS position, camera
owner) and anything appended to the file. The result is cached by the evidence's hash.
"""

from __future__ import annotations

import io
import logging

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import http_date
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from cms.selectors_projects import public_photo

logger = logging.getLogger(__name__)

# The longest side in pixels of each size the pages use.
SIZES = {"small": 480, "large": 1200}
JPEG_QUALITY = 82
CACHE_SECONDS = 60 * 60 * 24 * 7
# A photo bigger than this (in pixels) is refused rather than decoded: a decompression bomb.
MAX_PIXELS = 40_000_000


def resized_jpeg(data: bytes, longest_side: int) -> bytes:
    """The picture upright, no larger than ``longest_side``, as a JPEG without metadata."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        if image.width * image.height > MAX_PIXELS:
            raise ValueError("image too large")
        image = ImageOps.exif_transpose(image)
        image.thumbnail((longest_side, longest_side))
        if image.mode != "RGB":
            # Transparent PNGs on white, as the page background.
            background = Image.new("RGB", image.size, (255, 255, 255))
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


@require_safe
@cache_control(public=True, max_age=CACHE_SECONDS)
def project_photo(request: HttpRequest, pk: int, size: str) -> HttpResponse:
    longest_side = SIZES.get(size)
    if longest_side is None:
        raise Http404
    evidence = public_photo(pk=pk)
    if evidence is None:
        raise Http404
    key = f"cms:project-photo:{evidence.pk}:{evidence.sha256}:{longest_side}"
    body = cache.get(key)
    if body is None:
        try:
            with evidence.file.open("rb") as handle:
                body = resized_jpeg(handle.read(), longest_side)
        except Exception:  # a missing or undecodable file is simply not shown
            logger.warning("Could not serve the photo of report evidence %s", evidence.pk)
            raise Http404 from None
        cache.set(key, body, CACHE_SECONDS)
    response = HttpResponse(body, content_type="image/jpeg")
    response["ETag"] = f'"{evidence.sha256[:32]}-{longest_side}"'
    response["Last-Modified"] = http_date(evidence.uploaded_at.timestamp())
    response["X-Content-Type-Options"] = "nosniff"
    return response
