"""Search queries the way X's recent search reads them, for the operators a campaign uses.

Terms: plain words (a tokenized, case-insensitive match), ``"quoted phrases"``, ``#hashtags``
(case-insensitive, as X does), ``@mentions``, ``from:user``, ``to:user``, ``is:retweet``,
``is:reply``, ``is:quote``, ``has:links``, ``has:mentions``, ``has:hashtags``, ``has:media``,
``lang:xx``, ``conversation_id:ID``, ``url:text``. A ``-`` in front negates a term or a group;
terms side by side must all match; ``OR`` between them is either; parentheses group. AND binds
tighter than OR, as on X.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from scheduler.simulator.state import Tweet, User

MAX_QUERY = 512
WORD_RE = re.compile(r"\w+")

Predicate = Callable[[Tweet, Mapping[str, User]], bool]


class QueryError(ValueError):
    """A query X would refuse; the message is the one given back in the 400 answer."""


@dataclass
class Token:
    kind: str  # "(" ")" "OR" "-" "term" "phrase"
    text: str = ""


def tokenize(query: str) -> list[Token]:
    """Split a query into parentheses, ``OR``, negations, terms and quoted phrases."""
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif c in "()":
            tokens.append(Token(c))
            i += 1
        elif c == "-" and i + 1 < n and not query[i + 1].isspace():
            tokens.append(Token("-"))
            i += 1
        elif c == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QueryError('There is an unclosed quote (") in the query.')
            tokens.append(Token("phrase", query[i + 1 : end]))
            i = end + 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in '()"':
                j += 1
            word = query[i:j]
            tokens.append(Token("OR") if word == "OR" else Token("term", word))
            i = j
    return tokens


def _words(text: str) -> list[str]:
    return [w.casefold() for w in WORD_RE.findall(text)]


def _features(tweet: Tweet) -> dict[str, object]:
    cached = tweet.cache.get("features")
    if cached is None or cached[0] != tweet.text:
        ent = tweet.entities
        words = _words(tweet.text)
        feats: dict[str, object] = {
            "words": set(words),
            "joined": " " + " ".join(words) + " ",
            "tags": {h["tag"].casefold() for h in ent.get("hashtags", [])},
            "mentions": {m["username"].casefold() for m in ent.get("mentions", [])},
            "urls": " ".join(u["expanded_url"].casefold() for u in ent.get("urls", [])),
        }
        cached = (tweet.text, feats)
        tweet.cache["features"] = cached
    result: dict[str, object] = cached[1]
    return result


def _term(text: str) -> tuple[Predicate, bool]:
    """A predicate for one term, and whether it may stand alone (X's "standalone" operators)."""
    low = text.casefold()
    if low.startswith(("#", "＃")) and len(low) > 1:
        tag = low[1:]
        return (lambda t, u: tag in _features(t)["tags"]), True  # type: ignore[operator]
    if low.startswith(("@", "＠")) and len(low) > 1:
        name = low[1:]
        return (lambda t, u: name in _features(t)["mentions"]), True  # type: ignore[operator]
    if ":" in low and not low.startswith(("http:", "https:")):
        op, _, arg = low.partition(":")
        if not arg:
            raise QueryError(f"There is an operator without a value in the query: '{text}'.")
        return _operator(op, arg, text)
    words = _words(low)
    if not words:
        raise QueryError(f"The query term '{text}' has no letters or digits to search for.")
    if len(words) == 1:
        w = words[0]
        return (lambda t, u: w in _features(t)["words"]), True  # type: ignore[operator]
    phrase = " " + " ".join(words) + " "
    return (lambda t, u: phrase in _features(t)["joined"]), True  # type: ignore[operator]


def _operator(op: str, arg: str, text: str) -> tuple[Predicate, bool]:
    if op == "from":
        return (
            lambda t, u: (
                t.author_id == arg
                or (t.author_id in u and u[t.author_id].username.casefold() == arg)
            )
        ), True
    if op == "to":

        def to(t: Tweet, u: Mapping[str, User]) -> bool:
            rid = t.in_reply_to_user_id
            return rid is not None and (
                rid == arg or (rid in u and u[rid].username.casefold() == arg)
            )

        return to, True
    if op == "conversation_id":
        return (lambda t, u: (t.conversation_id or t.id) == arg), True
    if op == "url":
        return (lambda t, u: arg in _features(t)["urls"]), True  # type: ignore[operator]
    if op == "lang":
        return (lambda t, u: t.lang.casefold() == arg), False
    if op == "is":
        kinds = {"retweet": "retweeted", "reply": "replied_to", "quote": "quoted"}
        if arg in kinds:
            kind = kinds[arg]
            return (lambda t, u: t.is_type(kind)), False
        if arg == "verified":
            return (lambda t, u: t.author_id in u and u[t.author_id].verified), False
    if op == "has":
        checks: dict[str, Predicate] = {
            "links": lambda t, u: bool(t.entities.get("urls")),
            "mentions": lambda t, u: bool(t.entities.get("mentions")),
            "hashtags": lambda t, u: bool(t.entities.get("hashtags")),
            "media": lambda t, u: bool(t.media_ids),
        }
        if arg in checks:
            return checks[arg], False
    raise QueryError(
        f"Reference to invalid operator '{text}'. Operator is not available in current product or product packaging."
    )


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def parse_or(self) -> tuple[Predicate, bool]:
        parts = [self.parse_and()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            if self.peek() is None or self.peek().kind in ("OR", ")"):  # type: ignore[union-attr]
                raise QueryError("'OR' must stand between two terms.")
            parts.append(self.parse_and())
        if len(parts) == 1:
            return parts[0]
        preds = [p for p, _ in parts]
        return (lambda t, u: any(p(t, u) for p in preds)), all(s for _, s in parts)

    def parse_and(self) -> tuple[Predicate, bool]:
        parts = []
        while (tok := self.peek()) is not None and tok.kind not in ("OR", ")"):
            parts.append(self.parse_unary())
        if not parts:
            raise QueryError("The query has an empty group or starts with 'OR'.")
        if len(parts) == 1:
            return parts[0]
        preds = [p for p, _ in parts]
        return (lambda t, u: all(p(t, u) for p in preds)), any(s for _, s in parts)

    def parse_unary(self) -> tuple[Predicate, bool]:
        tok = self.take()
        if tok.kind == "-":
            if self.peek() is None:
                raise QueryError("A '-' must be followed by a term.")
            inner, _ = self.parse_unary()
            return (lambda t, u: not inner(t, u)), False
        if tok.kind == "(":
            inner_pair = self.parse_or()
            close = self.peek()
            if close is None or close.kind != ")":
                raise QueryError("There is an unclosed parenthesis in the query.")
            self.take()
            return inner_pair
        if tok.kind == ")":
            raise QueryError("There is an unmatched ')' in the query.")
        if tok.kind == "phrase":
            words = _words(tok.text)
            if not words:
                raise QueryError("A quoted phrase in the query is empty.")
            phrase = " " + " ".join(words) + " "
            return (lambda t, u: phrase in _features(t)["joined"]), True  # type: ignore[operator]
        return _term(tok.text)


def compile_query(query: str) -> Predicate:
    """A predicate telling whether a tweet matches ``query``, or :class:`QueryError`."""
    if not query.strip():
        raise QueryError("The `query` query parameter can not be empty")
    if len(query) > MAX_QUERY:
        raise QueryError(f"The `query` query parameter value is longer than {MAX_QUERY} characters")
    parser = _Parser(tokenize(query))
    pred, standalone = parser.parse_or()
    if parser.peek() is not None:
        raise QueryError("There is an unmatched ')' in the query.")
    if not standalone:
        raise QueryError(
            "The query needs at least one term that can stand alone (a word, phrase, #hashtag, "
            "@mention or from:); is:, has:, lang: and negated terms only narrow a search."
        )
    return pred


def index_tag(query: str) -> str | None:
    """A hashtag every match must carry (casefolded), to search only the tweets that have it;
    None when the query has no such tag (an ``OR``, or tags only under a negation)."""
    tokens = tokenize(query)
    if any(tok.kind == "OR" for tok in tokens):
        return None
    negated = [False]  # per open group: whether it sits under a "-"
    neg_next = False
    for tok in tokens:
        if tok.kind == "-":
            neg_next = True
            continue
        if tok.kind == "(":
            negated.append(negated[-1] or neg_next)
        elif tok.kind == ")":
            if len(negated) > 1:
                negated.pop()
        elif (
            tok.kind == "term"
            and tok.text.startswith(("#", "＃"))
            and len(tok.text) > 1
            and not neg_next
            and not negated[-1]
        ):
            return tok.text[1:].casefold()
        neg_next = False
    return None
