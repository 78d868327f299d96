"""Synthetic, checksum-valid client data for demos, tests and benchmarks.

Every number is generated: region codes are real county codes so that the
values parse, but the birth dates, sequence numbers, card and account
numbers are random, and the check characters are computed. None of them is
taken from a real person or company.
"""

from __future__ import annotations

import datetime
import random

from faker import Faker

from shoumi.identifiers.checksums import luhn_is_valid, mod_11_2, uscc_check
from shoumi.identifiers.checksums import org_code_check as _org_code_check
from shoumi.identifiers.normalise import is_excel_truncated

# County codes from GB/T 2260 (Beijing, Shanghai, Guangzhou, Shenzhen, Hangzhou, Nanjing, Chengdu).
COUNTY_CODES = (
    "110105",
    "110108",
    "310104",
    "310115",
    "440106",
    "440305",
    "330106",
    "320106",
    "510107",
)
UNIONPAY_PREFIXES = ("621700", "622202", "621483", "622848", "623058")
MOBILE_PREFIXES = ("138", "139", "150", "151", "186", "188", "177", "199", "166")
BANKS = (
    "中国工商银行",
    "中国建设银行",
    "中国农业银行",
    "中国银行",
    "招商银行",
    "交通银行",
    "兴业银行",
)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


class SyntheticData:
    """A seeded source of synthetic identifiers and names."""

    def __init__(self, seed: int | None = None) -> None:
        self.random = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
        self.faker = Faker("zh_CN")
        if seed is not None:
            self.faker.seed_instance(seed)

    def resident_id(self) -> str:
        start = datetime.date(1950, 1, 1).toordinal()
        end = datetime.date(2004, 12, 31).toordinal()
        while True:
            birth = datetime.date.fromordinal(self.random.randint(start, end))
            body = (
                f"{self.random.choice(COUNTY_CODES)}{birth:%Y%m%d}{self.random.randint(0, 999):03d}"
            )
            value = body + mod_11_2(body)
            # One number in about 1,100 ends in 000, which imports refuse as Excel damage.
            if not is_excel_truncated(value):
                return value

    def uscc(self) -> str:
        org_body = "".join(self.random.choice(ORG_ALPHABET) for _ in range(8))
        organisation_code = org_body + _org_code_check(org_body)
        if organisation_code[-1] not in USCC_ALPHABET:
            return self.uscc()
        body = "91" + self.random.choice(COUNTY_CODES) + organisation_code
        return body + uscc_check(body)

    def bank_card(self, length: int = 19) -> str:
        while True:
            body = self.random.choice(UNIONPAY_PREFIXES) + "".join(
                str(self.random.randint(0, 9)) for _ in range(length - 7)
            )
            for digit in "0123456789":
                if luhn_is_valid(body + digit) and not is_excel_truncated(body + digit):
                    return body + digit

    def corporate_account(self) -> str:
        while True:
            length = self.random.choice((12, 15, 17, 19, 20))
            value = str(self.random.randint(1, 9)) + "".join(
                str(self.random.randint(0, 9)) for _ in range(length - 1)
            )
            if not is_excel_truncated(value):
                return value

    def mobile(self) -> str:
        return self.random.choice(MOBILE_PREFIXES) + "".join(
            str(self.random.randint(0, 9)) for _ in range(8)
        )

    def person_name(self) -> str:
        return self.faker.name()

    def company_name(self) -> str:
        return self.faker.company()

    def address(self) -> str:
        return self.faker.address().split(" ")[0]

    def bank_name(self) -> str:
        return self.random.choice(BANKS)
