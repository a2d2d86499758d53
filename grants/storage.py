from django.core.files.storage import Storage, storages


def private_storage() -> Storage:
    """Files that must never be reachable by URL; served only through permission-checked views."""
    return storages["private"]
