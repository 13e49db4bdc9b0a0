"""Real PNG images of QR codes, so an operator can scan what the UI shows (segno, pure Python)."""

from __future__ import annotations

import io

import segno

__all__ = ["png_of"]


def png_of(text: str, *, scale: int = 4) -> bytes:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()
