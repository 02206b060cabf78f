"""A small text progress bar for long-running commands (imports, rebuilds)."""
import sys
import time


class Progress:
    """Draws `label [#####-----] done/total` on a stream.

    On a terminal the bar redraws in place; elsewhere (CI logs, pipes) it
    prints a line every `every_seconds` so logs stay short but show life.
    """

    def __init__(self, total, label="", stream=None, width=30, every_seconds=2.0):
        self.total, self.label, self.width = total, label, width
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every = every_seconds
        self.done = 0
        self._last = 0.0
        self.started = time.monotonic()

    def advance(self, step=1):
        self.done += step
        now = time.monotonic()
        if self.done >= self.total or now - self._last >= (0.1 if self.tty else self.every):
            self._last = now
            self._draw(final=self.done >= self.total)

    def _draw(self, final=False):
        total = max(self.total, 1)
        filled = int(self.width * min(self.done, total) / total)
        bar = "#" * filled + "-" * (self.width - filled)
        rate = self.done / max(time.monotonic() - self.started, 1e-9)
        text = f"{self.label} [{bar}] {self.done}/{self.total} ({rate:.0f}/s)"
        if self.tty:
            self.stream.write("\r" + text + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self):
        if self.done < self.total:
            self._draw(final=True)
