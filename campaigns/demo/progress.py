"""A small progress bar for long management commands: plain Python, no dependency.

On a terminal it redraws one line in place. Elsewhere (CI logs, a pipe, tests) it prints a line
when a stage starts, at every quarter, and when it ends, so logs stay short but still show
where a slow run is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class Progress(Protocol):
    def stage(self, label: str, total: int, unit: str = "") -> None: ...

    def advance(self, amount: int = 1) -> None: ...

    def done(self, note: str = "") -> None: ...


class SilentProgress:
    """Progress that reports nothing: for callers that do not care."""

    def stage(self, label: str, total: int, unit: str = "") -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass

    def done(self, note: str = "") -> None:
        pass


class ProgressBar:
    WIDTH = 30
    REDRAW_SECONDS = 0.1
    QUIET_STEPS = 4  # lines per stage when not on a terminal, besides start and end

    def __init__(
        self,
        *,
        write: Callable[[str], object],
        flush: Callable[[], object] = lambda: None,
        interactive: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write
        self._flush = flush
        self._interactive = interactive
        self._clock = clock
        self._label = ""
        self._unit = ""
        self._total = 0
        self._count = 0
        self._started = 0.0
        self._last_draw = 0.0
        self._next_step = 1

    def stage(self, label: str, total: int, unit: str = "") -> None:
        self._label, self._total, self._unit = label, max(0, total), unit
        self._count = 0
        self._started = self._last_draw = self._clock()
        self._next_step = 1
        if self._interactive:
            self._draw()
        else:
            self._line(f"{label}: starting ({self._amount(total)})")

    def advance(self, amount: int = 1) -> None:
        self._count = min(self._total, self._count + amount) if self._total else self._count
        now = self._clock()
        if self._interactive:
            if now - self._last_draw >= self.REDRAW_SECONDS:
                self._last_draw = now
                self._draw()
            return
        # Quiet mode: one line per quarter crossed.
        while self._total and self._count * self.QUIET_STEPS >= self._next_step * self._total:
            if self._next_step < self.QUIET_STEPS and self._count < self._total:
                self._line(
                    f"{self._label}: {self._percent()}% "
                    f"({self._amount(self._count)} of {self._amount(self._total)}, "
                    f"{now - self._started:.1f} s)"
                )
            self._next_step += 1

    def done(self, note: str = "") -> None:
        elapsed = self._clock() - self._started
        self._count = self._total
        suffix = f", {note}" if note else ""
        if self._interactive:
            self._draw()
            self._write(f"  done in {elapsed:.1f} s{suffix}\n")
            self._flush()
        else:
            self._line(f"{self._label}: done in {elapsed:.1f} s{suffix}")

    def _percent(self) -> int:
        return 100 if not self._total else self._count * 100 // self._total

    def _amount(self, value: int) -> str:
        return f"{value:,} {self._unit}".rstrip()

    def _draw(self) -> None:
        filled = self.WIDTH * self._percent() // 100
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        elapsed = self._clock() - self._started
        self._write(
            f"\r{self._label:<10} [{bar}] {self._percent():>3}% "
            f"{self._amount(self._count)} {elapsed:6.1f} s"
        )
        self._flush()

    def _line(self, text: str) -> None:
        self._write(text + "\n")
        self._flush()
