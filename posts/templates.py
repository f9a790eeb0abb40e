"""Post templates: where they come from, the sandboxed Jinja2 environment, and its filters.

Each kind of post (:data:`KINDS`) has a default template ``posts/templates/<kind>.j2``. A user
folder overrides a default by using the same file name, and adds variants as
``<kind>-<anything>.j2``: the planner takes a kind's variants in turn (sorted by file name), so
posts of one kind do not all read alike. Staff write templates, so they run sandboxed, with
undefined names as errors; any template error becomes a :class:`TemplateError` naming the file
and the line.

A template (and what it includes) is read only from inside its folder: a link that leads out of
it is refused, as is a file over :data:`MAX_TEMPLATE_BYTES`. Rendering is bounded (see
:mod:`posts.render`): ``*`` and ``**`` may not make a value larger than :data:`MAX_VALUE`
characters or items (or a number over :data:`MAX_BITS` bits), a filter may not be asked for a
width or count over :data:`MAX_VALUE`, and ``range`` checks the render's deadline as it goes.

What a template sees is built in :mod:`posts.render`; the filters are:

- ``handle_or_name``: ``@handle`` for a speaker with an X handle, else the name;
- ``datefmt(style)``: a time in the campaign's zone, ``style`` one of ``day`` (Sunday, December 6),
  ``short`` (Dec. 6), ``date`` (December 6, 2026), ``time`` (10 a.m. EST), ``weekday`` (Sunday);
- ``join_and(limit)``: ``A, B and C``, or ``A, B and 3 more`` past ``limit`` names;
- ``shorten(limit)``: marks a piece of text (a summary) to be trimmed, on a word, to whatever
  weighted length the rest of the post leaves (at most ``limit`` when given).
"""

from __future__ import annotations

import contextvars
import functools
import os
import re
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from campaign.errors import TemplateError

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment

MAX_TEMPLATE_BYTES = 64 * 1024  # a post's template is a few lines
MAX_VALUE = 20_000  # characters or items one operation may make (a post is 280)
MAX_BITS = 4096  # a number a template computes

# When the render under way must end (time.monotonic()), set by posts.render.
deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "template_deadline", default=None
)


class RenderLimitError(TemplateError):
    "A template went past a rendering limit"


def check_deadline() -> None:
    """A :class:`RenderLimitError` once the render under way has run out of time."""
    end = deadline.get()
    if end is not None and time.monotonic() > end:
        raise RenderLimitError("it takes too long to render (loops inside loops?): make it simpler")


KINDS = ("announcement", "reminder", "spotlight", "starting", "recap", "publication")
DEFAULTS_DIR = Path(__file__).resolve().parent / "templates"
SUFFIX = ".j2"

# ``shorten`` wraps its text in these (ASCII separators never appear in a post); the renderer
# trims the piece once it knows how much room the rest of the post leaves.
SHORTEN_START = "\x1e"
SHORTEN_MID = "\x1f"
SHORTEN_RE = re.compile("\x1e(\\d*)\x1f([^\x1e]*)\x1e")


def _template_kind(name: str) -> str | None:
    stem = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else None
    if stem is None:
        return None
    kind = stem.split("-", 1)[0]
    return kind if kind in KINDS else None


def _folders(templates_dir: str | os.PathLike[str] | None) -> list[Path]:
    folders = []
    if templates_dir is not None:
        user = Path(templates_dir)
        if not user.is_dir():
            raise TemplateError(
                f"the templates folder {user} does not exist: create it, or leave the option out "
                "to use the built-in templates"
            )
        folders.append(user.resolve())
    folders.append(DEFAULTS_DIR)
    return folders


def check_kind(kind: str) -> None:
    """A :class:`TemplateError` listing the kinds unless ``kind`` is one of :data:`KINDS`."""
    if kind not in KINDS:
        raise TemplateError(f"unknown kind of post {kind!r}: use one of {', '.join(KINDS)}")


def variants(kind: str, templates_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """The template file names for ``kind``, defaults and the user's together, sorted by name."""
    check_kind(kind)
    names: set[str] = set()
    for folder in _folders(templates_dir):
        for path in folder.glob(f"{kind}*{SUFFIX}"):
            if _template_kind(path.name) == kind:  # not announcementextra.j2
                names.add(path.name)
    if not names:
        raise TemplateError(
            f"no template for {kind} posts: add {kind}{SUFFIX} to the templates folder"
        )
    return sorted(names, key=lambda n: (n != kind + SUFFIX, n))


# --- filters -------------------------------------------------------------------------------


def handle_or_name(person: Any) -> str:
    """``@handle`` when the person has an X handle, else their name."""
    handle = getattr(person, "handle", None)
    name = getattr(person, "name", None)
    if isinstance(person, Mapping):
        handle, name = person.get("handle"), person.get("name")
    if handle:
        return "@" + str(handle).lstrip("@")
    return str(name if name is not None else person)


def join_and(items: Iterable[Any], limit: int | None = None) -> str:
    """``A``, ``A and B``, ``A, B and C``; past ``limit`` items, ``A, B and 3 more``."""
    words = [str(i) for i in items if i]
    if limit is not None and len(words) > limit:
        shown = words[:limit]
        return f"{', '.join(shown)} and {len(words) - limit} more"
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _hour(dt: datetime) -> str:
    hour = dt.hour % 12 or 12
    suffix = "a.m." if dt.hour < 12 else "p.m."
    if dt.minute == 0 and dt.hour in (0, 12):
        return "noon" if dt.hour else "midnight"  # AP style, never 12 a.m. or 12 p.m.
    return f"{hour}:{dt.minute:02d} {suffix}" if dt.minute else f"{hour} {suffix}"


@lru_cache(maxsize=1024)  # a campaign formats the same few dates over and over
def format_when(value: datetime | date, style: str, tz: str) -> str:
    """``value`` written for a post in the zone ``tz`` (see the module doc for the styles)."""
    if isinstance(value, datetime):
        from campaign.clock import local

        value = local(value, tz)
    # AP style: March to July are never abbreviated, September is "Sept."
    month_short = {3: "March", 4: "April", 5: "May", 6: "June", 7: "July", 9: "Sept."}
    if style == "day":
        return f"{value:%A}, {value:%B} {value.day}"
    if style == "weekday":
        return f"{value:%A}"
    if style == "short":
        short = month_short.get(value.month, f"{value:%b}.")
        return f"{short} {value.day}"
    if style == "date":
        return f"{value:%B} {value.day}, {value.year}"
    if style == "time":
        if not isinstance(value, datetime):
            raise TemplateError("datefmt('time') needs a date with a time of day")
        return f"{_hour(value)} {value:%Z}".strip()
    raise TemplateError(
        f"unknown date style {style!r} in a template: use day, weekday, short, date or time"
    )


def _shorten(text: Any, limit: int | None = None) -> str:
    if not text:
        return ""
    flat = " ".join(str(text).split())
    return f"{SHORTEN_START}{limit if limit is not None else ''}{SHORTEN_MID}{flat}{SHORTEN_START}"


# --- the environment -----------------------------------------------------------------------


def _data_fields() -> dict[type, frozenset[str]]:
    """The fields of the campaign's data classes: plain data, safe to read in a template."""
    from dataclasses import fields

    from campaign.models import Cadence, CampaignSettings, Event, Metadata, Publication, Speaker

    classes = (Cadence, CampaignSettings, Event, Metadata, Publication, Speaker)
    return {c: frozenset(f.name for f in fields(c)) for c in classes}


def _too_big(what: str) -> RenderLimitError:
    return RenderLimitError(
        f"{what} would be too large for a post (over {MAX_VALUE:,} characters or items): "
        "make it smaller"
    )


def bounded_binop(operator: str, left: Any, right: Any) -> Any:
    """``left <operator> right`` for ``*`` and ``**``, refused when the result would be huge."""
    numbers = (int, float)
    if operator == "**":
        if (
            isinstance(left, int)
            and isinstance(right, int)
            and right > 0
            and max(left.bit_length(), 1) * right > MAX_BITS
        ):
            raise _too_big("a power")
        return left**right
    sizes = [len(x) for x in (left, right) if isinstance(x, str | list | tuple)]
    counts = [x for x in (left, right) if isinstance(x, int) and not isinstance(x, bool)]
    if sizes and counts and sizes[0] * max(counts[0], 0) > MAX_VALUE:
        raise _too_big("a repeated text or list")
    if (
        len(counts) == 2
        and counts[0].bit_length() + counts[1].bit_length() > MAX_BITS
        and all(isinstance(x, numbers) for x in (left, right))
    ):
        raise _too_big("a product")
    return left * right


def _bounded_filter(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` refusing any number over MAX_VALUE among its arguments after the value (a width,
    a count: ``center(10**9)``)."""
    skip = 2 if getattr(f, "jinja_pass_arg", None) is not None else 1

    @functools.wraps(f)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        for arg in (*args[skip:], *kwargs.values()):
            if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_VALUE:
                raise _too_big(f"the number {arg} given to a filter")
        return f(*args, **kwargs)

    return guarded


def _checked_range(*args: int) -> Iterator[int]:
    from jinja2.sandbox import safe_range

    for i, n in enumerate(safe_range(*args)):
        if i % 1000 == 0:
            check_deadline()
        yield n


def _folder_loader(folders: tuple[Path, ...]) -> Any:
    """A loader that reads templates (and their includes) only from inside ``folders``."""
    from jinja2 import BaseLoader, TemplateNotFound
    from jinja2.loaders import split_template_path

    class FolderLoader(BaseLoader):
        def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
            pieces = split_template_path(template)  # refuses '..'
            for folder in folders:
                path = folder.joinpath(*pieces)
                if not (path.exists() or path.is_symlink()):
                    continue
                real = path.resolve()
                if not real.is_relative_to(folder):
                    raise TemplateError(
                        f"the template {template} in {folder} is a link to a file outside "
                        "the templates folder: templates are read only from inside it; copy "
                        "the file into the folder instead"
                    )
                if not real.is_file():
                    continue
                size = real.stat().st_size
                if size > MAX_TEMPLATE_BYTES:
                    raise TemplateError(
                        f"the template {template} in {folder} is {size:,} bytes: a post's "
                        f"template is a few lines (at most {MAX_TEMPLATE_BYTES // 1024} KiB)"
                    )
                with real.open(encoding="utf-8") as fh:
                    text = fh.read(MAX_TEMPLATE_BYTES + 1)
                return text, str(path), lambda: True
            raise TemplateNotFound(template)

    return FolderLoader()


@lru_cache(maxsize=16)
def _environment(folders: tuple[Path, ...]) -> SandboxedEnvironment:
    from jinja2 import StrictUndefined, pass_context
    from jinja2.runtime import Context
    from jinja2.sandbox import SandboxedEnvironment

    data_fields = _data_fields()

    class CampaignSandbox(SandboxedEnvironment):
        """The sandbox, with a quick way through for the fields of the campaign's own data.

        Those fields hold plain values (text, dates, tuples), for which the sandbox's checks
        always pass; every other attribute goes through them as usual.
        """

        intercepted_binops = frozenset({"*", "**"})

        def getattr(self, obj: Any, attribute: str) -> Any:
            if attribute in data_fields.get(type(obj), ()):
                return getattr(obj, attribute)
            return super().getattr(obj, attribute)

        def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
            return bounded_binop(operator, left, right)

    env = CampaignSandbox(
        loader=_folder_loader(folders),
        undefined=StrictUndefined,
        autoescape=False,  # plain text for X, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # one process renders one plan: compile each template once
        cache_size=400,
    )

    @pass_context
    def datefmt(ctx: Context, value: datetime | date | None, style: str = "day") -> str:
        if value is None:
            return ""
        campaign = ctx.get("campaign")
        tz = getattr(campaign, "timezone", None) or "UTC"
        return format_when(value, style, tz)

    env.filters.update(
        handle_or_name=handle_or_name,
        datefmt=datefmt,
        join_and=join_and,
        shorten=_shorten,
    )
    env.filters = {name: _bounded_filter(f) for name, f in env.filters.items()}
    env.globals["range"] = _checked_range
    return env


def environment(templates_dir: str | os.PathLike[str] | None = None) -> SandboxedEnvironment:
    """The sandboxed environment for ``templates_dir`` (the user's folder first, then the defaults)."""
    return _environment(tuple(_folders(templates_dir)))


def _where(e: BaseException, fallback: str) -> tuple[str, int | None]:
    """The template file and line an error comes from (Jinja2 puts template frames in tracebacks)."""
    lineno = getattr(e, "lineno", None)
    filename = getattr(e, "filename", None) or getattr(e, "name", None)
    if filename and lineno:
        return str(filename), int(lineno)
    for frame in reversed(traceback.extract_tb(e.__traceback__)):
        if frame.filename.endswith(SUFFIX):
            return frame.filename, frame.lineno
    return fallback, lineno


def template_error(e: BaseException, name: str) -> TemplateError:
    """A :class:`TemplateError` for ``e`` raised by the template ``name``, naming file and line."""
    filename, lineno = _where(e, name)
    where = f"{filename}, line {lineno}" if lineno else filename
    message = getattr(e, "message", None) or str(e)
    if type(e).__name__ == "UndefinedError":
        hint = "check the spelling, or guard an optional fact with {% if … %}"
    elif type(e).__name__ == "TemplateSyntaxError":
        hint = "fix the template syntax"
    elif type(e).__name__ == "SecurityError":
        hint = "templates may only read the post's facts"
    else:
        hint = "fix the template"
    return TemplateError(f"template {where}: {message} ({hint})")


def load(name: str, templates_dir: str | os.PathLike[str] | None = None) -> Template:
    """The compiled template ``name`` (e.g. ``spotlight.j2``), or a :class:`TemplateError`."""
    if templates_dir is None:
        found = _DEFAULT_TEMPLATES.get(name)
        if found is None:
            found = _DEFAULT_TEMPLATES[name] = _load(name, _DEFAULT_FOLDERS, _DEFAULT_SHOWN)
        return found
    return _load(name, tuple(_folders(templates_dir)), str(templates_dir))


_DEFAULT_FOLDERS = (DEFAULTS_DIR,)
_DEFAULT_SHOWN = str(DEFAULTS_DIR)
_DEFAULT_TEMPLATES: dict[str, Template] = {}


@lru_cache(maxsize=256)
def _load(name: str, folders: tuple[Path, ...], shown: str) -> Template:
    from jinja2 import TemplateError as JinjaError
    from jinja2 import TemplateNotFound

    env = _environment(folders)
    try:
        return env.get_template(name)
    except TemplateNotFound as e:
        raise TemplateError(f"no template named {name} in {shown}") from e
    except JinjaError as e:
        raise template_error(e, name) from e


def source(name: str, templates_dir: str | os.PathLike[str] | None = None) -> str:
    """The text of the template ``name`` as it will be used (the user's copy if there is one),
    read under the same rules as a render (inside the folder, not too large)."""
    from jinja2 import TemplateNotFound

    env = environment(templates_dir)
    assert env.loader is not None
    try:
        text: str = env.loader.get_source(env, name)[0]
    except TemplateNotFound as e:
        raise TemplateError(f"no template named {name} in {templates_dir or DEFAULTS_DIR}") from e
    return text
