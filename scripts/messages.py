"""Message catalogue tool, with no GNU gettext needed except for extraction.

python scripts/messages.py check     fail on an untranslated or fuzzy zh_Hans entry, a stale
                                     .mo file, or (when xgettext is installed) a source string
                                     missing from the catalogue
python scripts/messages.py compile   fill the English catalogue (source strings are English)
                                     and write the .mo files that are committed
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
CHINESE = "zh_Hans"
ENGLISH = "en"


def catalogues() -> list[Path]:
    return sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))


def compile_all() -> None:
    for po_path in catalogues():
        po = polib.pofile(str(po_path), wrapwidth=0)
        if po_path.parts[-3] == ENGLISH:
            for entry in po:
                if entry.msgid_plural:
                    entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
                else:
                    entry.msgstr = entry.msgid
                if "fuzzy" in entry.flags:
                    entry.flags.remove("fuzzy")
            po.save(str(po_path))
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
        print(f"compiled {po_path.relative_to(ROOT)}")


def _entries(catalogue) -> dict[tuple[str, str], object]:
    return {(e.msgctxt or "", e.msgid): e for e in catalogue if not e.obsolete and e.msgid}


def _source_msgids() -> set[tuple[str, str]] | None:
    """Run makemessages into a scratch copy of the catalogue and return what it extracted."""
    if shutil.which("xgettext") is None:
        return None
    backup = Path(tempfile.mkdtemp(prefix="xn-locale-"))
    shutil.copytree(LOCALE, backup / "locale")
    try:
        subprocess.run(  # noqa: S603 (fixed arguments, no user input)
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "-l",
                CHINESE,
                "--no-obsolete",
                "--no-location",
                "--ignore=.venv",
                "--ignore=node_modules",
                "--ignore=var",
                "--ignore=bench",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
            env={**os.environ, "DEBUG": "1"},
        )
        extracted = polib.pofile(str(LOCALE / CHINESE / "LC_MESSAGES" / "django.po"))
        return set(_entries(extracted))
    finally:
        shutil.rmtree(LOCALE)
        shutil.copytree(backup / "locale", LOCALE)
        shutil.rmtree(backup)


def check() -> int:
    problems: list[str] = []
    paths = catalogues()
    langs = {p.parts[-3] for p in paths}
    for lang in (CHINESE, ENGLISH):
        if lang not in langs:
            problems.append(f"locale/{lang}/LC_MESSAGES/django.po is missing")
    for po_path in paths:
        po = polib.pofile(str(po_path))
        rel = po_path.relative_to(ROOT)
        if po_path.parts[-3] == CHINESE:
            for entry in po.untranslated_entries():
                problems.append(f"{rel}: untranslated: {entry.msgid!r}")
            for entry in po.fuzzy_entries():
                problems.append(f"{rel}: fuzzy: {entry.msgid!r}")
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists():
            problems.append(f"{rel}: no compiled .mo (run: python scripts/messages.py compile)")
            continue
        compiled = {
            k: (e.msgstr, dict(e.msgstr_plural))
            for k, e in _entries(polib.mofile(str(mo_path))).items()
        }
        wanted = {
            k: (e.msgstr, {int(i): s for i, s in e.msgstr_plural.items()})
            for k, e in _entries(po).items()
            if "fuzzy" not in e.flags
        }
        if compiled != wanted:
            problems.append(
                f"{rel}: the .mo file is stale (run: python scripts/messages.py compile)"
            )
    extracted = _source_msgids()
    if extracted is None:
        print("xgettext not installed: source strings were not compared with the catalogue.")
    else:
        for po_path in paths:
            known = set(_entries(polib.pofile(str(po_path))))
            for ctxt, msgid in sorted(extracted - known):
                problems.append(
                    f"{po_path.relative_to(ROOT)}: missing source string {msgid!r}"
                    + (f" (context {ctxt!r})" if ctxt else "")
                )
    for problem in problems[:200]:
        print(problem)
    if problems:
        print(f"{len(problems)} catalogue problem(s); run `make messages`, translate, and compile.")
        return 1
    print(f"catalogues complete: {', '.join(str(p.relative_to(ROOT)) for p in paths)}")
    return 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "compile":
        compile_all()
        sys.exit(0)
    sys.exit(check())
