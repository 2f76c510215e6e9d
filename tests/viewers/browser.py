"""Chromium as a person sees a page: one headless browser driven over the DevTools protocol
(a minimal WebSocket client), screenshots compared pixel by pixel, and a small local web
server for the pages it looks at."""

import base64
import http.server
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import signal
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import zlib
from pathlib import Path

def png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Decodes an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes) to raw pixels."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or interlace or color not in (2, 6):
        raise ValueError(f"{path}: unsupported PNG (depth {depth}, colour {color}, interlace {interlace})")
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    out = bytearray()
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += line
        prev = line
    return width, height, bytes(out)


class Picture:
    """A screenshot that compares by its pixels. Chromium encodes equal pixels to equal
    filtered scanlines, so equal decompressed image data means equal pixels (cheap); unequal
    data is decoded in full before it is called a difference (png_pixels)."""

    def __init__(self, path: Path):
        self.path = path
        data = path.read_bytes()
        pos, idat = 8, []
        while pos < len(data):
            (length,) = struct.unpack(">I", data[pos:pos + 4])
            if data[pos + 4:pos + 8] in (b"IHDR", b"IDAT"):
                idat.append(data[pos + 8:pos + 8 + length])
            pos += 12 + length
        self.header = idat[0]
        self.data = zlib.decompress(b"".join(idat[1:]))

    def __eq__(self, other):
        if not isinstance(other, Picture):
            return False
        if (self.header, self.data) == (other.header, other.data):
            return True
        return png_pixels(self.path) == png_pixels(other.path)


class Site(http.server.ThreadingHTTPServer):
    """Serves the cases on 127.0.0.1: /raw/... as text/plain; charset=utf-8 (a paste's raw
    view), everything else as text/html; charset=utf-8."""

    def __init__(self, root: Path):
        root_dir = str(root)

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **k):
                super().__init__(*a, directory=root_dir, **k)

            def guess_type(self, path):
                return "text/plain; charset=utf-8" if "/raw/" in str(path) else "text/html; charset=utf-8"

            def log_message(self, *a):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        # Chromium may drop a connection it no longer needs; that is no failure of the matrix.
        self.handle_error = lambda request, address: None
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def missing_programs(programs) -> list[str]:
    """Which of `programs` (found on PATH), and Chromium, are not installed."""
    missing = [name for name in programs if not shutil.which(name)]
    try:
        chromium_binary()
    except FileNotFoundError:
        missing.append("chromium")
    return missing


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return name
    raise FileNotFoundError("chromium")


class WebSocket:
    """Just enough of RFC 6455 to talk to Chromium's DevTools endpoint on 127.0.0.1."""

    def __init__(self, url: str):
        u = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self._chunk()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(f"DevTools refused the WebSocket: {head[:200]!r}")

    def _chunk(self) -> bytes:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise EOFError("Chromium closed the DevTools connection")
        return chunk

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            self.buf += self._chunk()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, text: str):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                                  bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 else
                                  bytes([0x80 | 127]) + struct.pack(">Q", n))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self) -> str:
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                (n,) = struct.unpack(">H", self._read(2))
            elif n == 127:
                (n,) = struct.unpack(">Q", self._read(8))
            payload = self._read(n)
            if b0 & 0x0F == 8:
                raise EOFError("Chromium closed the DevTools connection")
            if b0 & 0x0F in (9, 10):
                continue
            message += payload
            if b0 & 0x80:
                return message.decode()


class Chromium:
    """One headless Chromium, driven over the DevTools protocol: a page is loaded, its fonts
    awaited, and its pixels captured at 900x700, scale 1."""

    def __init__(self, width: int = 900, height: int = 700, scrollbars: bool = False):
        self.profile = tempfile.mkdtemp(prefix="ghostsum-chromium-")
        self.width, self.height = width, height
        hide = [] if scrollbars else ["--hide-scrollbars"]
        self.proc = subprocess.Popen(
            [chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu", *hide,
             "--no-first-run", "--force-device-scale-factor=1", f"--user-data-dir={self.profile}",
             "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            # Its own process group: close() ends the helpers too, which otherwise write
            # into the profile after it is removed (empty profiles were left in /tmp).
            start_new_session=True)
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError("chromium exited before opening DevTools")
            m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            port = m and int(m.group(1))
        threading.Thread(target=lambda: self.proc.stderr.read(), daemon=True).start()
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = WebSocket(page["webSocketDebuggerUrl"])
        self.next_id = 0
        self.events = []
        self.lock = threading.Lock()
        self.call("Page.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]
            self.events.append(msg)

    def load(self, url: str):
        """Navigates and waits for the load event and the fonts."""
        self.events.clear()
        result = self.call("Page.navigate", url=url)
        if result.get("errorText"):
            raise RuntimeError(f"chromium could not load {url}: {result['errorText']}")
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(json.loads(self.ws.recv()))
        self.evaluate("document.fonts.ready.then(() => true)")

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, url: str) -> bytes:
        with self.lock:
            self.load(url)
            return base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])

    def page_height(self, url: str) -> int:
        """The page's whole height in CSS pixels."""
        with self.lock:
            self.load(url)
            return int(self.evaluate("document.documentElement.scrollHeight"))

    def screenshot_of(self, url: str, top: int, height: int) -> bytes:
        """The page's region from `top`, `height` pixels tall and the viewport's width, wherever
        it is scrolled: the same text in two pages compares pixel for pixel."""
        with self.lock:
            self.load(url)
            clip = {"x": 0, "y": top, "width": self.width, "height": height, "scale": 1}
            shot = self.call("Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True)
            return base64.b64decode(shot["data"])

    def close(self):
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # helpers that outlived the browser
        except ProcessLookupError:
            pass
        # The group's last helpers may still be exiting: remove until nothing is left.
        deadline = time.monotonic() + 5
        while os.path.exists(self.profile) and time.monotonic() < deadline:
            shutil.rmtree(self.profile, ignore_errors=True)
            time.sleep(0.05)
