"""What a ranking ranks: one piece's figures, a table of pieces, near-copies folded into one.

A *piece* is one image's results (or a group of near-identical images' results summed) within a
rule's scope. Readers (campaigns.ranking.selectors) return pieces as a `PieceTable`, whichever
table they read; scoring ranks tables. Plain Python and NumPy: no Django models here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

# Perceptual-hash distance (bits of 64) within which two images are one piece. Re-encodes and
# resizes of one image stay within it; it is kept tight because flat graphics that share a
# layout in other colours can sit only a few bits apart, and merging two real pieces is worse
# than showing a near-copy.
FOLD_DISTANCE = 2

COUNT_FIELDS = (
    "impressions",
    "clicks",
    "link_clicks",
    "conversions",
    "leads",
    "video_views",
    "engagements",
)
FIELDS = (*COUNT_FIELDS, "spend", "conversion_value")


@dataclass(frozen=True, slots=True)
class PieceFigures:
    """One image's results within the rule's scope; money is in the reporting currency."""

    image_id: int
    phash: str
    impressions: float = 0
    clicks: float = 0
    link_clicks: float = 0
    spend: float = 0.0
    conversions: float = 0.0
    conversion_value: float = 0.0
    leads: float = 0
    video_views: float = 0
    engagements: float = 0
    days: int = 0
    platforms: tuple[str, ...] = ()
    # The images folded into this piece; empty means just `image_id`.
    member_image_ids: tuple[int, ...] = ()

    @property
    def members(self) -> tuple[int, ...]:
        return self.member_image_ids or (self.image_id,)

    def value(self, name: str) -> float:
        return float(getattr(self, name))


class PieceSource(StrEnum):
    """Where a table's pieces were read, which says whether their near-copies are named."""

    OBJECTS = "objects"  # built from PieceFigures: members as the objects say
    WEEKLY_ROLLUP = "weekly_rollup"  # summed per image from the rollup, then folded here
    WINDOW_TOTALS = "window_totals"  # prebuilt per piece, near-copies already summed in

    @property
    def lists_near_copies(self) -> bool:
        """False for the window totals: each piece stands under its first-stored image, its
        near-copies' figures summed in but their ids not kept (a query finds them)."""
        return self is not PieceSource.WINDOW_TOTALS


@dataclass(frozen=True)
class PieceTable:
    """Pieces as numpy columns, by ascending image id, near-duplicates already folded.

    A brief's thousands of pieces never become objects; only the references returned do
    (`piece(i)`).
    """

    image_ids: np.ndarray
    phashes: list[str]
    platforms: list[tuple[str, ...]]
    columns: dict[str, np.ndarray]  # every name in FIELDS
    days: np.ndarray
    # The images folded into each piece, where known; empty means just the piece's own.
    members: list[tuple[int, ...]] | None = None
    source: PieceSource = PieceSource.OBJECTS
    folded: int = 0  # pieces merged into others while the table was built

    def __len__(self) -> int:
        return len(self.image_ids)

    @classmethod
    def from_pieces(
        cls,
        pieces: Sequence[PieceFigures],
        *,
        source: PieceSource = PieceSource.OBJECTS,
        folded: int = 0,
    ) -> PieceTable:
        n = len(pieces)
        return cls(
            image_ids=np.fromiter((p.image_id for p in pieces), dtype=np.int64, count=n),
            phashes=[p.phash for p in pieces],
            platforms=[p.platforms for p in pieces],
            columns={
                name: np.fromiter((getattr(p, name) for p in pieces), dtype=float, count=n)
                for name in FIELDS
            },
            days=np.fromiter((p.days for p in pieces), dtype=np.int64, count=n),
            members=[p.member_image_ids for p in pieces],
            source=source,
            folded=folded,
        )

    def piece(self, i: int) -> PieceFigures:
        figures = {name: self.columns[name][i].item() for name in FIELDS}
        return PieceFigures(
            image_id=int(self.image_ids[i]),
            phash=self.phashes[i],
            days=int(self.days[i]),
            platforms=self.platforms[i],
            member_image_ids=self.members[i] if self.members else (),
            **figures,
        )

    def image_ids_named(self) -> frozenset[int]:
        """Every image the table names: each piece's own and the near-copies it lists."""
        named = {int(image_id) for image_id in self.image_ids}
        for own in self.members or ():
            named.update(own)
        return frozenset(named)


def piece_table(
    pieces: Sequence[PieceFigures],
    *,
    fold: bool = True,
    fold_distance: int = FOLD_DISTANCE,
    source: PieceSource = PieceSource.OBJECTS,
) -> PieceTable:
    """Pieces as a table, sorted by image id and, unless `fold=False`, near-copies folded."""
    ordered = sorted(pieces, key=lambda p: p.image_id)
    folded = fold_near_duplicates(ordered, distance=fold_distance) if fold else ordered
    return PieceTable.from_pieces(folded, source=source, folded=len(ordered) - len(folded))


# --- near-duplicates ----------------------------------------------------------------------


def near_duplicate_leaders(phashes: Sequence[str], *, distance: int) -> list[int]:
    """Return, for each hash in order, the position of the first earlier hash that leads it.

    Greedy leader grouping: an item joins the first leader within `distance` bits, else leads
    its own group. Unlike a transitive closure, chains of small differences never merge
    unrelated pictures into one giant group.
    """
    hashes = np.array([int(h, 16) for h in phashes], dtype=np.uint64)
    n = len(hashes)
    leader = [-1] * n
    # Close pairs, computed a block of rows at a time: 512 × 25,000 uint64 is 100 MB at worst.
    close_after: dict[int, list[int]] = {}
    for start in range(0, n, 512):
        rows, cols = np.nonzero(
            np.bitwise_count(hashes[start : start + 512, None] ^ hashes[None, :]) <= distance
        )
        for i, j in zip((rows + start).tolist(), cols.tolist(), strict=True):
            if j > i:
                close_after.setdefault(i, []).append(j)
    for i in range(n):
        if leader[i] != -1:
            continue
        leader[i] = i
        for j in close_after.get(i, ()):
            if leader[j] == -1:
                leader[j] = i
    return leader


def fold_near_duplicates(
    pieces: Sequence[PieceFigures], *, distance: int = FOLD_DISTANCE
) -> list[PieceFigures]:
    """Merge pieces whose images are near-identical into one piece with summed figures.

    The merged piece is shown as its member with the most impressions.
    """
    if not pieces:
        return []
    leaders = near_duplicate_leaders([p.phash for p in pieces], distance=distance)

    groups: dict[int, list[PieceFigures]] = {}
    for i, piece in enumerate(pieces):
        groups.setdefault(leaders[i], []).append(piece)
    folded = []
    for members in groups.values():
        if len(members) == 1:
            folded.append(members[0])
            continue
        lead = max(members, key=lambda p: (p.impressions, -p.image_id))
        summed = {name: sum(getattr(p, name) for p in members) for name in FIELDS}
        folded.append(
            replace(
                lead,
                **summed,
                # Days overlap when near-duplicates ran together: the longest run is honest.
                days=max(p.days for p in members),
                platforms=tuple(sorted({pl for p in members for pl in p.platforms})),
                member_image_ids=tuple(sorted(p.image_id for p in members)),
            )
        )
    return folded
