"""The synthetic abdomen behind the demo images: anatomy, lesion placement and rasterising in Hounsfield units.

Pure numpy, no DICOM (``hccreview.demo.images`` plans the series and writes the files). Coordinates are patient
millimetres in the axial plane with the image centre at (0, 0): x grows to the image's right (the patient's left),
y downwards (posterior), z upwards (cranial) — DICOM's patient system for an axial ``1\\0\\0\\0\\1\\0`` orientation.
The anatomy is the same on every slice (a short stack through the upper abdomen, liver and lung bases), so one
label map per image size serves every slice and phase.

A lesion is an ellipsoid: its in-plane axes at the centre slice are the reader's long and short diameters; its
craniocaudal extent is the short axis clipped to 5–25 mm (the cache stays a few dozen slices deep). Edges are
partial-volume blended, so a threshold half-way between lesion and background falls on the true outline.
A liver lesion with a viable (mRECIST) diameter smaller than its long axis has an enhancing part that is the lesion
ellipse shrunk towards one end of its long axis (a homothety of ratio viable / long about that end) and a
necrotic rest of ~20 HU: the enhancing part's longest diameter lies on the long axis and measures the viable
diameter exactly, as an mRECIST reader measures it on the arterial phase.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FIELD_OF_VIEW_MM = 400.0  # 0.78125 mm pixels at 512, 1.5625 mm at 256
SLICE_MM = 2.5
NOISE_HU = 8.0
NECROSIS_HU = 20.0
_OFFSET = 1024.5  # stored value = HU + 1024 (RescaleIntercept −1024); the 0.5 makes the final truncation round
ARTERIAL, PORTAL_VENOUS = 0, 1  # phase index into the (arterial, portal venous) HU pairs


class Tissue(enum.IntEnum):
    AIR = 0
    FAT = 1
    MUSCLE = 2
    LIVER = 3
    SPLEEN = 4
    STOMACH = 5
    BONE = 6
    CANAL = 7
    AORTA = 8
    IVC = 9
    PORTAL_VEIN = 10
    LUNG = 11


#: Hounsfield units per tissue: (arterial, portal venous).
TISSUE_HU: dict[Tissue, tuple[float, float]] = {
    Tissue.AIR: (-1000.0, -1000.0),
    Tissue.FAT: (-100.0, -100.0),
    Tissue.MUSCLE: (45.0, 50.0),
    Tissue.LIVER: (60.0, 110.0),
    Tissue.SPLEEN: (120.0, 115.0),
    Tissue.STOMACH: (35.0, 45.0),
    Tissue.BONE: (400.0, 400.0),
    Tissue.CANAL: (15.0, 15.0),
    Tissue.AORTA: (320.0, 160.0),
    Tissue.IVC: (70.0, 130.0),
    Tissue.PORTAL_VEIN: (100.0, 170.0),
    Tissue.LUNG: (-850.0, -850.0),
}
#: Viable lesion tissue per organ: (arterial, portal venous); HCC enhances arterially and washes out.
LESION_HU: dict[str, tuple[float, float]] = {
    "liver": (130.0, 80.0),
    "lung": (35.0, 40.0),
    "lymph node": (45.0, 55.0),
    "adrenal": (30.0, 45.0),
    "peritoneum": (35.0, 55.0),
    "bone": (55.0, 60.0),
}
_OTHER_LESION_HU = (40.0, 55.0)


@dataclass(frozen=True)
class Ellipse:
    """An ellipse in millimetres; ``angle_deg`` turns its x semi-axis towards +y."""

    cx: float
    cy: float
    ax: float
    ay: float
    angle_deg: float = 0.0

    def contains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        t = math.radians(self.angle_deg)
        dx, dy = x - self.cx, y - self.cy
        u = dx * math.cos(t) + dy * math.sin(t)
        v = -dx * math.sin(t) + dy * math.cos(t)
        return np.asarray((u / self.ax) ** 2 + (v / self.ay) ** 2 <= 1.0)


BODY = Ellipse(0.0, 0.0, 185.0, 135.0)
ABDOMEN = Ellipse(0.0, 0.0, 163.0, 113.0)  # inside the abdominal wall: every organ is clipped to it
_UNDER_SKIN = Ellipse(0.0, 0.0, 174.0, 124.0)  # how far a lesion too large for its organ may push the wall
#: Paint order: a later shape covers an earlier one.
_ORGANS: tuple[tuple[Tissue, Ellipse], ...] = (
    (Tissue.LIVER, Ellipse(-78.0, -5.0, 82.0, 92.0)),  # right lobe
    (Tissue.LIVER, Ellipse(-25.0, -55.0, 56.0, 28.0, -12.0)),  # left lobe across the midline
    (Tissue.STOMACH, Ellipse(62.0, -38.0, 32.0, 24.0, 30.0)),
    (Tissue.SPLEEN, Ellipse(112.0, 28.0, 30.0, 52.0, -25.0)),
    (Tissue.LUNG, Ellipse(-110.0, 80.0, 62.0, 40.0, 15.0)),
    (Tissue.LUNG, Ellipse(112.0, 80.0, 58.0, 40.0, -15.0)),
    (Tissue.MUSCLE, Ellipse(-36.0, 96.0, 18.0, 14.0)),  # paraspinal
    (Tissue.MUSCLE, Ellipse(36.0, 96.0, 18.0, 14.0)),
    (Tissue.BONE, Ellipse(0.0, 98.0, 24.0, 11.0)),  # posterior arch
    (Tissue.BONE, Ellipse(0.0, 62.0, 20.0, 18.0)),  # vertebral body
    (Tissue.CANAL, Ellipse(0.0, 88.0, 8.0, 7.0)),
    (Tissue.AORTA, Ellipse(14.0, 34.0, 11.0, 11.0)),
    (Tissue.IVC, Ellipse(-24.0, 26.0, 12.0, 10.0)),
    (Tissue.PORTAL_VEIN, Ellipse(-40.0, -2.0, 8.0, 7.0)),
)
VERTEBRAL_BODY = _ORGANS[9][1]


@dataclass(frozen=True)
class Site:
    """Where a lesion of an organ may lie: on these tissues, inside ``region`` (None: anywhere in the abdomen)."""

    tissues: frozenset[Tissue]
    region: Ellipse | None = None
    near_wall: bool = False  # in the outer third of the abdomen (peritoneal deposits)


_FAT = frozenset({Tissue.FAT})
SITES: dict[str, Site] = {
    "liver": Site(frozenset({Tissue.LIVER})),
    "lung": Site(frozenset({Tissue.LUNG})),
    "bone": Site(frozenset({Tissue.BONE}), VERTEBRAL_BODY),
    "lymph node": Site(_FAT, Ellipse(8.0, 20.0, 62.0, 45.0)),  # para-aortic, coeliac, portal
    "adrenal": Site(_FAT, Ellipse(48.0, 52.0, 40.0, 30.0)),
    "peritoneum": Site(_FAT, near_wall=True),
}
_ANYWHERE = Site(_FAT, ABDOMEN)  # an organ the phantom does not draw: in fat, where soft tissue shows
MARGIN_MM = 4.5  # between a lesion and any other tissue or lesion


def site_of(organ: str) -> Site:
    return SITES.get(organ.strip().lower(), _ANYWHERE)


def spacing_mm(size: int) -> float:
    """Pixel spacing keeping the 400 mm field of view whatever the matrix size."""
    return FIELD_OF_VIEW_MM / size


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates (mm) of a ``size``² image centred on (0, 0)."""
    axis = (np.arange(size) - size / 2 + 0.5) * spacing_mm(size)
    return np.meshgrid(axis, axis)  # x varies along columns, y along rows


@functools.lru_cache(maxsize=4)
def tissue_map(size: int) -> np.ndarray:
    """The anatomy as a ``size``² array of :class:`Tissue` values (read-only, cached)."""
    x, y = _grid(size)
    out = np.zeros((size, size), dtype=np.int8)
    out[BODY.contains(x, y)] = Tissue.FAT
    out[Ellipse(0.0, 0.0, 171.0, 121.0).contains(x, y)] = Tissue.MUSCLE
    inside = ABDOMEN.contains(x, y)
    out[inside] = Tissue.FAT
    for tissue, shape in _ORGANS:
        out[inside & shape.contains(x, y)] = tissue
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=4)
def base_image(size: int, phase: int) -> np.ndarray:
    """The lesion-free slice of one phase in HU + 1024.5 (stored value + 0.5: truncation rounds), read-only."""
    lookup = np.zeros(len(Tissue), dtype=np.float32)
    for tissue, hu in TISSUE_HU.items():
        lookup[tissue] = hu[phase] + _OFFSET
    out = lookup[tissue_map(size)]
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=4)
def body_index(size: int) -> np.ndarray:
    """Flat indices of the pixels inside the body (the only ones that get noise: air compresses)."""
    return np.flatnonzero(tissue_map(size) != Tissue.AIR)


# ---------------------------------------------------------------- placement


@dataclass(frozen=True)
class Footprint:
    """The largest extent a lesion reaches over all assessments (what must fit without touching another)."""

    organ: str
    long_mm: float
    short_mm: float
    depth_mm: float


@dataclass(frozen=True)
class Placement:
    x: float
    y: float
    z: float
    angle_deg: float
    in_organ: bool  # False: too large for its organ; its inner half lies in it, the rest bulges out


_PLACE_SIZE = 400  # 1 mm label map for placement
_TRIES = 80


def _near_wall(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Peritoneal deposits lie in the outer third of the abdomen."""
    return ~Ellipse(0.0, 0.0, ABDOMEN.ax * 0.65, ABDOMEN.ay * 0.65).contains(x, y)


def _outline(fp: Footprint) -> tuple[np.ndarray, np.ndarray, int]:
    """Points filling the footprint's ellipse grown by the margin, about (0, 0) along x: the centre and rings at
    0.25, 0.5, 0.75 and 1 of the axes; and how many of them (centre first) make up the inner half."""
    a, b = fp.long_mm / 2 + MARGIN_MM, fp.short_mm / 2 + MARGIN_MM
    n = max(24, int(2 * math.pi * a / 3))
    t = np.linspace(0.0, 2 * math.pi, n, endpoint=False)
    rings = np.concatenate([np.zeros(1), *(np.full(n, k) for k in (0.25, 0.5, 0.75, 1.0))])
    tt = np.concatenate([np.zeros(1), t, t, t, t])
    return rings * a * np.cos(tt), rings * b * np.sin(tt), 2 * n + 1


@functools.lru_cache(maxsize=16)
def _allowed(tissues: frozenset[Tissue]) -> np.ndarray:
    out = np.zeros(len(Tissue), dtype=bool)
    out[list(tissues)] = True
    return out


def _fits(fp: Footprint, site: Site, x: np.ndarray, y: np.ndarray, angle_deg: np.ndarray, strict: bool) -> np.ndarray:
    """Per candidate: the footprint (with its margin) lies on the site's tissues; not ``strict``: its inner half
    does and the rest stays under the subcutaneous fat (a lesion larger than its organ bulges out of it)."""
    u, v, inner = _outline(fp)
    c, s = np.cos(np.radians(angle_deg))[:, None], np.sin(np.radians(angle_deg))[:, None]
    px, py = x[:, None] + u * c - v * s, y[:, None] + u * s + v * c
    spacing = spacing_mm(_PLACE_SIZE)
    col = np.clip(np.floor(px / spacing + _PLACE_SIZE / 2).astype(int), 0, _PLACE_SIZE - 1)
    row = np.clip(np.floor(py / spacing + _PLACE_SIZE / 2).astype(int), 0, _PLACE_SIZE - 1)
    ok = _allowed(site.tissues)[tissue_map(_PLACE_SIZE)[row, col]]  # the map's edge is air: clipping is safe
    if site.region is not None:
        ok &= site.region.contains(px, py)
    if site.near_wall:
        ok &= _near_wall(px, py)
    if strict:
        return np.asarray(ok.all(axis=1))
    return np.asarray(ok[:, :inner].all(axis=1) & _UNDER_SKIN.contains(px, py).all(axis=1))


def _clear(
    fp: Footprint, x: np.ndarray, y: np.ndarray, z: float, placed: list[tuple[Footprint, Placement]]
) -> np.ndarray:
    """Per candidate: no overlap with a placed lesion (bounding circles apart, or craniocaudal extents apart)."""
    ok = np.ones(len(x), dtype=bool)
    for other, p in placed:
        if abs(z - p.z) * 2 < fp.depth_mm + other.depth_mm + 2 * MARGIN_MM:
            ok &= np.hypot(x - p.x, y - p.y) >= (fp.long_mm + other.long_mm) / 2 + MARGIN_MM
    return ok


@functools.lru_cache(maxsize=16)
def _candidates(tissues: frozenset[Tissue]) -> np.ndarray:
    """Pixel centres (mm, shape n×2) of the placement map on these tissues."""
    rows, cols = np.nonzero(_allowed(tissues)[tissue_map(_PLACE_SIZE)])
    spacing = spacing_mm(_PLACE_SIZE)
    return np.column_stack(((cols - _PLACE_SIZE / 2 + 0.5) * spacing, (rows - _PLACE_SIZE / 2 + 0.5) * spacing))


def place(rng: np.random.Generator, footprints: Sequence[Footprint]) -> list[Placement]:
    """Seeded, non-overlapping positions for the lesions of one patient, largest first, in the input order.

    Each lesion is tried on the central slice level first and then on levels further up and down (so the stack
    stays short); one too large for its organ keeps its inner half in the organ and bulges out of it.
    Centres lie on the slice grid (z a multiple of the slice thickness): the centre slice shows the true axes.
    """
    placed: list[tuple[Footprint, Placement]] = []
    out: dict[int, Placement] = {}
    order = sorted(range(len(footprints)), key=lambda i: (-footprints[i].long_mm, i))
    for i in order:
        fp = footprints[i]
        site = site_of(fp.organ)
        found = (
            _search(rng, fp, site, placed, levels=range(13), strict=True)
            or _search(rng, fp, site, placed, levels=range(13), strict=False)
            or _search(rng, fp, site, placed, levels=range(13, 41), strict=True)
            or _search(rng, fp, site, placed, levels=range(13, 1000), strict=False)
        )
        if found is None:  # unreachable: 1000 levels of 5 mm clear any patient's lesions
            raise RuntimeError(f"no room for a {fp.long_mm:.0f} mm {fp.organ} lesion")
        placed.append((fp, found))
        out[i] = found
    return [out[i] for i in range(len(footprints))]


def _search(
    rng: np.random.Generator,
    fp: Footprint,
    site: Site,
    placed: list[tuple[Footprint, Placement]],
    *,
    levels: range,
    strict: bool,
) -> Placement | None:
    points = _candidates(site.tissues)
    if not len(points):
        return None
    for level in levels:
        z = SLICE_MM * 2 * ((level + 1) // 2) * (1 if level % 2 else -1) + 0.0  # 0, +5, -5, +10 ...
        x, y = points[rng.integers(len(points), size=_TRIES)].T
        angle = rng.uniform(0.0, 180.0, _TRIES)
        if not strict:  # a lesion larger than its organ fits best on the organ's middle: try it first
            middle = points.mean(axis=0)
            x, y = np.r_[np.full(12, middle[0]), x], np.r_[np.full(12, middle[1]), y]
            angle = np.r_[np.arange(0.0, 180.0, 15.0), angle]
        clear = np.flatnonzero(_clear(fp, x, y, z, placed))
        fits = _fits(fp, site, x[clear], y[clear], angle[clear], strict) if len(clear) else clear
        if fits.any():
            k = clear[int(np.argmax(fits))]
            return Placement(round(float(x[k]), 1), round(float(y[k]), 1), z, round(float(angle[k]), 1), strict)
    return None


# ---------------------------------------------------------------- rasterising


@dataclass(frozen=True)
class Blob:
    """A lesion as drawn on one series: an ellipsoid (mm) of the organ's lesion tissue."""

    x: float
    y: float
    z: float
    long_mm: float
    short_mm: float
    depth_mm: float
    angle_deg: float
    organ: str
    viable_mm: float | None = None  # enhancing part's longest diameter; None or ≥ long: all viable
    bulges: bool = False  # larger than its organ: drawn in a rim of the organ's tissue that bulges out of it


_HOST = {"liver": Tissue.LIVER, "lung": Tissue.LUNG, "bone": Tissue.BONE}  # else fat


def _section(
    blob: Blob, z: float, size: int, spacing: float, grow_mm: float = 0.0
) -> tuple[tuple[slice, slice], np.ndarray, np.ndarray, float, float] | None:
    """The blob's cross-section at ``z`` (grown by ``grow_mm``): the image window it covers, the pixels'
    coordinates along its long and short axes (mm) and its semi-axes; None where it does not reach."""
    half_depth = blob.depth_mm / 2
    if abs(z - blob.z) >= half_depth:
        return None
    scale = math.sqrt(1.0 - ((z - blob.z) / half_depth) ** 2)
    a, b = blob.long_mm / 2 * scale + grow_mm, blob.short_mm / 2 * scale + grow_mm
    ccol, crow = blob.x / spacing + size / 2 - 0.5, blob.y / spacing + size / 2 - 0.5  # array indices
    reach = a / spacing + 2
    c0, c1 = max(0, int(ccol - reach)), min(size, int(ccol + reach) + 2)
    r0, r1 = max(0, int(crow - reach)), min(size, int(crow + reach) + 2)
    if c0 >= c1 or r0 >= r1:
        return None
    dx = (np.arange(c0, c1, dtype=np.float32)[None, :] - ccol) * spacing
    dy = (np.arange(r0, r1, dtype=np.float32)[:, None] - crow) * spacing
    c, s = math.cos(math.radians(blob.angle_deg)), math.sin(math.radians(blob.angle_deg))
    return (slice(r0, r1), slice(c0, c1)), dx * c + dy * s, -dx * s + dy * c, a, b


def _paint_rim(image: np.ndarray, blob: Blob, z: float, phase: int, spacing: float) -> None:
    """Lay the organ's tissue under a bulging lesion and a margin around it (the organ's capsule)."""
    section = _section(blob, z, image.shape[0], spacing, 2 * MARGIN_MM)
    if section is None:
        return
    window, u, v, a, b = section
    host = TISSUE_HU[_HOST.get(blob.organ.strip().lower(), Tissue.FAT)][phase] + _OFFSET
    image[window] += (host - image[window]) * _coverage(u, v, a, b, spacing)


def _paint(image: np.ndarray, blob: Blob, z: float, phase: int, spacing: float) -> None:
    """Blend ``blob``'s cross-section at ``z`` into ``image`` (float32, HU + ``_OFFSET``), partial-volume edges."""
    section = _section(blob, z, image.shape[0], spacing)
    if section is None:
        return
    window, u, v, a, b = section
    viable = LESION_HU.get(blob.organ.strip().lower(), _OTHER_LESION_HU)[phase] + _OFFSET
    necrosis = NECROSIS_HU + _OFFSET
    tissue: np.ndarray | float = viable
    if blob.viable_mm is not None and blob.viable_mm <= 0:
        tissue = necrosis  # no enhancing tumour left (mRECIST complete response of the lesion)
    elif blob.viable_mm is not None and blob.viable_mm < blob.long_mm:
        k = blob.viable_mm / blob.long_mm  # homothety about the long axis' +u end (a, 0)
        enhancing = _coverage(a + (u - a) / k, v / k, a, b, spacing / k)
        tissue = necrosis + (viable - necrosis) * enhancing
    image[window] += (tissue - image[window]) * _coverage(u, v, a, b, spacing)


def _coverage(u: np.ndarray, v: np.ndarray, a: float, b: float, spacing: float) -> np.ndarray:
    """Share of each pixel inside the ellipse (u/a)² + (v/b)² ≤ 1: a one-pixel ramp across the radial distance."""
    q = np.sqrt((u / a) ** 2 + (v / b) ** 2)
    rho = np.sqrt(u * u + v * v)
    distance = np.where(q > 1e-6, rho - rho / np.maximum(q, 1e-6), -a)
    return np.asarray(np.clip(0.5 - distance / spacing, 0.0, 1.0))


def render_slice(
    size: int, phase: int, z: float, blobs: Sequence[Blob], rng: np.random.Generator, noise_hu: float = NOISE_HU
) -> np.ndarray:
    """One slice as stored pixel values: uint16 = HU + 1024 (RescaleIntercept −1024), 12 bits, noise in the body."""
    image = base_image(size, phase).copy()
    spacing = spacing_mm(size)
    for blob in blobs:
        if blob.bulges:
            _paint_rim(image, blob, z, phase, spacing)
    for blob in blobs:
        _paint(image, blob, z, phase, spacing)
    flat = image.reshape(-1)
    inside = body_index(size)
    if noise_hu > 0:
        flat[inside] += rng.standard_normal(len(inside), dtype=np.float32) * np.float32(noise_hu)
    np.clip(flat, 0.0, 4095.0, out=flat)
    return image.astype(np.uint16)  # truncates the +0.5 of ``base_image``: rounds to the nearest
