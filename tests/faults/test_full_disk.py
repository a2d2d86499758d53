"""A full disk during an upload — a real ENOSPC from a 256 KB tmpfs mounted as the private file
store of a production-mode server: the applicant sees why in Chinese next to the file field, what
they typed is kept and saved, and no row points at a missing or truncated file."""

from __future__ import annotations

import html
import subprocess

import pytest
from django.utils import translation

from grants.models import Attachment
from grants.storage import DISK_FULL_MESSAGE
from tests.faults._servers import Browser, gunicorn
from tests.grants._applicant_helpers import form_post

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PORT = 8205


def _pdf(size: int) -> bytes:
    head, tail = b"%PDF-1.4\n", b"\n%%EOF\n"
    return head + b"0" * (size - len(head) - len(tail)) + tail


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KB file system, mounted for this test and unmounted after it."""
    mount_point = tmp_path / "private"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def _files(root):
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_upload_to_a_full_disk_shows_a_clear_error_and_keeps_the_draft(draft, small_disk, tmp_path):
    edit = f"/me/applications/{draft.pk}/edit/"
    with gunicorn(
        PORT, log=tmp_path / "gunicorn.log", PRIVATE_STORAGE_ROOT=str(small_disk)
    ) as base:
        browser = Browser(base)
        browser.login("fault-applicant")

        # given a first file that fits
        fits = browser.post_form(
            edit,
            form_post(upload="1", kind="plan"),
            files={"file": ("预算表.pdf", _pdf(20_000), "application/pdf")},
        )
        assert fits.status_code == 302
        assert len(_files(small_disk)) == 1

        # when the applicant, having changed the title, uploads a file bigger than what is left
        too_big = browser.post_form(
            edit,
            form_post(title="改过的标题：邻里守望", upload="1", kind="plan"),
            files={"file": ("项目计划书.pdf", _pdf(600_000), "application/pdf")},
        )

        # then the form comes back with the reason, in Chinese, on the file field
        assert too_big.status_code == 422
        with translation.override("zh-hans"):
            assert html.escape(str(DISK_FULL_MESSAGE)) in too_big.text
        assert "Traceback" not in too_big.text
        # and what they typed is on the page and saved in the draft
        assert "改过的标题：邻里守望" in too_big.text
        draft.refresh_from_db()
        assert draft.title == "改过的标题：邻里守望"

    # and no partial file is left, and every attachment row has its whole file
    attachments = list(Attachment.objects.filter(application=draft))
    assert [a.original_name for a in attachments] == ["预算表.pdf"]
    kept = _files(small_disk)
    assert len(kept) == 1
    assert kept[0].stat().st_size == attachments[0].size == 20_000
