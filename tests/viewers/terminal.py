"""Terminal screens as a person sees them: a viewer run in a private tmux server, its screen
captured with colours and reverse video (capture-pane -e -N), parsed into cells, and compared
leaving out only what the viewer draws for itself (status lines, filler after the text)."""

import os
import re
import subprocess
import threading
import time
import unicodedata
from pathlib import Path

SGR = re.compile(r"\x1b\[([0-9;]*)m")


def cells(line: str) -> list[tuple[str, tuple]]:
    """A captured line (capture-pane -e) as (character, attributes) cells."""
    state = {}
    out = []
    pos = 0
    for m in SGR.finditer(line + "\x1b[m"):
        for ch in line[pos:m.start()]:
            out.append((ch, tuple(sorted(state.items()))))
        pos = m.end()
        params = [int(p) if p else 0 for p in m.group(1).split(";")] if m.group(1) else [0]
        i = 0
        while i < len(params):
            p = params[i]
            if p == 0:
                state = {}
            elif p in (38, 48) and i + 1 < len(params):
                n = 3 if params[i + 1] == 5 else 5
                state["fg" if p == 38 else "bg"] = tuple(params[i:i + n])
                i += n - 1
            elif 30 <= p <= 37 or 90 <= p <= 97:
                state["fg"] = p
            elif 40 <= p <= 47 or 100 <= p <= 107:
                state["bg"] = p
            elif p == 39:
                state.pop("fg", None)
            elif p == 49:
                state.pop("bg", None)
            elif p in (22, 23, 24, 25, 27, 28, 29):
                state.pop(str({22: 1, 23: 3, 24: 4, 25: 5, 27: 7, 28: 8, 29: 9}[p]), None)
                if p == 22:
                    state.pop("2", None)
            else:
                state[str(p)] = True
            i += 1
    return out


def blank(cell) -> bool:
    """A space with nothing that shows: no background, reverse video or underline."""
    ch, attrs = cell
    shown = {k for k, _ in attrs} & {"bg", "4", "7", "9"}
    return ch == " " and not shown


def visible_lines(captured: str, viewer: str) -> list[list]:
    # capture-pane ends every line, the last too, with a newline. Unicode format characters
    # (category Cf: U+200B...) have no width: tmux keeps them in a cell, a terminal draws nothing.
    captured = "".join(ch for ch in captured if unicodedata.category(ch) != "Cf")
    lines = captured.removesuffix("\n").split("\n")
    if viewer.startswith("nano"):
        lines = lines[1:-3]  # title bar; status line and two help lines
    elif viewer.startswith("vim"):
        lines = lines[:-1]  # message line
    rows = [cells(line) for line in lines]
    if viewer.startswith("less"):
        # less's prompt (file name, or "(END)") is its last line with anything on it.
        while rows and all(blank(c) for c in rows[-1]):
            rows.pop()
        rows = rows[:-1]
    for row in rows:
        while row and blank(row[-1]):
            row.pop()
    while rows and (not rows[-1] or "".join(c for c, _ in rows[-1]) == "~"):
        rows.pop()
    return rows


class Tmux:
    """One private tmux server; each look is a new session running the viewer."""

    def __init__(self):
        self.socket = f"ghostsum-matrix-{os.getpid()}"
        self.env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
        self.env.pop("TMUX", None)
        self.env.pop("LESS", None)
        self.counter = 0
        self.lock = threading.Lock()
        self.tmux("new-session", "-d", "-s", "keep", "-x", "80", "-y", "24", "sleep 100000")

    def tmux(self, *args, check=True):
        return subprocess.run(["tmux", "-u", "-L", self.socket, "-f", "/dev/null", *args], env=self.env,
                              capture_output=True, text=True, check=check).stdout

    def screen(self, viewer: str, path: Path) -> str:
        # A busy machine can starve the first try; a second one starts afresh.
        try:
            return self._screen(viewer, path)
        except TimeoutError:
            return self._screen(viewer, path)

    def _screen(self, viewer: str, path: Path) -> str:
        with self.lock:
            self.counter += 1
            name = f"s{self.counter}"
        command = {
            "cat": "cat",
            "less": "less",
            "vim": "vim --clean",
            "nano": "nano --ignorercfiles",
            "nano-debian": "nano",
            # At the file's end, where a suffix goes: a long file's first screen never shows it.
            "less-end": "less +G",
            "vim-end": "vim --clean +",
            # Debian's own vim (its /etc/vim/vimrc and defaults.vim: ruler, syntax, showcmd).
            "vim-debian-end": "vim +",
            "nano-end": "nano --ignorercfiles +-1",
            "nano-debian-end": "nano +-1",
        }[viewer]
        self.tmux("new-session", "-d", "-s", name, "-x", "80", "-y", "24", "-c", str(path.parent),
                  f"{command} {path.name}; sleep 100")
        try:
            # Wait until the screen holds something and has stopped changing.
            last, stable, deadline = None, 0, time.monotonic() + 20
            while time.monotonic() < deadline:
                time.sleep(0.05)
                # -N keeps trailing spaces: a coloured blank at a line's end is something shown.
                # cat's text may have scrolled up past the screen: its scrollback counts too.
                history = ["-S", "-"] if viewer == "cat" else []
                shot = self.tmux("capture-pane", "-e", "-N", "-p", *history, "-t", name)
                stable = stable + 1 if shot == last and shot.strip() else 0
                last = shot
                if stable >= 5:
                    return shot
            raise TimeoutError(f"{viewer} on {path}: the screen never settled: {last!r}")
        finally:
            self.tmux("kill-session", "-t", name, check=False)

    def close(self):
        self.tmux("kill-server", check=False)


def screen_difference(before: list, after: list) -> str:
    for i in range(max(len(before), len(after))):
        a = before[i] if i < len(before) else []
        b = after[i] if i < len(after) else []
        if a != b:
            text_a = "".join(c for c, _ in a)
            text_b = "".join(c for c, _ in b)
            if text_a.strip() == text_b.strip():
                return f"coloured blanks on line {i + 1}"
            common = os.path.commonprefix([text_a, text_b])
            shown = text_b[len(common):].strip() or text_b.strip()
            return f'"{shown[:24]}" on line {i + 1}' if shown else f"line {i + 1} changes"
    return "a different screen"
