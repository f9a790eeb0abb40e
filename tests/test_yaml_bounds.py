"""Hostile metadata YAML and event pages: size, depth and aliases are bounded before anything
is built, with one plain error line; a fuzzed document is refused with our error or loaded,
never a traceback; a good document always loads."""

from __future__ import annotations

import contextlib
import resource
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.errors import CampaignError
from campaign.limits import MAX_YAML_DEPTH
from campaign.metadata import parse_file, parse_text
from tests.fixtures.simulator import campaign_command

SAMPLE = Path(__file__).resolve().parent.parent / "campaign" / "data" / "policing-in-conflict.yaml"


def _limit_memory() -> None:
    limit = 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("load", "/dev/zero"), None, "Error: /dev/zero is larger than 1,024 KiB"),
        (("import-page", "/dev/zero"), None, "Error: /dev/zero is larger than 1,024 KiB"),
        (("import-page", "-"), "/dev/zero", "Error: standard input is larger than 1,024 KiB"),
    ],
)
def test_endless_input_is_refused_in_bounded_memory(
    tmp_path: Path, args: tuple[str, ...], stdin: str | None, message: str
) -> None:
    """/dev/zero given to load or import-page, in a process limited to 1 GiB, ends with one
    Error line and exit 2 (it read until 6 GB)."""
    with open(stdin or "/dev/null", "rb") as feed:
        done = subprocess.run(
            [*campaign_command(), *args],
            stdin=feed,
            capture_output=True,
            text=True,
            preexec_fn=_limit_memory,
            timeout=60,
            check=False,
        )
    assert (2, message, 1) == (
        done.returncode,
        done.stderr[: len(message)],
        len(done.stderr.strip().splitlines()),
    )


def test_yaml_nested_fifty_thousand_deep_is_refused(tmp_path: Path, run: Any) -> None:
    """Flow YAML nested 50,000 deep is one Error line naming the limit, not a traceback."""
    path = tmp_path / "deep.yaml"
    path.write_text("campaign: " + "[" * 50_000 + "]" * 50_000 + "\n")
    result = run("load", path)
    assert (2, f"Error: {path}, line 1: the YAML nests more than {MAX_YAML_DEPTH}") == (
        result.exit_code,
        result.output[: len(f"Error: {path}, line 1: the YAML nests more than {MAX_YAML_DEPTH}")],
    )


def test_block_yaml_nested_too_deep_is_refused() -> None:
    """Indented lists nested past the limit are refused with the line where it goes too deep."""
    text = "campaign:\n" + "".join("  " * i + "-\n" for i in range(1, 60))
    with pytest.raises(CampaignError, match=f"line {MAX_YAML_DEPTH + 1}: the YAML nests"):
        parse_text(text, "deep.yaml")


def test_a_billion_laughs_is_refused() -> None:
    """Aliases of aliases (a YAML bomb) are refused before they are walked."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 14)]
    with pytest.raises(CampaignError, match="aliases"):
        parse_text("\n".join(lines), "bomb.yaml")


def test_the_sample_still_loads() -> None:
    """The bundled metadata is well within every bound."""
    assert "Policing in Conflict" in parse_file(SAMPLE).event.title


YAMLISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.dates(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(doc=YAMLISH)
def test_fuzzed_documents_are_loaded_or_refused_plainly(doc: Any) -> None:
    """Any YAML document: metadata or our own error, never another exception."""
    with contextlib.suppress(CampaignError):
        parse_text(yaml.safe_dump(doc), "fuzz.yaml")


SAMPLE_TEXT = SAMPLE.read_text(encoding="utf-8")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    at=st.integers(0, len(SAMPLE_TEXT)),
    junk=st.text(alphabet="[]{}:-&*!|>'\"#\n\t %@`,?", max_size=30),
)
def test_mangled_sample_is_loaded_or_refused_plainly(at: int, junk: str) -> None:
    """The sample with hostile characters spliced in anywhere: metadata or our own error."""
    with contextlib.suppress(CampaignError):
        parse_text(SAMPLE_TEXT[:at] + junk + SAMPLE_TEXT[at:], "mangled.yaml")


TOP_LINES = [i for i, text in enumerate(SAMPLE_TEXT.split("\n")) if text[:1].isalpha()]


@settings(max_examples=60, deadline=None)
@given(
    comment=st.text(
        alphabet=st.characters(blacklist_categories=["Cs", "Cc", "Zl", "Zp"]), max_size=40
    ),
    line=st.sampled_from(TOP_LINES),
)
def test_a_good_document_always_loads_the_same(comment: str, line: int) -> None:
    """A comment line added before any top-level key of the sample changes nothing it loads to."""
    lines = SAMPLE_TEXT.split("\n")
    lines.insert(line, "# " + comment)
    assert parse_file(SAMPLE) == parse_text("\n".join(lines), "commented.yaml")
