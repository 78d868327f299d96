"""Identifier kinds and confidence levels that the scanner reports."""

from __future__ import annotations

import enum


class Kind(enum.IntEnum):
    """Kind of a finding; the lower-case names are used on the command line and in reports."""

    RESIDENT_ID = 1
    RESIDENCE_PERMIT = 2
    FOREIGN_PERMANENT_RESIDENCE_ID = 3
    USCC = 4
    BANK_CARD = 5
    MOBILE = 6
    PASSPORT = 7

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def title_zh(self) -> str:
        return _TITLES_ZH[self]

    @classmethod
    def from_label(cls, label: str) -> Kind:
        """Return the kind named by ``label`` (case-insensitive), or raise ``ValueError``."""
        try:
            return cls[label.strip().upper()]
        except KeyError:
            known = ", ".join(kind.label for kind in cls)
            raise ValueError(f"unknown kind {label!r}; expected one of: {known}") from None


_TITLES_ZH = {
    Kind.RESIDENT_ID: "居民身份证号",
    Kind.RESIDENCE_PERMIT: "港澳台居民居住证号",
    Kind.FOREIGN_PERMANENT_RESIDENCE_ID: "外国人永久居留身份证号",
    Kind.USCC: "统一社会信用代码",
    Kind.BANK_CARD: "银行卡号",
    Kind.MOBILE: "手机号",
    Kind.PASSPORT: "护照号",
}


class Confidence(enum.IntEnum):
    """How sure the scanner is that a validated candidate is personal data."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> Confidence:
        try:
            return cls[label.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown confidence {label!r}; expected low, medium or high"
            ) from None
