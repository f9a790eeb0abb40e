"""A generated hashtag conversation with real-world variety, seeded and deterministic.

Authors with names in several scripts and follower counts; posts with links on many domains,
emoji (including newer ones and ZWJ sequences), Latin with accents, Arabic, Cyrillic, CJK and
Devanagari, newlines, @mentions, co-occurring hashtags, the campaign hashtag in mixed case;
replies (to each other and to the account's own posts), quotes, retweets (``RT @…``), and some
posts without the hashtag, which a search for it must not return.
"""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta

from scheduler.simulator.state import SimState, Tweet, User

FIRST = [
    ("amina", "Amina"),
    ("jose", "José"),
    ("chloe", "Chloé"),
    ("olek", "Ołeksandr"),
    ("priya", "प्रिया"),
    ("yuki", "由紀"),
    ("wei", "王伟"),
    ("fatima", "فاطمة"),
    ("dmitri", "Дмитрий"),
    ("ngozi", "Ngozi"),
    ("lars", "Lars"),
    ("ines", "Inês"),
    ("kofi", "Kofi"),
    ("sara", "Sára"),
    ("omar", "عمر"),
    ("mei", "美玲"),
    ("arjun", "अर्जुन"),
    ("zoe", "Zoë"),
    ("bjorn", "Björn"),
    ("lucia", "Lucía"),
]
LAST = [
    ("osei", "Osei"),
    ("garcia", "García"),
    ("muller", "Müller"),
    ("ivanova", "Иванова"),
    ("haddad", "حداد"),
    ("tanaka", "田中"),
    ("sharma", "शर्मा"),
    ("nowak", "Nowak"),
    ("dubois", "Dubois"),
    ("okafor", "Okafor"),
    ("chen", "陈"),
    ("silva", "Silva"),
]
ROLES = ["policy", "research", "peace", "law", "news", "ngo", "phd", "ops"]
DOMAINS = [
    "https://www.example.org/report/2026/policing-conflict",
    "https://news.example.com/world/article-48213?utm_source=x&utm_medium=social",
    "http://blog.example.net/2026/12/05/community-policing/",
    "https://doi.org/10.1234/example.5678",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://example.ac.uk/events/panel#live",
    "https://sub.domain.example.io/a/b/c/d/e/f/g/h?x=1&y=2",
    "https://مثال.example/مقالة",
    "https://пример.example/статья",
    "www.example.edu/seminar",
]
EMOJI = [
    "👮",
    "🕊️",
    "📢",
    "🙏🏽",
    "🔥",
    "🫶",
    "🫠",
    "🩷",
    "🪿",
    "👩‍🔬",
    "🧑🏾‍⚖️",
    "🏳️‍🌈",
    "👨‍👩‍👧",
    "🇺🇦",
    "🇸🇩",
    "✊🏿",
    "❤️‍🩹",
    "📚",
    "➡️",
    "✅",
]
OTHER_TAGS = [
    "#RuleOfLaw",
    "#SSR",
    "#Peacebuilding",
    "#HumanRights",
    "#Policing",
    "#conflict",
    "#Sudán",
    "#мир",
    "#平和",
    "#سلام",
]
SENTENCES = [
    ("en", "Great panel on policing in conflict-affected settings today."),
    ("en", "Who polices when the state has collapsed? Important questions here."),
    ("en", "Community trust is the first casualty of militarised policing."),
    ("en", "Watching the livestream now, the Q&A is excellent"),
    ("en", "New report out: accountability for police in post-conflict transitions"),
    ("fr", "Très bon débat sur la police dans les zones de conflit, merci à l'équipe !"),
    ("es", "¿Quién garantiza la seguridad cuando no hay Estado? Debate muy necesario."),
    ("de", "Spannende Diskussion über Polizeiarbeit in Konfliktgebieten – sehr empfehlenswert."),
    ("pt", "Ótima discussão sobre policiamento em contextos de conflito."),
    ("ar", "نقاش مهم حول عمل الشرطة في مناطق النزاع"),
    ("ru", "Важная дискуссия о полиции в зонах конфликта."),
    ("uk", "Дуже цікава панель про поліцію під час війни."),
    ("ja", "紛争地域における警察活動についての重要な議論です。"),
    ("zh", "关于冲突地区警务工作的精彩讨论。"),
    ("hi", "संघर्ष क्षेत्रों में पुलिस व्यवस्था पर महत्वपूर्ण चर्चा।"),
    ("en", "Thread 🧵 on what we learned:\n\n1. Trust\n2. Oversight\n3. Local ownership"),
]
REPLIES = [
    ("en", "Completely agree with this."),
    ("en", "Do you have a link to the slides?"),
    ("en", "Not sure about that: the evidence from 2019 says otherwise."),
    ("fr", "Merci pour le partage !"),
    ("es", "¡Muy buen punto!"),
    ("ar", "شكرا على المشاركة"),
    ("ru", "Спасибо, очень полезно."),
    ("ja", "ありがとうございます！"),
]
OPENERS = [
    "",
    "",
    "",
    "Just now: ",
    "Worth reading ↓ ",
    "Live: ",
    "Replay ▶️ ",
    "1/ ",
    "ICYMI: ",
    "«Important» — ",
]
NEAR_MISSES = [
    "#PolicingInConflicts",
    "#PolicingInConflict2026",
    "#Policing #InConflict",
    "policing in conflict",
    "PolicingInConflict",
    "#Policing_In_Conflict",
]
OWN_POSTS = [
    "Join us for the panel on policing in conflict-affected settings, live on 6 December.",
    "Our new publication on police reform after conflict is out now: https://www.example.org/pub",
    "Starting in one hour: the panel on policing in conflict. Send us your questions!",
    "Thank you to everyone who joined the panel today. Recording coming soon.",
]


def _variant(rng: random.Random, tag: str) -> str:
    """The campaign hashtag as people type it: mostly as written, sometimes in another case."""
    r = rng.random()
    if r < 0.55:
        return "#" + tag
    if r < 0.75:
        return "#" + tag.lower()
    if r < 0.85:
        return "#" + tag.upper()
    return "#" + tag[0].lower() + tag[1:]


def _authors(state: SimState, rng: random.Random) -> list[User]:
    count = rng.randint(40, 80)
    taken = {u.username.lower() for u in state.users.values()}
    authors: list[User] = []
    base_id = 1_700_000_000_000_000_000 + rng.randrange(10**12)
    while len(authors) < count:
        (f_user, f_name), (l_user, l_name) = rng.choice(FIRST), rng.choice(LAST)
        style = rng.random()
        if style < 0.4:
            username = f"{f_user}_{l_user}"
        elif style < 0.7:
            username = f"{f_user}{l_user[:3]}{rng.randint(1, 999)}"
        else:
            username = f"{f_user}_{rng.choice(ROLES)}"
        username = username[:15]
        if username.lower() in taken:
            continue
        taken.add(username.lower())
        name = f"{f_name} {l_name}"
        if rng.random() < 0.15:
            name += " " + rng.choice(EMOJI)
        followers = int(rng.lognormvariate(6, 1.8))
        user = User(
            id=str(base_id + len(authors)),
            username=username,
            name=name,
            followers_count=followers,
            following_count=rng.randint(10, 3000),
            listed_count=followers // 50,
            verified=followers > 50_000,
        )
        authors.append(user)
        state.add_user(user)
    return authors


def _text(
    rng: random.Random, authors: list[User], account: User, tag: str, with_tag: bool
) -> tuple[str, str]:
    lang, sentence = rng.choice(SENTENCES)
    parts = [rng.choice(OPENERS) + sentence]
    if rng.random() < 0.35:
        parts.append(rng.choice(DOMAINS))
    if rng.random() < 0.2:
        who = account if rng.random() < 0.3 else rng.choice(authors)
        parts.append("cc @" + who.username)
    if not with_tag and rng.random() < 0.5:
        parts.append(rng.choice(NEAR_MISSES))
    if rng.random() < 0.4:
        parts.append("".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 3))))
    tags = []
    if with_tag:
        tags.append(_variant(rng, tag))
    if rng.random() < 0.35:
        tags.append(rng.choice(OTHER_TAGS))
    rng.shuffle(tags)
    if tags:
        if rng.random() < 0.3:
            parts.insert(0, tags.pop())
        parts.extend(tags)
    sep = "\n\n" if rng.random() < 0.15 else " "
    return lang, sep.join(parts)


def _own_posts(state: SimState, tag: str, start_offset: float, count: int) -> list[Tweet]:
    made = []
    for i, text in enumerate(OWN_POSTS[:count]):
        when = state.now() - timedelta(seconds=start_offset * (count - i) / count)
        made.append(
            state.make_tweet(state.account, f"{text} #{tag}", created_at=when, source="generated")
        )
    return made


def generate(
    state: SimState,
    n: int = 300,
    seed: int = 1,
    days: float = 3,
    hashtag: str = "PolicingInConflict",
) -> list[Tweet]:
    """Add ``n`` generated posts spread over the last ``days`` from 40–80 new authors, plus 4 of
    the account's own (``source`` "generated"), which others reply to. Same seed, same
    conversation (and, with the clock frozen, the same ids)."""
    if n < 0 or days <= 0:
        raise ValueError("n must be 0 or more and days more than 0")
    rng = random.Random(seed)
    with state.lock:
        authors = _authors(state, rng)
        span = days * 86400
        own = _own_posts(state, hashtag, span * 0.9, len(OWN_POSTS))
        offsets = sorted((rng.uniform(60, span) for _ in range(n)), reverse=True)
        pool: list[Tweet] = list(own)
        made: list[Tweet] = list(own)
        for offset in offsets:
            when = state.now() - timedelta(seconds=offset)
            tweet = _one(state, rng, authors, pool, hashtag, when)
            pool.append(tweet)
            made.append(tweet)
        state.conversation_rng = random.Random(rng.random())
        state.conversation_authors = authors
        return made


def add_now(state: SimState, m: int, hashtag: str = "PolicingInConflict") -> list[Tweet]:
    """Add ``m`` more posts made now (for incremental collection with ``since_id``)."""
    with state.lock:
        authors = state.conversation_authors or _authors(state, state.conversation_rng)
        state.conversation_authors = authors
        recent = itertools.islice(state.newest_first(), 500)
        pool = [t for t in recent if t.source == "generated"][:200]
        return [
            _one(state, state.conversation_rng, authors, pool, hashtag, None, with_tag=True)
            for _ in range(m)
        ]


def _one(
    state: SimState,
    rng: random.Random,
    authors: list[User],
    pool: list[Tweet],
    hashtag: str,
    created: datetime | None,
    with_tag: bool | None = None,
) -> Tweet:
    """One post by a random author: a retweet, quote, reply or original, made at ``created``
    (None: now)."""
    author = rng.choice(authors)
    kind = rng.random() if pool else 0.0
    tagged = with_tag if with_tag is not None else rng.random() > 0.08
    lang, text = _text(rng, authors, state.account, hashtag, tagged)
    if kind > 0.9:
        original = rng.choice(pool)
        for ref in original.referenced_tweets:
            if ref["type"] == "retweeted" and ref["id"] in state.tweets:
                original = state.tweets[ref["id"]]
        src = state.users[original.author_id]
        rt_text = f"RT @{src.username}: {original.text}"
        return state.make_tweet(
            author,
            rt_text,
            created_at=created,
            retweet_of=original,
            lang=original.lang,
            source="generated",
        )
    if kind > 0.82:
        quoted = rng.choice(pool)
        src = state.users[quoted.author_id]
        url = f"https://twitter.com/{src.username}/status/{quoted.id}"
        return state.make_tweet(
            author,
            f"{text} {url}",
            created_at=created,
            quote_of=quoted,
            lang=lang,
            source="generated",
        )
    if kind > 0.65:
        own = [t for t in pool if t.author_id == state.account.id]
        parent = rng.choice(own) if own and rng.random() < 0.4 else rng.choice(pool)
        target = state.users[parent.author_id]
        r_lang, reply = rng.choice(REPLIES)
        if tagged:
            reply += " " + _variant(rng, hashtag)
        return state.make_tweet(
            author,
            f"@{target.username} {reply}",
            created_at=created,
            reply_to=parent,
            lang=r_lang,
            source="generated",
        )
    tweet = state.make_tweet(author, text, created_at=created, lang=lang, source="generated")
    tweet.like_count = int(rng.lognormvariate(1.5, 1.5))
    tweet.impression_count = tweet.like_count * rng.randint(20, 120) + rng.randint(0, 200)
    return tweet
