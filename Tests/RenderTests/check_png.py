"""Decodes an 8-bit grayscale or RGB PNG with the standard library only, independently of
LatentBook's encoder, and prints what it sees as JSON for PNGTests: width, height, color
type, the filter types used and the SHA-256 of the unfiltered pixel bytes. Exits non-zero on anything malformed."""
import hashlib
import json
import struct
import sys
import zlib

data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("bad signature")

chunks, pos = [], 8
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
    if len(body) != length or zlib.crc32(kind + body) != crc:
        sys.exit(f"chunk {kind!r} at byte {pos}: bad length or CRC")
    chunks.append((kind, body))
    pos += 12 + length

kinds = [k for k, _ in chunks]
if kinds[0] != b"IHDR" or kinds[-1] != b"IEND" or b"IDAT" not in kinds:
    sys.exit(f"bad chunk order {kinds}")
width, height, depth, color, compression, filtering, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
if depth != 8 or color not in (0, 2) or (compression, filtering, interlace) != (0, 0, 0) or width == 0 or height == 0:
    sys.exit(f"unsupported IHDR {width} {height} {depth} {color} {compression} {filtering} {interlace}")

bpp = 1 if color == 0 else 3
stride = width * bpp
raw = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
if len(raw) != height * (stride + 1):
    sys.exit(f"IDAT inflates to {len(raw)} bytes, expected {height * (stride + 1)}")


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


pixels, previous, used = bytearray(), bytearray(stride), set()
for y in range(height):
    kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = previous[i]
        c = previous[i - bpp] if i >= bpp else 0
        if kind == 0:
            predicted = 0
        elif kind == 1:
            predicted = a
        elif kind == 2:
            predicted = b
        elif kind == 3:
            predicted = (a + b) // 2
        elif kind == 4:
            predicted = paeth(a, b, c)
        else:
            sys.exit(f"row {y}: unknown filter type {kind}")
        line[i] = (line[i] + predicted) & 0xFF
    used.add(kind)
    pixels += line
    previous = line

print(json.dumps({"width": width, "height": height, "colorType": color, "filters": sorted(used),
                  "sha256": hashlib.sha256(pixels).hexdigest()}))
