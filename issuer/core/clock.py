"""Time as the service records it: UTC, to the whole second.

OB 3.0 timestamps (`validFrom`, proof `created`) carry no fractions, and the database keeps the
same moments, so a stored value and the signed one compare equal. Every "now" goes through here.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_seconds(moment: datetime | None = None) -> datetime:
    """`moment` (default: now) in UTC, truncated to the whole second."""
    return (moment or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)


def utc_stamp(moment: datetime | None = None) -> str:
    """`moment` (default: now) as `YYYY-MM-DDThh:mm:ssZ`, the form OB recommends."""
    return utc_seconds(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
