"""Progress of long management commands (demo load, describing, embedding), drawn by tqdm.

A job reports stages: `stage(label, total, unit)`, then `advance(n)` as work is done, then
`done(note)`. Given a stream, each stage is a tqdm bar on it; on a terminal it redraws in place,
elsewhere (CI logs, a pipe) it redraws at most every LOG_SECONDS, so logs stay short but still
show where a slow run is. Given no stream, it reports nothing (services default to that).
"""

from __future__ import annotations

from typing import TextIO

from tqdm import tqdm

# Between two redraws when the stream is not a terminal: a start line, an end line, and one
# line per half minute in between.
LOG_SECONDS = 30.0


class Progress:
    def __init__(self, stream: TextIO | None = None, *, interactive: bool | None = None) -> None:
        self._stream = stream
        if interactive is None:
            interactive = bool(stream is not None and stream.isatty())
        self._interactive = interactive
        self._bar: tqdm | None = None

    def stage(self, label: str, total: int, unit: str = "") -> None:
        self.done()
        self._bar = tqdm(
            total=total,
            desc=label,
            unit=f" {unit}" if unit else "it",
            file=self._stream,
            disable=self._stream is None,
            mininterval=0.1 if self._interactive else LOG_SECONDS,
            dynamic_ncols=self._interactive,
            ascii=not self._interactive,
            leave=True,
        )

    def advance(self, amount: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(amount)

    def done(self, note: str = "") -> None:
        if self._bar is None:
            return
        if note:
            self._bar.set_postfix_str(note, refresh=False)
        self._bar.close()
        self._bar = None
