"""The preview tree: the CLI's type display, a fixed width, colour on a terminal only."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offline.runner.tree import (
    DEFAULT_WIDTH,
    column_widths,
    display_type,
    layout_rows,
    output_width,
    print_preview,
    use_colour,
)
from tests.helpers import run_stack, tree_rows


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("token", "shown"), [
    ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2:SecurityGroup"),
    ("random:index/randomPassword:RandomPassword", "random:index:RandomPassword"),
    # The module's leaf differs from the type name: the CLI keeps the whole token.
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:vpc:SecurityGroupIngressRule"),
    ("kubernetes:core/v1:Namespace", "kubernetes:core/v1:Namespace"),
    ("azure-native:network:ApplicationGateway", "azure-native:network:ApplicationGateway"),
    ("pulumi:pulumi:Stack", "pulumi:pulumi:Stack"),
])
def test_types_are_shown_as_the_cli_shows_them(token: str, shown: str) -> None:
    assert display_type(token) == shown


def test_a_shipped_stack_fits_the_default_width_and_keeps_every_name() -> None:
    result = run_stack("production")
    out = io.StringIO()
    print_preview(result, out)
    lines = out.getvalue().splitlines()
    too_wide = [line for line in lines if len(line) > DEFAULT_WIDTH and not line.startswith("    ")]
    assert not too_wide, too_wide[:3]
    # One row per resource and the stack; a wrapped name is continued, never cut.
    rows = [line for line in lines if line.startswith(" +   ")]
    assert len(rows) == len(result.resources) + 1
    assert sorted([name for _, name in tree_rows(out.getvalue())[1:]]) == sorted(record.name for record in result.resources)
    assert any(line.startswith("     ") and not line.strip().startswith("Type") for line in lines), "nothing wrapped"


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-0123456789", min_size=1, max_size=120)
types = st.text(alphabet="abcdefghijklmnopqrstuvwxyz:/.0123456789", min_size=1, max_size=150)


@given(rows=st.lists(st.tuples(types, names), min_size=1, max_size=20), width=st.integers(60, 200))
def test_no_row_is_wider_than_the_width_and_no_character_is_lost(rows: list[tuple[str, str]], width: int) -> None:
    table = [(("│  " * (index % 3)) + type_, name, "create") for index, (type_, name) in enumerate(rows)]
    lines = layout_rows(table, width)
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    type_width, name_width = column_widths(table, width)
    starts = [index for index, line in enumerate(lines) if line.startswith(" +   ")]
    assert len(starts) == len(table)
    for (type_, _), (prefix_type, name, _), first, stop in zip(rows, table, starts, [*starts[1:], len(lines)], strict=True):
        row = [line.ljust(width) for line in lines[first:stop]]
        gutter = len(" +   ")
        # The name column, read down the row's lines, is the whole name; the plan is on the first line.
        assert "".join(line[gutter + type_width:gutter + type_width + name_width].strip() for line in row) == name
        assert row[0].rstrip().endswith("create")
        # The type column starts with the row's type and carries every character of it.
        types_read = [line[gutter:gutter + type_width].strip() for line in row]
        assert prefix_type.startswith(types_read[0])
        assert "".join(piece.lstrip("│ ") for piece in types_read) == type_


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert use_colour(Terminal()) is True
    assert use_colour(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "")  # set to anything, even empty, turns colour off
    assert use_colour(Terminal()) is False
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert use_colour(Terminal()) is False


def test_a_pipe_gets_plain_text_at_the_default_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    result = run_stack("local")
    piped, terminal = io.StringIO(), Terminal()
    print_preview(result, piped)
    print_preview(result, terminal)
    assert "\x1b[" not in piped.getvalue()
    assert output_width(piped) == DEFAULT_WIDTH
    assert "\x1b[32m+\x1b[0m" in terminal.getvalue()
