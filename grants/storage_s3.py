"""Private files on S3-compatible storage (settings: AWS_STORAGE_BUCKET_NAME).

Its own module so that boto3 is imported only where S3 is configured.
"""

from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    """Like PrivateFileSystemStorage: no URL at all, our permission-checked views stream the file."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise ValueError(
            "Private files have no public URL; link to the permission-checked view instead."
        )
