"""Findings, per-file results and scan options."""

from __future__ import annotations

import copy
import enum
from dataclasses import dataclass, field, fields, replace

import numpy as np

from shoumi.scanner.kinds import Confidence, Kind

# ``FileResult.file_format`` of a folder's result: its name contains an identifier, or it
# cannot be listed.
FOLDER_FORMAT = "folder"


class FileStatus(enum.Enum):
    """Outcome of scanning one file; everything except ``SCANNED`` is listed as not scanned."""

    SCANNED = "scanned"
    UNREADABLE = "unreadable"
    ENCRYPTED = "encrypted"
    UNSUPPORTED = "unsupported"
    LIMIT_EXCEEDED = "limit_exceeded"


@dataclass(frozen=True)
class Location:
    """Where a finding is: a line and character column, a spreadsheet cell, or a PDF page line.

    ``column`` is the 1-based character column (characters, not bytes, so
    ``column - 1`` is the character offset in the line). ``part`` names a
    place inside a container file, such as an e-mail attachment or a Word
    header.
    """

    line: int | None = None
    column: int | None = None
    sheet: str | None = None
    cell: str | None = None
    page: int | None = None
    part: str | None = None

    def __str__(self) -> str:
        pieces = []
        if self.part:
            pieces.append(self.part)
        if self.page is not None:
            pieces.append(f"p{self.page}")
        if self.cell is not None:
            pieces.append(f"{self.sheet}!{self.cell}" if self.sheet else self.cell)
        if self.line is not None:
            pieces.append(
                f"{self.line}:{self.column}" if self.column is not None else str(self.line)
            )
        return " ".join(pieces)


@dataclass(frozen=True)
class Finding:
    """One validated identifier. It holds the mask only; the plaintext is never kept."""

    path: str
    location: Location
    kind: Kind
    masked: str
    confidence: Confidence
    length: int

    def to_dict(self) -> dict:
        location = {key: value for key, value in vars(self.location).items() if value is not None}
        return {
            "path": self.path,
            "location": str(self.location),
            **location,
            "kind": self.kind.label,
            "masked": self.masked,
            "confidence": self.confidence.label,
            "length": self.length,
        }


# Integer columns of a FindingTable that are int64 where scanned and narrowed when pickled.
NARROWED_COLUMNS = ("byte_offset", "line", "column", "length")


@dataclass
class FindingTable:
    """Findings of one text stream as parallel arrays, made into :class:`Finding` objects on demand.

    Dense files hold thousands of findings per megabyte; keeping them as
    arrays until a report needs them keeps the scan itself cheap.
    ``byte_offset`` is the offset in the UTF-8 text (the file offset for UTF-8 files).

    The integer columns of :data:`NARROWED_COLUMNS` are int64 in the process that scanned
    and in copies, and the narrowest unsigned type that holds their values in a table that
    was pickled, as the tables received from worker processes are (see ``__getstate__``).
    Reading them needs no care (``tolist`` gives Python integers). Call :meth:`widened`
    before adding to them: NumPy keeps the narrow type, so a sum wraps around, or raises
    OverflowError for a Python integer that the type cannot hold.
    """

    byte_offset: np.ndarray
    line: np.ndarray
    column: np.ndarray
    length: np.ndarray
    kind: np.ndarray
    confidence: np.ndarray
    masked: np.ndarray
    part: str | None = None

    def __len__(self) -> int:
        return int(self.kind.shape[0])

    def __getstate__(self) -> dict:
        # Worker processes send their tables to the parent pickled. The integer columns go
        # in the narrowest unsigned type that can store their values, which made the results
        # of the 64 MiB benchmark corpus 11.2 MB instead of 20.3 MB. They stay narrow in the
        # parent: widening them there took 5 ms of the parent's CPU time per 64 MiB, on one
        # of the two cores that two workers keep busy.
        state = dict(self.__dict__)
        for name in NARROWED_COLUMNS:
            column = state[name]
            if column.size and column.min() < 0:
                continue
            largest = int(column.max()) if column.size else 0
            for narrow in (np.uint8, np.uint16, np.uint32):
                if largest <= np.iinfo(narrow).max:
                    state[name] = column.astype(narrow)
                    break
        return state

    def __copy__(self) -> FindingTable:
        # copy.copy would otherwise go through __getstate__ and narrow the copy's columns.
        return replace(self)

    def __deepcopy__(self, memo: dict) -> FindingTable:
        return replace(
            self,
            **{item.name: copy.deepcopy(getattr(self, item.name), memo) for item in fields(self)},
        )

    @classmethod
    def joined(cls, tables: list[FindingTable]) -> FindingTable:
        """Return one table with the rows of ``tables`` in order (without their ``part``)."""
        return cls(
            byte_offset=np.concatenate([table.byte_offset for table in tables]),
            line=np.concatenate([table.line for table in tables]),
            column=np.concatenate([table.column for table in tables]),
            length=np.concatenate([table.length for table in tables]),
            kind=np.concatenate([table.kind for table in tables]),
            confidence=np.concatenate([table.confidence for table in tables]),
            masked=np.concatenate([table.masked for table in tables]),
        )

    def rows(self, selected: slice, part: str | None) -> FindingTable:
        """Return the ``selected`` rows as a table of ``part``, its columns views of these."""
        return FindingTable(
            byte_offset=self.byte_offset[selected],
            line=self.line[selected],
            column=self.column[selected],
            length=self.length[selected],
            kind=self.kind[selected],
            confidence=self.confidence[selected],
            masked=self.masked[selected],
            part=part,
        )

    def widened(self) -> FindingTable:
        """Return this table with its integer columns as int64 (itself if they are already)."""
        if all(getattr(self, name).dtype == np.int64 for name in NARROWED_COLUMNS):
            return self
        return replace(
            self, **{name: getattr(self, name).astype(np.int64) for name in NARROWED_COLUMNS}
        )

    def findings(self, path: str) -> list[Finding]:
        kinds = [Kind(value) for value in self.kind.tolist()]
        levels = [Confidence(value) for value in self.confidence.tolist()]
        masks = [value.decode("ascii") for value in self.masked.tolist()]
        return [
            Finding(
                path=path,
                location=Location(line=line, column=column, part=self.part),
                kind=kind,
                masked=masked,
                confidence=confidence,
                length=length,
            )
            for line, column, kind, masked, confidence, length in zip(
                self.line.tolist(),
                self.column.tolist(),
                kinds,
                masks,
                levels,
                self.length.tolist(),
                strict=True,
            )
        ]


@dataclass
class FileResult:
    """Result of scanning one file, or one member of an archive (``archive.zip!member``)."""

    path: str
    status: FileStatus = FileStatus.SCANNED
    file_format: str = ""
    size: int = 0
    encoding: str | None = None
    message: str = ""
    tables: list[FindingTable] = field(default_factory=list)
    extra_findings: list[Finding] = field(default_factory=list)

    @property
    def finding_count(self) -> int:
        return sum(len(table) for table in self.tables) + len(self.extra_findings)

    @property
    def findings(self) -> list[Finding]:
        found = [finding for table in self.tables for finding in table.findings(self.path)]
        return found + self.extra_findings

    def kind_counts(self) -> dict[Kind, int]:
        counts: dict[Kind, int] = {}
        for table in self.tables:
            values, numbers = np.unique(table.kind, return_counts=True)
            for value, number in zip(values.tolist(), numbers.tolist(), strict=True):
                counts[Kind(value)] = counts.get(Kind(value), 0) + number
        for finding in self.extra_findings:
            counts[finding.kind] = counts.get(finding.kind, 0) + 1
        return counts


# With more than one worker, UTF-8 text files of at least this size plus one block are
# scanned in ranges of about this size, each a job of its own. One large file then keeps
# every worker busy, and the last file leaves a core idle for about one range at most.
# Scanning 4 MiB takes about 20 to 55 ms by format, and each range added about 1 to 2 ms
# of CPU time (estimated with tests/bench/make_corpus.py files on a 2-core AMD EPYC
# guest). With 1 MiB ranges that cost outweighed the shorter idle tail. Ranges are made
# of whole blocks (``block_bytes``).
SPLIT_BYTES = 4 << 20
# Bytes of text per engine call. The engine's cost per call is fixed at about 0.7 ms (some
# 700 NumPy calls), so larger blocks are cheaper until their arrays stop fitting the
# caches. On the benchmark machine (1 MiB L2 per core, 16 MiB L3 shared), 4 MiB blocks
# scanned the corpus 12 % faster than 1 MiB blocks, with one and with two workers. 8 and
# 16 MiB blocks were slower than 4 MiB.
BLOCK_BYTES = 4 << 20


@dataclass(frozen=True)
class ScanOptions:
    """Settings of a scan. Sizes are in bytes."""

    workers: int = 1
    min_confidence: Confidence = Confidence.LOW
    kinds: frozenset[Kind] = frozenset(Kind)
    block_bytes: int = BLOCK_BYTES
    split_bytes: int = SPLIT_BYTES
    # Limits against zip bombs: nesting depth, total uncompressed bytes, member count, and the
    # largest uncompressed/compressed ratio of one member.
    zip_max_depth: int = 3
    zip_max_total_bytes: int = 1 << 30
    zip_max_entries: int = 10_000
    zip_max_ratio: float = 200.0
    follow_symlinks: bool = False
