#!/usr/bin/env python3
"""The README's picture: one file searched with the original five symbols (whitespace) and with
the default alphabet, each shown in less through tmux, the two screens drawn side by side by
Chromium. The screens are real captures (colours and reverse video kept), not drawn by hand.

  tests/viewers/picture.py --ghostsum target/release/ghostsum --out docs/less-side-by-side.png
"""

import argparse
import html
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import Chromium, Site  # noqa: E402
from terminal import Tmux, cells  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def screen_html(captured: str, rows: int) -> str:
    out = []
    for line in captured.removesuffix("\n").split("\n")[:rows]:
        spans = []
        for ch, attrs in cells(line):
            keys = {k for k, _ in attrs}
            text = html.escape(ch)
            spans.append(f'<span class="rev">{text}</span>' if "7" in keys else text)
        out.append("".join(spans))
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ghostsum", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ghostsum-picture-") as tmp:
        work = Path(tmp)
        panes = []
        for alphabet, title in (("whitespace", "--alphabet whitespace (the original five)"),
                                (None, "the default for .txt: space-tab-lf")):
            d = work / (alphabet or "default")
            d.mkdir()
            out = d / "notes.txt"
            extra = ["--alphabet", alphabet] if alphabet else []
            subprocess.run([str(Path(args.ghostsum).resolve()), "search", str(ROOT / "examples/notes.txt"),
                            "-p", "c0ffee", "-q", "-b", "cpu", "-o", str(out), *extra], check=True)
            tmux = Tmux()
            try:
                captured = tmux.screen("less", out)
            finally:
                tmux.close()
            panes.append((f"$ less notes.txt   # {title}", screen_html(captured, 18)))
        page = ("<!doctype html><meta charset=utf-8><style>body{margin:12px;background:#fff;font:14px DejaVu Sans}"
                "div{display:inline-block;vertical-align:top;margin-right:16px}"
                "pre{background:#111;color:#ddd;padding:8px;width:62ch;height:23.5em;margin:4px 0;"
                "font:14px 'DejaVu Sans Mono',monospace}.rev{background:#ddd;color:#111}</style><body>")
        for title, screen in panes:
            page += f"<div><b>{html.escape(title)}</b><pre>{screen}</pre></div>"
        (work / "page.html").write_text(page, encoding="utf-8")
        site = Site(work)
        chromium = Chromium(width=1180, height=420)
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_bytes(chromium.screenshot(f"{site.base}/page.html"))
        finally:
            chromium.close()
            site.shutdown()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
