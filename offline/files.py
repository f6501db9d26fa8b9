"""Reading the files a user names (stack files, exports, policy configs): bytes, then UTF-8 text,
or one OfflineError line that names the file and says what to do."""

from __future__ import annotations

import codecs
from pathlib import Path

from offline import OfflineError

MAX_BYTES = 256 * 1024 * 1024
"""The largest file a command reads (a `pulumi stack export` of 50,000 resources is ~20 MB; parsed
JSON takes ~10x its size in memory, so a bigger file is refused rather than exhausting memory)."""


def read_user_file(path: Path, label: str, limit: int = MAX_BYTES) -> bytes:
    """The bytes of `path`; `label` starts every error line (e.g. "Pulumi.x.yaml: the stack file")."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise OfflineError(f"{label} is {size:,} bytes; at most {limit:,} are read")
        with path.open("rb") as handle:
            # A FIFO or a device reports no size: read at most one byte past the limit.
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise OfflineError(f"{label} is over {limit:,} bytes; at most that many are read")
        return data
    except FileNotFoundError:
        raise OfflineError(f"{label} does not exist in {path.parent}") from None
    except IsADirectoryError:
        raise OfflineError(f"{label} is a directory, not a file") from None
    except OSError as error:
        raise OfflineError(f"{label} cannot be read: {error.strerror}") from None


def decode_text(raw: bytes, label: str, hint: str = "") -> str:
    """UTF-8 text (a byte-order mark is dropped). UTF-16, with or without its mark, and other
    encodings are refused with the offset of the first bad byte."""
    # Three NULs beside the first character is UTF-32, a NUL in the first two bytes UTF-16, with or
    # without a byte-order mark: no UTF-8 text starts so.
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) or b"\x00\x00\x00" in (raw[:3], raw[1:4]):
        raise OfflineError(f"{label} is UTF-32 text; save it as UTF-8{hint}")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in raw[:2]:
        raise OfflineError(f"{label} is UTF-16 text; save it as UTF-8{hint}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise OfflineError(f"{label} is not UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start}); "
                           "save it as UTF-8") from None


def read_text_file(path: Path, label: str, hint: str = "") -> str:
    return decode_text(read_user_file(path, label), label, hint)
