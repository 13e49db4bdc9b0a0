"""Ids and secrets shaped like WhatsApp's, all drawn from one seedable RNG."""

from __future__ import annotations

import base64
import random

__all__ = ["SimIds"]

_PAIRING_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTVWXYZ"


class SimIds:
    def __init__(self, seed: int | None) -> None:
        # Not for security: ids only need to look real and be reproducible with a seed.
        self._rng = random.Random(seed)  # noqa: S311

    def _hex(self, length: int) -> str:
        return "".join(self._rng.choice("0123456789ABCDEF") for _ in range(length))

    def _b64(self, size: int) -> str:
        return base64.b64encode(self._rng.randbytes(size)).decode()

    def provider_message_id(self) -> str:
        """An id like Baileys' `generateMessageIDV2`: `3EB0` and 18 hex digits."""
        return "3EB0" + self._hex(18)

    def customer_message_id(self) -> str:
        """An id like an Android phone's: 32 upper-case hex digits."""
        return self._hex(32)

    def qr(self) -> str:
        """`2@<ref>,<noise key>,<identity key>,<adv secret>` as Baileys emits it."""
        return f"2@{self._b64(24)},{self._b64(32)},{self._b64(32)},{self._b64(32)}"

    def pairing_code(self) -> str:
        return "".join(self._rng.choice(_PAIRING_ALPHABET) for _ in range(8))

    def own_phone(self) -> str:
        """The simulated account's own number (Brazilian mobile, as the demo tenants use)."""
        return "5511" + "9" + "".join(self._rng.choice("0123456789") for _ in range(8))

    def media_key(self) -> str:
        return self._b64(32)

    def vote_cipher(self) -> tuple[str, str]:
        return self._b64(48), self._b64(12)

    def chance(self, probability: float) -> bool:
        return probability > 0 and self._rng.random() < probability
