"""Views of the grants app: applicant pages (applicant.py), private files (files.py), officer pages."""
