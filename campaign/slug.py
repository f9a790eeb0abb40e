"""Stable keys for speakers and publications: lowercase ASCII slugs of their names and titles."""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_LENGTH = 80
# Letters that Unicode does not decompose into a base letter plus an accent.
_FOLD = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ß": "ss",
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "Þ": "TH",
        "ð": "d",
        "Ð": "D",
        "ı": "i",
    }
)


def slugify(text: str) -> str:
    """``"Lise Grande"`` → ``"lise-grande"``; the same text always gives the same slug.

    Accents are folded to ASCII, apostrophes dropped (``Taliban's`` → ``talibans``), every other
    run of non-alphanumerics becomes one hyphen. A name with no Latin letters at all (e.g. only
    CJK) gets ``item-`` and a short hash of the name, which is still stable.
    """
    folded = (
        unicodedata.normalize("NFKD", text.translate(_FOLD))
        .encode("ascii", "ignore")
        .decode("ascii")
        .lower()
    )
    folded = re.sub(r"['’`]", "", folded)
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    if len(slug) > MAX_LENGTH:
        slug = slug[:MAX_LENGTH].rsplit("-", 1)[0] or slug[:MAX_LENGTH]
    if not slug:
        digest = hashlib.sha256(unicodedata.normalize("NFC", text.strip()).encode()).hexdigest()
        slug = f"item-{digest[:10]}"
    return slug
