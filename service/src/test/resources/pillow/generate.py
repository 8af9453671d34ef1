"""Test vectors from Pillow 9.4.0 (Debian bookworm's python3-pil, the version of the preprocessing golden).

Run from this directory: python3 generate.py ../golden/preprocess/chelsea.png
Writes, for each image file F: F (the encoded test image) and F.rgb (Pillow's
ImageOps.exif_transpose(Image.open(F)).convert("RGB"), HWC uint8), and for each resize case the
input and Pillow's Image.resize(size, BICUBIC). manifest.json lists them all.
Sources: a crop of chelsea.png (CC0, see ../golden/preprocess/manifest.json) and seeded noise.
"""
import io
import json
import struct
import sys
import zlib

import numpy as np
import PIL
from PIL import Image, ImageOps

chelsea = Image.open(sys.argv[1]).convert("RGB")
im = chelsea.crop((180, 60, 180 + 40, 60 + 27))  # the cat's face; 40x27 is no multiple of the 8/16 JPEG blocks
rng = np.random.default_rng(2024)
manifest = {"pillow": PIL.__version__, "decode": [], "resize": []}


def decoded(name, note, exact=True):
    ref = ImageOps.exif_transpose(Image.open(name)).convert("RGB")
    with open(name + ".rgb", "wb") as f:
        f.write(ref.tobytes())
    manifest["decode"].append({"file": name, "pillow_mode": Image.open(name).mode, "width": ref.width,
                               "height": ref.height, "exact": exact, "what": note})


def save(name, img, note, exact=True, **kw):
    img.save(name, **kw)
    decoded(name, note, exact)


def png16(name, arr, color_type, note):
    """16-bit PNGs written by hand: Pillow cannot write 16-bit RGB(A) or gray+alpha."""
    h, w = arr.shape[:2]
    raw = b"".join(b"\x00" + arr[y].astype(">u2").tobytes() for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    with open(name, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    decoded(name, note)


exif = Image.Exif()
save("q420.jpg", im, "JPEG 4:2:0", quality=90, subsampling=2)
save("q422.jpg", im, "JPEG 4:2:2", quality=90, subsampling=1)
save("q444.jpg", im, "JPEG 4:4:4", quality=90, subsampling=0)
save("progressive.jpg", im, "progressive JPEG", quality=85, progressive=True)
save("gray.jpg", im.convert("L"), "grayscale JPEG", quality=90)
save("cmyk.jpg", im.convert("CMYK"), "CMYK JPEG with Adobe marker", quality=95)
with open("q420.jpg", "rb") as f:
    jpeg = f.read()
with open("trailing.jpg", "wb") as f:  # bytes after EOI, as some cameras and editors leave
    f.write(jpeg + b"\x00" * 64 + b"trailer")
decoded("trailing.jpg", "JPEG with bytes after EOI")
dqt = jpeg.index(b"\xff\xdb")
with open("extraneous.jpg", "wb") as f:  # libjpeg warns "extraneous bytes before marker"; Pillow accepts
    f.write(jpeg[:dqt] + b"\x00\x11\x22" + jpeg[dqt:])
decoded("extraneous.jpg", "JPEG with extraneous bytes before a marker")
exif[0x0112] = 6
save("exif6.jpg", im, "JPEG, EXIF orientation 6", quality=90, exif=exif.tobytes())
exif[0x0112] = 5
save("exif5.png", im, "PNG with eXIf, orientation 5", exif=exif.tobytes())
small = im.crop((10, 5, 23, 12))  # 13x7
for o in range(1, 9):
    exif[0x0112] = o
    save("orientation%d.png" % o, small, "PNG, EXIF orientation %d" % o, exif=exif.tobytes())
save("rgb.png", im, "PNG RGB")
rgba = np.array(im.convert("RGBA"))
rgba[..., 3] = rng.integers(0, 256, rgba.shape[:2])
save("rgba.png", Image.fromarray(rgba), "PNG RGBA, random alpha")
save("l.png", im.convert("L"), "PNG gray")
la = np.array(im.convert("LA"))
la[..., 1] = 9
save("la.png", Image.fromarray(la, "LA"), "PNG gray+alpha")
save("p.png", im.quantize(37), "PNG palette with tRNS", transparency=3)
save("p4.png", im.quantize(16), "PNG 4-bit palette", bits=4)
save("1bit.png", im.convert("1"), "PNG 1-bit")
save("p.gif", im.quantize(200), "GIF")
save("rgb.bmp", im, "BMP 24-bit")
save("p.bmp", im.quantize(100), "BMP 8-bit palette")
save("1bit.bmp", im.convert("1"), "BMP 1-bit")
save("lossless.webp", im, "WebP lossless", lossless=True)
save("lossy.webp", im, "WebP lossy (VP8): not bit-exact", exact=False, quality=80)
g16 = np.array(im.convert("L")).astype(np.uint16) * 3  # up to 765: Pillow clamps above 255
save("g16.png", Image.fromarray(g16, "I;16"), "PNG 16-bit gray (Pillow mode I, clamped)")
with open("g16.png", "rb") as f:
    g16_png = f.read()
trns = b"tRNS" + struct.pack(">H", 300)
with open("g16_trns.png", "wb") as f:  # ImageIO adds an alpha band for tRNS; Pillow still opens mode "I"
    f.write(g16_png[:33] + struct.pack(">I", 2) + trns + struct.pack(">I", zlib.crc32(trns)) + g16_png[33:])
decoded("g16_trns.png", "PNG 16-bit gray with tRNS (Pillow mode I, clamped)")
png16("rgb16.png", rng.integers(0, 65536, (9, 7, 3)), 2, "PNG 16-bit RGB")
png16("rgba16.png", rng.integers(0, 65536, (9, 7, 4)), 6, "PNG 16-bit RGBA")
png16("la16.png", rng.integers(0, 65536, (9, 7, 2)), 4, "PNG 16-bit gray+alpha")

def gif_by_hand(name, screen, box, indices, transparency, note):
    """A GIF whose first frame covers only part of (or overflows) its logical screen; Pillow cannot write one."""
    pal = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 200, 200, 200])
    out, acc, n = bytearray(), 0, 0
    for code in [c for v in indices for c in (4, v)] + [5]:  # a clear code before each pixel keeps codes 3 bits
        acc, n = acc | code << n, n + 3
        while n >= 8:
            out.append(acc & 0xFF)
            acc, n = acc >> 8, n - 8
    out += bytes([acc]) if n else b""
    data = b"GIF89a" + struct.pack("<HHBBB", screen[0], screen[1], 0x81, 0, 0) + pal
    if transparency is not None:
        data += b"\x21\xf9\x04" + bytes([1, 0, 0, transparency, 0])
    data += b"\x2c" + struct.pack("<HHHHB", *box, 0) + b"\x02" + bytes([len(out)]) + bytes(out) + b"\x00\x3b"
    with open(name, "wb") as f:
        f.write(data)
    decoded(name, note)


gif_by_hand("offset.gif", (8, 6), (2, 1, 4, 3), [1, 2, 3, 1] * 3, None, "GIF frame inside a larger screen")
gif_by_hand("offset_t.gif", (8, 6), (2, 1, 4, 3), [1, 2, 3, 1] * 3, 2, "GIF, screen filled with the transparent index")
gif_by_hand("overflow.gif", (4, 3), (2, 1, 4, 3), [1, 2, 3, 1] * 3, None, "GIF frame overflowing its screen")

def png_chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)


def png_by_hand(name, w, h, depth, color_type, interlace, raw, note):
    with open(name, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, interlace))
                + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))
    decoded(name, note)


a = np.array(im)
h, w = a.shape[:2]
adam7 = b""
for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
    adam7 += b"".join(b"\x00" + row.tobytes() for row in a[y0::dy, x0::dx])
png_by_hand("adam7.png", w, h, 8, 2, 1, adam7, "PNG, Adam7 interlaced")
g2 = np.array(im.convert("L")) >> 6
png_by_hand("g2.png", w, h, 2, 0, 0, b"".join(b"\x00" + np.packbits(np.unpackbits(r.astype(np.uint8)[:, None], axis=1)[:, 6:]).tobytes()
                                            for r in g2), "PNG 2-bit gray")


def bmp_by_hand(name, bpp, rows, note, compression=0, masks=(), topdown=False, palette=b""):
    data = b"".join(rows)
    extra = b"".join(struct.pack("<I", m) for m in masks)
    off = 14 + 40 + len(extra) + len(palette)
    info = struct.pack("<IiiHHIIiiII", 40, w, -h if topdown else h, 1, bpp, compression, len(data), 2835, 2835,
                       len(palette) // 4, 0)
    with open(name, "wb") as f:
        f.write(b"BM" + struct.pack("<IHHI", off + len(data), 0, 0, off) + info + extra + palette + data)
    decoded(name, note)


def pad4(b):
    return b + b"\x00" * (-len(b) % 4)


r, g, b = (a[..., c].astype(int) for c in range(3))
bottom_up = range(h - 1, -1, -1)
p565 = (r >> 3) << 11 | (g >> 2) << 5 | b >> 3
bmp_by_hand("b565.bmp", 16, [pad4(p565[y].astype("<u2").tobytes()) for y in bottom_up], "BMP 16-bit 5-6-5 bitfields",
            compression=3, masks=(0xF800, 0x07E0, 0x001F))
p555 = (r >> 3) << 10 | (g >> 3) << 5 | b >> 3
bmp_by_hand("b555.bmp", 16, [pad4(p555[y].astype("<u2").tobytes()) for y in bottom_up], "BMP 16-bit 5-5-5")
bmp_by_hand("topdown.bmp", 24, [pad4(a[y][:, [2, 1, 0]].tobytes()) for y in range(h)], "BMP 24-bit top-down", topdown=True)
gray16 = np.array(im.convert("L")) >> 4
rle = []
for y in bottom_up:
    out, x = b"", 0
    while x < w:
        n = 1
        while x + n < w and gray16[y][x + n] == gray16[y][x]:
            n += 1
        out, x = out + bytes([n, gray16[y][x]]), x + n
    rle.append(out + b"\x00\x00")
rle[-1] = rle[-1][:-2] + b"\x00\x01"  # end of bitmap
bmp_by_hand("rle8.bmp", 8, rle, "BMP RLE8, 16-grey palette", compression=1,
            palette=b"".join(bytes([v * 17] * 3 + [0]) for v in range(16)))

noise = Image.fromarray(rng.integers(0, 256, (23, 31, 3), dtype=np.uint8))
with open("noise.rgb", "wb") as f:
    f.write(noise.tobytes())
for w, h in [(31, 23), (62, 46), (32, 24), (15, 11), (7, 40), (31, 1), (1, 23), (100, 9), (31, 60), (45, 23)]:
    out = "noise_%dx%d.rgb" % (w, h)
    with open(out, "wb") as f:
        f.write(noise.resize((w, h), Image.BICUBIC).tobytes())
    manifest["resize"].append({"input": "noise.rgb", "from": [noise.width, noise.height], "to": [w, h], "file": out})

with open("manifest.json", "w") as f:
    json.dump(manifest, f, indent=1)
