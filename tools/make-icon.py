#!/usr/bin/env python3
"""Draws the packages' icon (src/icon.png, 128x128 RGBA): bars that rise with a budget, under a saturating curve.

Standard library only (zlib + struct), so anyone can regenerate it: python3 tools/make-icon.py
"""
import math
import os
import struct
import zlib

SIZE, SS = 128, 4  # output size and supersampling factor (anti-aliasing by averaging SS x SS subpixels)
BG, BAR, CURVE = (31, 59, 115), (120, 190, 255), (255, 196, 61)


def inside_rounded_square(x, y, size, radius):
    cx = min(max(x, radius), size - radius)
    cy = min(max(y, radius), size - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2


def saturating(x):
    # Accuracy against log budget: rises fast, then levels off (what the scaling study shows).
    return 1 - math.exp(-3.2 * x)


def colour_at(x, y):
    """Colour of the point (x, y) in 0..128 coordinates, or None outside the icon."""
    if not inside_rounded_square(x, y, SIZE, 22):
        return None
    left, right, bottom, top = 18, 110, 108, 22
    bars = 5
    width = (right - left) / bars
    for i in range(bars):
        x0 = left + i * width + 3
        x1 = left + (i + 1) * width - 3
        height = (bottom - top) * (0.25 + 0.7 * saturating((i + 1) / bars))
        if x0 <= x <= x1 and bottom - height <= y <= bottom:
            return BAR
    if left <= x <= right:
        t = (x - left) / (right - left)
        cy = bottom - (bottom - top) * (0.12 + 0.86 * saturating(t))
        if abs(y - cy) <= 3.2:
            return CURVE
    return BG


def render():
    rows = []
    for py in range(SIZE):
        row = bytearray([0])  # filter type 0
        for px in range(SIZE):
            acc = [0, 0, 0, 0]
            for sy in range(SS):
                for sx in range(SS):
                    c = colour_at(px + (sx + 0.5) / SS, py + (sy + 0.5) / SS)
                    if c is not None:
                        acc[0] += c[0]; acc[1] += c[1]; acc[2] += c[2]; acc[3] += 255
            n = SS * SS
            covered = acc[3] / 255
            if covered == 0:
                row += bytes(4)
            else:
                row += bytes([round(acc[0] / covered), round(acc[1] / covered), round(acc[2] / covered), round(acc[3] / n)])
        rows.append(bytes(row))
    return b"".join(rows)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def main():
    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(render(), 9))
    png += chunk(b"IEND", b"")
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "icon.png")
    with open(out, "wb") as f:
        f.write(png)
    print(f"wrote {os.path.normpath(out)} ({len(png)} bytes)")


if __name__ == "__main__":
    main()
