"""Every bundled template reads as whole sentences when facts are missing: no speakers, one
speaker, no publications, no moderator (an imported page can lack any of them)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from campaign.models import CampaignSettings, Event, Metadata, Publication, Speaker
from posts.render import context, render_post
from posts.templates import KINDS

EVENT = Event(title="Courts After War", start=datetime(2027, 3, 4, 15, 0, tzinfo=UTC))
CAMPAIGN = CampaignSettings(name="Courts", hashtag="#CourtsAfterWar", timezone="America/New_York")
ANA = Speaker("ana-ruiz", "Ana Ruiz", "Director", "Justice Lab")
BEN = Speaker("ben-ode", "Ben Ode", "Senior Fellow")
MODERATOR = Speaker("cy-lam", "Cy Lam", "Editor", "Peace Review", moderator=True)
KEYNOTE = Speaker("dee-roy", "Amb. Dee Roy", "Ambassador to Chad", part="keynote")
REPORT = Publication("courts", "Rebuilding Courts", summary="Ten years of mobile courts.")

CASES = {
    "no speakers": Metadata(CAMPAIGN, EVENT, publications=(REPORT,)),
    "one speaker": Metadata(CAMPAIGN, EVENT, speakers=(ANA,), publications=(REPORT,)),
    "only a moderator": Metadata(CAMPAIGN, EVENT, speakers=(MODERATOR,)),
    "no moderator": Metadata(CAMPAIGN, EVENT, speakers=(ANA, BEN, KEYNOTE), publications=(REPORT,)),
    "no publications": Metadata(CAMPAIGN, EVENT, speakers=(ANA, BEN, MODERATOR)),
    "nothing optional": Metadata(CAMPAIGN, EVENT),
}
# What a sentence broken by a missing fact looks like.
BROKEN = re.compile(
    r"\bto and\b|\bwith \.|\bwith ,|, ,|,\s*\.|\(\s*\)|\s[,.]|\bfrom \.|“”|\bNone\b|:\s*\.|"
    r"\band\s+(?:and|for)\b|\s{2,}|for the panel\?(?!.*\S)"
)


def _render(md: Metadata, kind: str, index: int) -> str | None:
    item: Speaker | Publication | None = None
    if kind == "spotlight":
        if not md.speakers:
            return None  # the planner makes no spotlight without speakers
        item = md.speakers[index % len(md.speakers)]
    if kind == "publication":
        if not md.publications:
            return None
        item = md.publications[0]
    ctx = context(md, kind, item=item, days_before=7 if kind == "reminder" else None, index=index)
    return render_post(kind, ctx, md.campaign)


@pytest.mark.parametrize("index", [0, 1, 2])
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("kind", KINDS)
def test_no_template_breaks_a_sentence_for_a_missing_fact(kind: str, case: str, index: int) -> None:
    """Each bundled template renders whole sentences whichever facts are missing."""
    text = _render(CASES[case], kind, index)
    if text is None:
        return
    assert [] == BROKEN.findall(text)
    assert "Courts After War" in text or "Rebuilding Courts" in text


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("nothing optional", "Thank you to everyone who joined us for “Courts After War”."),
        (
            "one speaker",
            "Thank you to our speaker and everyone who joined us for “Courts After War”.",
        ),
        (
            "only a moderator",
            "Thank you to our moderator Cy Lam and everyone who joined us for “Courts After War”.",
        ),
        (
            "no moderator",
            "Thank you to our speakers and everyone who joined us for “Courts After War”.",
        ),
        (
            "no publications",
            "Thank you to our speakers, our moderator Cy Lam, and everyone who joined us for “Courts After War”.",
        ),
    ],
)
def test_recap_thanks_only_who_was_there(case: str, expected: str) -> None:
    """The recap thanks the speakers and moderator the event had, and never "to and everyone"."""
    text = _render(CASES[case], "recap", 0)
    assert text is not None
    assert expected == text.splitlines()[0]


@pytest.mark.parametrize(
    ("speakers", "expected"),
    [
        ((), "Have a question? Share it with #CourtsAfterWar."),
        ((ANA,), "Have a question for Ana Ruiz? Share it with #CourtsAfterWar."),
        ((ANA, BEN), "Have a question for the panel? Share it with #CourtsAfterWar."),
    ],
)
def test_reminder_asks_the_panel_only_when_there_is_one(
    speakers: tuple[Speaker, ...], expected: str
) -> None:
    """The reminder's question goes to the panel, the one speaker, or nobody in particular."""
    md = Metadata(CAMPAIGN, EVENT, speakers=speakers)
    text = _render(md, "reminder", 1)
    assert text is not None
    assert expected == text.splitlines()[1]


def test_spotlight_says_the_speakers_part() -> None:
    """A keynote speaker's spotlight says they give the keynote."""
    text = _render(CASES["no moderator"], "spotlight", 2)
    assert (
        "Speaker spotlight: Amb. Dee Roy, Ambassador to Chad, gives the keynote at "
        "“Courts After War” on Thursday, March 4."
    ) == text


def test_recap_with_a_handle_uses_it() -> None:
    """The moderator's handle stands for their name in the recap."""
    md = Metadata(CAMPAIGN, EVENT, speakers=(replace(MODERATOR, handle="cylam"),))
    text = _render(md, "recap", 0)
    assert text is not None
    assert text.startswith("Thank you to our moderator @cylam and everyone")
