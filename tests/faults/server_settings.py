"""Settings of the app servers and workers the fault tests start as real processes.

The test settings (MD5 hashes, plain static files), plus what a process outside pytest needs from
its environment: the private file directory (a tiny tmpfs in the full-disk test) and the directory
the file-based e-mail backend writes each message to (so a test can count what was mailed).
"""

import os

from yichuang.settings_test import *  # noqa: F403

if os.environ.get("PRIVATE_STORAGE_ROOT"):
    STORAGES["private"]["OPTIONS"]["location"] = os.environ["PRIVATE_STORAGE_ROOT"]  # noqa: F405
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", "")
