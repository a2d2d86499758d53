from django.core.files.storage import FileSystemStorage, Storage, storages


class PrivateFileSystemStorage(FileSystemStorage):
    """Files kept outside MEDIA_ROOT. They have no URL: permission-checked views stream them."""

    def url(self, name):
        raise ValueError(
            "Private files have no public URL; link to the permission-checked view instead."
        )


def private_storage() -> Storage:
    return storages["private"]
