"""X's weighted length (twitter-text v3): URLs count 23, CJK and emoji 2, most Latin text 1.

``twitter-text-parser`` does the counting. Its emoji table dates from 2019, so a sequence built
from newer emoji (a ZWJ sequence such as 🐦‍⬛, a skin tone on 🫶, a new flag or keycap) is split
into pieces and counted 4 or 5 instead of 2. A single new code point (🫠, 🪿) is already right: the
library weighs any code point outside its Latin ranges as 2. So only multi-code-point sequences
need correcting, and only texts that contain one of the characters that join code points into
an emoji sequence (ZWJ, variation selector 16, skin-tone modifiers, keycap, tags, regional
indicators) go through the correction: there, every emoji sequence the ``emoji`` package knows
(the current Unicode table) is replaced by one stand-in character the library weighs 2 and treats
like any other letter, then the library counts the result.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from twitter_text import parse_tweet

LIMIT = 280

# Characters that only occur inside multi-code-point emoji sequences: ZWJ, VS16, keycap,
# regional indicators, skin-tone modifiers, tag characters (subdivision flags).
_JOINERS = re.compile(
    "[\u200d\ufe0f\u20e3\U0001f1e6-\U0001f1ff\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]"
)
# A private-use character: weight 2 in twitter-text v3, not an emoji, URL, space or invalid char.
_STAND_IN = "\ue000"
_INVALID = re.compile("[\ufffe\ufeff\uffff]")


@dataclass(frozen=True)
class LengthCheck:
    """The weighted length of a text and whether X would accept it."""

    weighted_length: int
    valid: bool
    limit: int = LIMIT


def _normalise(text: str) -> str:
    """What X counts: NFC, with every line ending one character."""
    return re.sub(r"\r\n|\r", "\n", unicodedata.normalize("NFC", text))


def _emoji_as_stand_ins(text: str) -> str:
    """``text`` with every emoji sequence of the current Unicode table as one stand-in character."""
    import emoji  # only texts with an emoji sequence pay for the table

    found = emoji.emoji_list(text)
    if not found:
        return text
    parts: list[str] = []
    pos = 0
    for match in found:
        start, end = match["match_start"], match["match_end"]
        parts.append(text[pos:start])
        parts.append(_STAND_IN)
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[int, bool]:
    normal = _normalise(text)
    if _JOINERS.search(normal):
        normal = _emoji_as_stand_ins(normal)
    # X refuses three characters outright (twitter-text's invalid characters).
    return parse_tweet(normal).weightedLength, not _INVALID.search(normal)


def weighted_length(text: str) -> int:
    """X's weighted length of ``text`` exactly as given (nothing added)."""
    return _parse(text)[0]


def check(text: str) -> LengthCheck:
    """The weighted length of ``text`` and whether X accepts it: not blank, at most 280."""
    length, chars_allowed = _parse(text)
    return LengthCheck(
        weighted_length=length,
        valid=chars_allowed and bool(text.strip()) and 0 < length <= LIMIT,
    )
