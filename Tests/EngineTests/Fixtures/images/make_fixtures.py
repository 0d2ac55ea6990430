"""Writes the imaging test fixtures and their reference values (run with /work/torchenv/bin/python).

Oracles: PIL (PNG/JPEG decoding, resampling in float 'F' mode) and matplotlib (colour maps).
Every fixture is tiny and seeded, so the committed files are reproducible.
"""
import json
import numpy as np
from PIL import Image
import matplotlib

rng = np.random.default_rng(1234)
ref = {}

def values(a):
    return [round(float(v), 7) for v in np.asarray(a, dtype=np.float64).ravel()]

# 8-bit gray and RGB (round-trip sources), 5x7.
gray = rng.integers(0, 256, (5, 7), dtype=np.uint8)
Image.fromarray(gray, "L").save("gray8.png")
ref["gray8"] = {"shape": [5, 7, 1], "pixels": values(gray / 255)}
rgb = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
Image.fromarray(rgb, "RGB").save("rgb8.png")
ref["rgb8"] = {"shape": [4, 6, 3], "pixels": values(rgb / 255)}

# RGBA: composited onto white, c*a + (1-a).
rgba = rng.integers(0, 256, (3, 5, 4), dtype=np.uint8)
Image.fromarray(rgba, "RGBA").save("rgba8.png")
a = rgba[..., 3:4] / 255
ref["rgba8"] = {"shape": [3, 5, 3], "pixels": values(rgba[..., :3] / 255 * a + (1 - a))}

# Gray + alpha.
la = rng.integers(0, 256, (4, 3, 2), dtype=np.uint8)
Image.fromarray(la, "LA").save("gray_alpha8.png")
a = la[..., 1:2] / 255
ref["gray_alpha8"] = {"shape": [4, 3, 1], "pixels": values(la[..., :1] / 255 * a + (1 - a))}

# Palette without and with transparency.
pal_idx = rng.integers(0, 4, (6, 5), dtype=np.uint8)
palette = np.array([[255, 0, 0], [0, 128, 255], [10, 20, 30], [250, 250, 0]], dtype=np.uint8)
p = Image.fromarray(pal_idx, "P"); p.putpalette(palette.ravel().tolist()); p.save("palette.png")
ref["palette"] = {"shape": [6, 5, 3], "pixels": values(palette[pal_idx] / 255)}
p.save("palette_trns.png", transparency=bytes([255, 0, 255, 128]))
alpha = np.array([255, 0, 255, 128])[pal_idx][..., None] / 255
ref["palette_trns"] = {"shape": [6, 5, 3], "pixels": values(palette[pal_idx] / 255 * alpha + (1 - alpha))}

# 16-bit gray (PIL writes mode I;16 as a 16-bit gray PNG) and 16-bit RGB (written with raw zlib).
import zlib, struct
def write_png16(path, arr):
    """A minimal 16-bit PNG writer (gray for 2-D arrays, RGB for H x W x 3), no gAMA chunk."""
    h, w = arr.shape[:2]
    colour_type = {2: 0, 3: {3: 2, 4: 6}.get(arr.shape[-1], 0)}[arr.ndim]
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xffffffff)
    raw = b"".join(b"\x00" + arr[y].astype(">u2").tobytes() for y in range(h))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    open(path, "wb").write(png)
def write_png8_gamma(path, arr, gamma):
    """8-bit gray PNG with a gAMA chunk: readers that colour-manage would change the values; PIL does not."""
    h, w = arr.shape
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xffffffff)
    raw = b"".join(b"\x00" + arr[y].tobytes() for y in range(h))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    png += chunk(b"gAMA", struct.pack(">I", int(gamma * 100000)))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    open(path, "wb").write(png)

g16 = rng.integers(0, 65536, (3, 4), dtype=np.uint16)
write_png16("gray16.png", g16)
ref["gray16"] = {"shape": [3, 4, 1], "pixels": values(g16 / 65535)}
rgb16 = rng.integers(0, 65536, (2, 3, 3), dtype=np.uint16)
write_png16("rgb16.png", rgb16)
ref["rgb16"] = {"shape": [2, 3, 3], "pixels": values(rgb16 / 65535)}

rgba16 = rng.integers(0, 65536, (3, 2, 4), dtype=np.uint16)
write_png16("rgba16.png", rgba16)
a = rgba16[..., 3:4] / 65535
ref["rgba16"] = {"shape": [3, 2, 3], "pixels": values(rgba16[..., :3] / 65535 * a + (1 - a))}

# gAMA 1.0 on 8-bit gray: stored values expected, as PIL reads them (checked below).
write_png8_gamma("gray8_gamma1.png", gray, 1.0)
assert (np.asarray(Image.open("gray8_gamma1.png")) == gray).all()

# 1-bit gray.
bits = rng.integers(0, 2, (5, 9), dtype=np.uint8).astype(bool)
Image.fromarray(bits).save("gray1.png")
ref["gray1"] = {"shape": [5, 9, 1], "pixels": values(bits.astype(float))}

# JPEG: a crop of skimage's chelsea, encoded and decoded by PIL (also libjpeg-turbo).
chelsea = Image.open("/usr/lib/python3/dist-packages/skimage/data/chelsea.png").convert("RGB")
crop = chelsea.crop((100, 60, 132, 84))
crop.save("chelsea_crop.jpg", quality=90)
dec = np.asarray(Image.open("chelsea_crop.jpg").convert("RGB"))
ref["chelsea_crop_jpg"] = {"shape": list(dec.shape), "pixels": values(dec / 255)}
crop.convert("L").save("gray.jpg", quality=85)
dec = np.asarray(Image.open("gray.jpg"))
ref["gray_jpg"] = {"shape": list(dec.shape) + [1], "pixels": values(dec / 255)}

crop.save("progressive.jpg", quality=80, progressive=True)
dec = np.asarray(Image.open("progressive.jpg").convert("RGB"))
ref["progressive_jpg"] = {"shape": list(dec.shape), "pixels": values(dec / 255)}
crop.convert("CMYK").save("cmyk.jpg", quality=90)
dec = np.asarray(Image.open("cmyk.jpg").convert("RGB"))
ref["cmyk_jpg"] = {"shape": list(dec.shape), "pixels": values(dec / 255)}

# Resampling: a 9x13 RGB source, resized in float precision by PIL per channel.
src = rng.integers(0, 256, (9, 13, 3), dtype=np.uint8)
Image.fromarray(src, "RGB").save("resize_src.png")
def pil_resize(arr, size, method):
    out = [np.asarray(Image.fromarray(arr[..., c].astype(np.float32) / 255, "F").resize(size, method))
           for c in range(arr.shape[2])]
    return np.stack(out, axis=-1)
resize = {}
for (w, h) in [(5, 4), (7, 9), (30, 20)]:
    resize[f"bilinear_{h}x{w}"] = {"shape": [h, w, 3], "pixels": values(pil_resize(src, (w, h), Image.BILINEAR))}
    resize[f"area_{h}x{w}"] = {"shape": [h, w, 3], "pixels": values(pil_resize(src, (w, h), Image.BOX))}
    resize[f"nearest_{h}x{w}"] = {"shape": [h, w, 3], "pixels": values(pil_resize(src, (w, h), Image.NEAREST))}
ref["resize"] = resize

# Colour maps: matplotlib's RGB at sample points (matplotlib picks entry floor(x*256), clipped to 255).
xs = [0.0, 0.001, 0.1, 0.25, 0.3333, 0.5, 0.61, 0.75, 0.999, 1.0]
cmaps = {}
for name in ["viridis", "magma", "inferno", "plasma", "gray", "RdBu_r", "RdBu", "bwr", "hot", "coolwarm"]:
    cm = matplotlib.colormaps[name]
    cmaps[name] = {"x": xs, "rgb": values(np.asarray(cm(np.array(xs)))[:, :3])}
ref["colormaps"] = cmaps

# Real files from python3-skimage, summarised (channel means and a few pixels) to keep this file small.
# RGBA is composited onto white in float: c*a + (1 - a).
skdata = "/usr/lib/python3/dist-packages/skimage/data/"
samples = {}
points = [(0, 0), (5, 7), (100, 50), (150, 200), (-1, -1)]  # clipped to the image; -1 is the last row/column
for name in ["logo.png", "horse.png", "green_palette.png", "camera.png", "astronaut.png", "hubble_deep_field.jpg",
             "checker_bilevel.png"]:
    im = Image.open(skdata + name)
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        arr = np.asarray(im.convert("RGBA")).astype(np.float64) / 255
        arr = arr[..., :3] * arr[..., 3:4] + (1 - arr[..., 3:4])
    elif im.mode in ("L", "1"):
        arr = np.asarray(im.convert("L")).astype(np.float64)[..., None] / 255
    else:
        arr = np.asarray(im.convert("RGB")).astype(np.float64) / 255
    samples[name] = {"shape": list(arr.shape), "mean": values(arr.reshape(-1, arr.shape[2]).mean(axis=0)),
                     "pixels": values(np.stack([arr[min(y, arr.shape[0] - 1), min(x, arr.shape[1] - 1)]
                                                for (y, x) in points]))}
ref["samples"] = samples

json.dump(ref, open("reference.json", "w"), indent=None, separators=(",", ":"))
print("ok", list(ref))
