"""What posts and reads cost on X, which bills pay-per-use (since February 2026).

A post with a link costs ``price_post_with_link``, any other post ``price_post``, and each post
the collector reads ``price_read`` (prices from :class:`campaign.models.CampaignSettings`, in US
dollars). "A link" is exactly what X counts as one: :func:`posts.length.url_spans`, so a bare
``usip.org`` is a link too. Money is :class:`~decimal.Decimal` throughout, made from the prices'
decimal text so 0.015 stays 0.015.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from campaign.models import CampaignSettings
from posts.length import url_spans
from posts.queue import PostStatus, Tally

__all__ = [
    "COMMITTED",
    "TO_GO_OUT",
    "CostEstimate",
    "dollars",
    "estimate",
    "estimate_tallied",
    "has_link",
    "post_cost",
    "read_cost",
    "unit",
    "usd",
]

CENT = Decimal("0.01")
MIL = Decimal("0.001")

# Statuses whose posts will cost money if nothing stops them: ``COMMITTED`` are approved (or on
# their way); ``TO_GO_OUT`` adds the drafts staff are deciding about.
COMMITTED = (PostStatus.APPROVED, PostStatus.PUBLISHING, PostStatus.UNKNOWN)
TO_GO_OUT = (PostStatus.DRAFT, *COMMITTED)


def dollars(price: float | int | str | Decimal) -> Decimal:
    """``price`` as an exact Decimal (a float through its shortest text: 0.015 → 0.015)."""
    return price if isinstance(price, Decimal) else Decimal(str(price))


def has_link(text: str) -> bool:
    """Whether X counts a link in ``text`` (which makes the post the dearer kind)."""
    return bool(url_spans(text))


def post_cost(text: str, settings: CampaignSettings, link: bool | None = None) -> Decimal:
    """What publishing ``text`` costs on X; ``link``: whether it has a link, when that is known
    already (a post's stored ``has_link``), else it is found in ``text``."""
    if link is None:
        link = has_link(text)
    price = settings.price_post_with_link if link else settings.price_post
    return dollars(price)


def read_cost(reads: int, settings: CampaignSettings) -> Decimal:
    """What reading ``reads`` posts (collecting them) costs on X."""
    return dollars(settings.price_read) * reads


@dataclass(frozen=True)
class CostEstimate:
    """The cost of a set of posts: how many, how many with a link, and the total in dollars."""

    count: int = 0
    with_link: int = 0
    total: Decimal = Decimal(0)

    @property
    def without_link(self) -> int:
        return self.count - self.with_link

    def to_json(self) -> dict[str, object]:
        return {
            "count": self.count,
            "with_link": self.with_link,
            "without_link": self.without_link,
            "total_usd": unit(self.total),
        }


def estimate(texts: Iterable[str], settings: CampaignSettings) -> CostEstimate:
    """The cost of publishing every text in ``texts`` (post objects: pass their ``.text``)."""
    count = links = 0
    for text in texts:
        count += 1
        links += has_link(text)
    total = dollars(settings.price_post_with_link) * links + dollars(settings.price_post) * (
        count - links
    )
    return CostEstimate(count, links, total)


def estimate_tallied(
    tallies: Mapping[tuple[int | None, PostStatus], Tally],
    statuses: Iterable[str],
    settings: CampaignSettings,
    campaigns: Container[int | None] | None = None,
) -> CostEstimate:
    """:func:`estimate` of the posts counted in ``tallies`` (:func:`posts.queue.tallies`) whose
    status is one of ``statuses`` (and whose campaign id is in ``campaigns`` when given), from
    their counts alone: no text is looked at."""
    wanted = frozenset(statuses)
    count = links = 0
    for (cid, status), tally in tallies.items():
        if status not in wanted or (campaigns is not None and cid not in campaigns):
            continue
        count += tally.count
        links += tally.with_link
    total = dollars(settings.price_post_with_link) * links + dollars(settings.price_post) * (
        count - links
    )
    return CostEstimate(count, links, total)


def usd(amount: Decimal) -> str:
    """``amount`` for people: ``$1.23``, with a third decimal only when it matters (``$0.015``)."""
    exact = amount.quantize(MIL, rounding=ROUND_HALF_UP)
    shown = exact if exact != exact.quantize(CENT) else exact.quantize(CENT)
    return f"${shown:,}"


def unit(amount: Decimal) -> str:
    """``amount`` for machines: text with three decimals (``"0.200"``), more only if it has them."""
    if amount != amount.quantize(MIL):
        return f"{amount.normalize():f}"
    return f"{amount.quantize(MIL):f}"
