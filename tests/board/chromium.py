"""Headless Chromium (Debian's `chromium`, installed by deploy/local/prereqs.sh) driven by its command line,
and a small PNG reader to check the screenshots it takes. No browser automation library."""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    if not Path(CHROMIUM).exists():
        raise AssertionError(
            f"chromium not found at {CHROMIUM}: run `make setup` (deploy/local/prereqs.sh installs it)"
        )
    # A fresh profile per run: no state from an earlier run, nothing written to the home folder.
    with tempfile.TemporaryDirectory(prefix="board-chromium-") as profile:
        command = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # the tests may run as root, where the sandbox refuses to start
            "--disable-gpu",
            "--disable-dev-shm-usage",  # small /dev/shm in containers
            "--disable-background-networking",
            "--no-first-run",
            "--hide-scrollbars",
            "--lang=zh-CN",
            f"--user-data-dir={profile}",
            *args,
        ]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if completed.returncode != 0:
        raise AssertionError(f"chromium exited {completed.returncode}: {completed.stderr[-2000:]}")
    return completed


def dump_dom(url: str, timeout: float = 120) -> str:
    """The DOM after the page loaded, serialised as HTML (what the browser shows, not what the server sent)."""
    return _run(["--dump-dom", url], timeout).stdout


def screenshot(url: str, path: Path, width: int, height: int, timeout: float = 120) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    _run([f"--screenshot={path}", f"--window-size={width},{height}", url], timeout)
    if not path.exists():
        raise AssertionError(f"chromium reported success but wrote no screenshot at {path}")
    return path


@dataclass
class Image:
    width: int
    height: int
    channels: int  # 3 (RGB) or 4 (RGBA)
    pixels: bytes  # rows top to bottom, `channels` bytes per pixel

    def pixel(self, x: int, y: int) -> tuple[int, ...]:
        start = (y * self.width + x) * self.channels
        return tuple(self.pixels[start : start + 3])

    def colours(self, step: int = 3) -> dict[tuple[int, ...], int]:
        """How many sampled pixels (every `step`-th in both directions) have each RGB colour."""
        counts: dict[tuple[int, ...], int] = {}
        for y in range(0, self.height, step):
            for x in range(0, self.width, step):
                colour = self.pixel(x, y)
                counts[colour] = counts.get(colour, 0) + 1
        return counts


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which the PNG format requires first."""
    head = path.read_bytes()[:24]
    if head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        raise AssertionError(f"{path} is not a PNG")
    return struct.unpack(">II", head[16:24])


def read_png(path: Path) -> Image:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) into raw pixels."""
    data = path.read_bytes()
    if data[:8] != PNG_SIGNATURE:
        raise AssertionError(f"{path} is not a PNG")
    position, idat = 8, []
    width = height = channels = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour_type not in (2, 6) or interlace:
                raise AssertionError(
                    f"unsupported PNG: depth {depth}, colour type {colour_type}, interlace {interlace}"
                )
            channels = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    pixels = bytearray(stride * height)
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:  # Sub
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:  # Up
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        elif kind == 3:  # Average
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + predictor) & 0xFF
        elif kind != 0:
            raise AssertionError(f"bad PNG filter {kind} on row {y}")
        pixels[y * stride : (y + 1) * stride] = line
        previous = line
    return Image(width, height, channels, bytes(pixels))


def near(colours: dict[tuple[int, ...], int], rgb: tuple[int, int, int], tolerance: int = 6) -> int:
    """Sampled pixels within `tolerance` of `rgb` on every channel (colour management may shift a unit or two)."""
    return sum(n for c, n in colours.items() if all(abs(a - b) <= tolerance for a, b in zip(c, rgb, strict=True)))
