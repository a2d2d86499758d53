"""Chinese first: every msgid in the code has a zh_Hans translation, and the compiled catalogue is current."""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
SKIP = {
    ".venv",
    ".tools",
    "var",
    ".git",
    "tests",
    "node_modules",
    ".pytest_cache",
    ".ruff_cache",
    "bench",
}


def copy_sources(target: Path) -> None:
    for entry in ROOT.iterdir():
        if entry.name in SKIP:
            continue
        if entry.is_dir():
            shutil.copytree(
                entry, target / entry.name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(entry, target / entry.name)


def statistics(po_file: Path) -> str:
    result = subprocess.run(
        ["msgfmt", "--statistics", "-o", os.devnull, str(po_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stderr.strip()


def test_every_message_has_a_chinese_translation(tmp_path):
    # given a copy of the sources with the committed catalogue
    copy_sources(tmp_path)
    env = {**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "yichuang.settings"}
    env.pop("DATABASE_URL", None)

    # when the messages are extracted afresh
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--no-location"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip

    # then none is new, untranslated or fuzzy
    stats = statistics(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    assert "untranslated" not in stats and "fuzzy" not in stats, (
        f"{stats}: run `make messages` and translate the new strings in locale/zh_Hans/LC_MESSAGES/django.po"
    )


def test_compiled_catalogue_matches_the_translations(tmp_path):
    po = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    committed_mo = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    fresh_mo = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh_mo), str(po)], check=True)

    with committed_mo.open("rb") as committed, fresh_mo.open("rb") as fresh:
        assert (
            gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(fresh)._catalog
        ), "django.mo is out of date: run `make messages`"


def test_interface_speaks_chinese_by_default_and_english_on_request():
    with translation.override("zh-hans"):
        assert translation.gettext("My workspace") == "我的工作台"
    with translation.override("en"):
        assert translation.gettext("My workspace") == "My workspace"
