"""Reading the files a user names (stack files, exports, policy configs): bytes, then UTF-8 text,
or one OfflineError line that names the file and says what to do."""

from __future__ import annotations

import codecs
from pathlib import Path

from offline import OfflineError


def read_user_file(path: Path, label: str) -> bytes:
    """The bytes of `path`; `label` starts every error line (e.g. "Pulumi.x.yaml: the stack file")."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise OfflineError(f"{label} does not exist in {path.parent}") from None
    except IsADirectoryError:
        raise OfflineError(f"{label} is a directory, not a file") from None
    except OSError as error:
        raise OfflineError(f"{label} cannot be read: {error.strerror}") from None


def decode_text(raw: bytes, label: str, hint: str = "") -> str:
    """UTF-8 text (a byte-order mark is dropped). UTF-16, with or without its mark, and other
    encodings are refused with the offset of the first bad byte."""
    # A NUL in the first two bytes is UTF-16 without a byte-order mark: no UTF-8 text starts so.
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in raw[:2]:
        raise OfflineError(f"{label} is UTF-16 text; save it as UTF-8{hint}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise OfflineError(f"{label} is not UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start}); "
                           "save it as UTF-8") from None


def read_text_file(path: Path, label: str, hint: str = "") -> str:
    return decode_text(read_user_file(path, label), label, hint)
