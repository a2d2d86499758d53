import contextlib
import errno
import os

from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.translation import gettext_lazy as _

DISK_FULL_MESSAGE = _(
    "The server has no room left to store this file, so it was not saved. Everything else you "
    "entered is kept. Please try again later; if this keeps happening, tell the programme office."
)


class StorageFull(ValidationError):
    """The disk is full. A ValidationError, so every upload form shows it next to its file field."""


class PrivateFileSystemStorage(FileSystemStorage):
    """Files kept outside MEDIA_ROOT. They have no URL: permission-checked views stream them."""

    def url(self, name):
        raise ValueError(
            "Private files have no public URL; link to the permission-checked view instead."
        )

    def _save(self, name, content):
        full_path = self.path(name)
        existed = os.path.lexists(full_path)
        try:
            return super()._save(name, content)
        except OSError as error:
            if error.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            # A full disk leaves the bytes written so far: remove them, never keep a truncated file.
            if not existed:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(full_path)
            raise StorageFull(DISK_FULL_MESSAGE, code="storage_full") from error


def private_storage() -> Storage:
    return storages["private"]
