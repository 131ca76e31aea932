"""A fraud-detection request row, as the fraud spec's request fields describe it (no tests).

The fraud service's tests and those of its edited variants send the same shape of row; each
names the user and merchant it scores and changes only the fields a check is about.
"""

from __future__ import annotations

__all__ = ["fraud_row"]


def fraud_row(user: str, merchant: str, **changes: object) -> dict[str, object]:
    """A valid row for ``user`` at ``merchant`` (transaction ``t-<user>``), then ``changes``."""
    row: dict[str, object] = {
        "transaction_id": f"t-{user}",
        "user_id": user,
        "merchant_id": merchant,
        "amount_usd": 125.0,
        "currency": "USD",
        "country": "US",
        "channel": "web",
    }
    row.update(changes)
    return row
