"""One reader for every file a user names: the same refusals for stack files and exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from offline import OfflineError
from offline.files import read_text_file

TEXT = "config:\n  orchestrator:platform: aws\n"


@pytest.mark.parametrize(("raw", "problem"), [
    (TEXT.encode("utf-16"), "is UTF-16 text; save it as UTF-8"),
    (TEXT.encode("utf-16-le"), "is UTF-16 text; save it as UTF-8"),  # no byte-order mark
    (TEXT.encode("utf-16-be"), "is UTF-16 text; save it as UTF-8"),
    (TEXT.replace("aws", "caf\xe9").encode("latin-1"), "is not UTF-8 (byte 0xe9 at offset 36); save it as UTF-8"),
])
def test_other_encodings_are_refused_with_one_line(tmp_path: Path, raw: bytes, problem: str) -> None:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_bytes(raw)
    with pytest.raises(OfflineError) as caught:
        read_text_file(path, "Pulumi.x.yaml: the stack file")
    assert str(caught.value) == f"Pulumi.x.yaml: the stack file {problem}"


def test_utf8_with_a_byte_order_mark_reads_as_text(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_bytes(TEXT.encode("utf-8-sig"))
    assert read_text_file(path, "stack file") == TEXT


def test_missing_and_directory_paths_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(OfflineError, match=rf"^export.json does not exist in {tmp_path}$"):
        read_text_file(tmp_path / "export.json", "export.json")
    with pytest.raises(OfflineError, match=r"^out is a directory, not a file$"):
        (tmp_path / "out").mkdir()
        read_text_file(tmp_path / "out", "out")
