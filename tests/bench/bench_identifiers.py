"""Benchmark parsing of 1 million mixed identifiers on one core.

Builds a deterministic corpus of synthetic identifiers (every kind, about 30 % typed
messily, about 8 % wrong or with a failed check) and times, on one pinned core:

* ``parse(kind, text)`` with the kind known, one value per call;
* ``parse_many(pairs)`` on the whole corpus at once, as an import of a ledger can
  (target: 300,000 values/s); the timing includes the first collection of the young
  generation after it returns, which pays for the objects built while it paused the
  cyclic garbage collector;
* ``identify(text)`` with the kind unknown;
* the scanner's fast checks, ``VALIDATORS[kind](value)``, on normalised values;
* python-stdnum's ``is_valid`` for the kinds it covers (resident ID, credit code, card),
  against shoumi's parser and fast check on the same values.

Run: ``.venv/bin/python -m tests.bench.bench_identifiers [--count N] [--core C]``.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import random
import time
from collections.abc import Callable, Iterable

from stdnum import luhn
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from shoumi.identifiers import (
    VALIDATORS,
    InvalidIdentifier,
    Kind,
    checksums,
    identify,
    normalise,
    parse,
    parse_many,
)
from shoumi.identifiers.normalise import is_excel_truncated

COUNTY_CODES = ("110105", "110108", "310104", "310115", "320106", "330106", "440305", "440524",
                "510107", "610113", "110104", "420106")  # fmt: skip
CARD_PREFIXES = ("622202", "621700", "622848", "621483", "436742", "518378")
MOBILE_PREFIXES = ("138", "139", "186", "189", "199", "166", "177", "150", "192")
AREA_CODES = ("010", "021", "020", "0755", "0571", "0898")

# Share of each kind in the corpus, roughly as in an agency's client ledger.
KIND_WEIGHTS = {
    Kind.RESIDENT_ID: 30,
    Kind.MOBILE: 20,
    Kind.USCC: 15,
    Kind.BANK_CARD: 12,
    Kind.BANK_ACCOUNT: 8,
    Kind.LANDLINE: 5,
    Kind.ORG_CODE: 3,
    Kind.REGISTRATION_NUMBER: 3,
    Kind.PASSPORT: 2,
    Kind.FOREIGN_PERMANENT_RESIDENCE_ID: 2,
}


class Generator:
    """Synthetic identifiers from one seeded ``random.Random``."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def digits(self, count: int) -> str:
        return f"{self.random.randrange(10**count):0{count}d}"

    def birth_date(self) -> str:
        day = datetime.date(1940, 1, 1) + datetime.timedelta(days=self.random.randrange(25000))
        return day.strftime("%Y%m%d")

    def valid(self, kind: Kind) -> str:
        choice = self.random.choice
        if kind == Kind.RESIDENT_ID:
            body = choice(COUNTY_CODES) + self.birth_date() + self.digits(3)
            return body + checksums.mod_11_2(body)
        if kind == Kind.FOREIGN_PERMANENT_RESIDENCE_ID:
            body = (
                "9" + choice(("11", "31", "44")) + choice(("840", "392", "398")) + self.birth_date()
            )
            body += self.digits(3)
            return body + checksums.mod_11_2(body)
        if kind == Kind.USCC:
            org_body = "".join(choice(checksums.USCC_ALPHABET) for _ in range(8))
            body = choice(("91", "92", "93", "12", "52")) + choice(COUNTY_CODES) + org_body
            body += checksums.org_code_check(org_body)
            return body + checksums.uscc_check(body)
        if kind == Kind.ORG_CODE:
            body = self.digits(8)
            return body + checksums.org_code_check(body)
        if kind == Kind.REGISTRATION_NUMBER:
            body = choice(COUNTY_CODES) + self.digits(8)
            return body + checksums.mod_11_10(body)
        if kind == Kind.BANK_CARD:
            prefix = choice(CARD_PREFIXES)
            body = prefix + self.digits(choice((16, 19)) - len(prefix) - 1)
            return next(body + d for d in "0123456789" if checksums.luhn_is_valid(body + d))
        if kind == Kind.BANK_ACCOUNT:
            return choice("123456789") + self.digits(self.random.randrange(11, 22))
        if kind == Kind.MOBILE:
            return choice(MOBILE_PREFIXES) + self.digits(8)
        if kind == Kind.LANDLINE:
            area = choice(AREA_CODES)
            return area + choice("2345678") + self.digits(7 if len(area) == 3 else 6)
        if kind == Kind.PASSPORT:
            return "E" + self.digits(8)
        raise ValueError(kind)

    def text(self, kind: Kind) -> str:
        value = self.valid(kind)
        roll = self.random.random()
        if roll < 0.06:
            # A wrong last character: rejected, or warned for credit codes and cards.
            value = value[:-1] + ("1" if value[-1] != "1" else "2")
        elif roll < 0.08:
            value = value[:-1]
        if is_excel_truncated(value):
            value = value[:-1] + "7"
        style = self.random.random()
        if style < 0.70:
            return value
        if style < 0.85:
            return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
        if style < 0.92:
            return value.translate(_FULL_WIDTH)
        if style < 0.97:
            return "'" + value.lower() + " "
        return value + "\u200b"


_FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def build_corpus(count: int, seed: int) -> list[tuple[Kind, str]]:
    generator = Generator(seed)
    kinds = generator.random.choices(
        list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()), k=count
    )
    return [(kind, generator.text(kind)) for kind in kinds]


def time_calls(
    function: Callable[..., object], arguments: Iterable[tuple], repeat: int = 3
) -> float:
    """Return the best of ``repeat`` CPU times for calling ``function`` on each tuple.

    CPU time of this process, not wall-clock time, because other processes share the
    machine's two cores and would otherwise be counted against the code under test.
    """
    argument_list = list(arguments)
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for item in argument_list:
            try:
                function(*item)
            except InvalidIdentifier:
                pass
        best = min(best, time.process_time() - started)
    return best


def time_batch(function: Callable[[list], list], items: list, repeat: int = 3) -> float:
    """Return the best of ``repeat`` CPU times for one call on all ``items``.

    Each pass keeps the results until it has timed a collection of the young generation,
    so objects built while the call paused the garbage collector are paid for here.
    """
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        results = function(items)
        gc.collect(0)
        best = min(best, time.process_time() - started)
        del results
    return best


def _stdnum_valid(kind: Kind, value: str) -> bool:
    if kind == Kind.RESIDENT_ID:
        return stdnum_ric.is_valid(value)
    if kind == Kind.USCC:
        return stdnum_uscc.is_valid(value)
    return luhn.is_valid(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="number of values")
    parser.add_argument("--core", type=int, default=0, help="CPU core to pin the process to")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    os.sched_setaffinity(0, {arguments.core})

    started = time.perf_counter()
    corpus = build_corpus(arguments.count, arguments.seed)
    print(f"corpus: {len(corpus):,} values built in {time.perf_counter() - started:.1f} s")
    print(f"python {platform.python_version()}, pinned to core {arguments.core}")

    results: list[tuple[str, int, float]] = []

    seconds = time_calls(parse, corpus)
    results.append(("parse(kind, text), mixed corpus", len(corpus), seconds))

    seconds = time_batch(parse_many, corpus)
    results.append(("parse_many(pairs), mixed corpus", len(corpus), seconds))

    texts = [(text,) for _, text in corpus]
    seconds = time_calls(identify, texts, repeat=1)
    results.append(("identify(text), mixed corpus", len(texts), seconds))

    normalised: list[tuple[Kind, str]] = []
    for kind, text in corpus:
        try:
            normalised.append((kind, normalise(text)))
        except InvalidIdentifier:
            continue
    seconds = time_calls(lambda kind, value: VALIDATORS[kind](value), normalised)
    results.append(("VALIDATORS[kind](value), normalised", len(normalised), seconds))

    peer_kinds = (Kind.RESIDENT_ID, Kind.USCC, Kind.BANK_CARD)
    peer_values = [(kind, value) for kind, value in normalised if kind in peer_kinds]
    seconds = time_calls(_stdnum_valid, peer_values, repeat=1)
    results.append(("stdnum is_valid (ric, uscc, luhn)", len(peer_values), seconds))
    seconds = time_calls(parse, peer_values)
    results.append(("shoumi parse, same values", len(peer_values), seconds))
    seconds = time_calls(lambda kind, value: VALIDATORS[kind](value), peer_values)
    results.append(("shoumi fast check, same values", len(peer_values), seconds))

    print(f"{'measurement':42} {'values':>10} {'seconds':>8} {'values/s':>12}")
    for name, count, seconds in results:
        print(f"{name:42} {count:>10,} {seconds:>8.2f} {count / seconds:>12,.0f}")
    stdnum_rate = results[4][1] / results[4][2]
    print(f"parse / stdnum: {results[5][1] / results[5][2] / stdnum_rate:.2f}x")
    print(f"fast check / stdnum: {results[6][1] / results[6][2] / stdnum_rate:.2f}x")


if __name__ == "__main__":
    main()
