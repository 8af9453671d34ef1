"""NIfTI files written by nibabel 5.0.0 (Debian bookworm's python3-nibabel), read by NibabelFilesTest.

Run from this directory: /usr/bin/python3 generate.py
Writes four 5x4x3 volumes and expected.json, which holds for each file what nibabel reads back from
it: the header fields the reader uses, the sform, the qform and the affine nibabel resolves
(img.affine: sform when its code > 0, else qform), and every voxel as float32 with the scaling
applied, x fastest (the reader's order).
"""
import json
import sys

import nibabel as nib
import numpy as np
from nibabel.openers import ImageOpener

SHAPE = (5, 4, 3)


def rotation(axis, degrees):
    a = np.radians(degrees)
    c, s = np.cos(a), np.sin(a)
    i, j = [(1, 2), (0, 2), (0, 1)][axis]
    r = np.eye(3)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


def affine(rot, zooms, offset):
    a = np.eye(4)
    a[:3, :3] = rot @ np.diag(zooms)
    a[:3, 3] = offset
    return a


# an oblique acquisition: rotated about two axes, anisotropic voxels, a shear only the sform can hold
SHEARED = affine(rotation(2, 30) @ rotation(0, -12), (2.0, 1.25, 3.5), (-40.5, 12.25, 60.0))
SHEARED[0, 1] += 0.3
OBLIQUE = affine(rotation(1, 20) @ rotation(2, -35), (2.0, 1.25, 3.5), (-38.0, 10.0, 58.5))
# left-handed (radiological x flip), so the qform needs qfac = -1; the rotation left once the flip
# is moved to z is 180 degrees: the quaternion has a = 0, the standard's special case
LEFT_HANDED = affine(rotation(2, 15), (-1.5, 0.8, 4.0), (70.0, -20.0, -15.0))

volumes = {}


def save(name, img):
    """Writes img and records what is in the file (a loaded image's header resets scl_*, vox_offset)."""
    img.to_filename(name)
    back = nib.load(name)
    with ImageOpener(name) as f:
        hdr = type(back.header).from_fileobj(f)
    volumes[name] = {
        "version": 2 if isinstance(back, nib.Nifti2Image) else 1,
        "dims": [int(d) for d in back.shape],
        "datatype": int(hdr["datatype"]),
        "pixdim": [float(v) for v in hdr["pixdim"]],
        "vox_offset": float(hdr["vox_offset"]),
        "scl_slope": None if np.isnan(hdr["scl_slope"]) else float(hdr["scl_slope"]),
        "scl_inter": None if np.isnan(hdr["scl_inter"]) else float(hdr["scl_inter"]),
        "sform_code": int(hdr["sform_code"]),
        "qform_code": int(hdr["qform_code"]),
        "sform": hdr.get_sform().tolist(),
        "qform": hdr.get_qform().tolist(),
        "affine": back.affine.tolist(),
        "values": np.asarray(back.get_fdata(), dtype=np.float32).flatten(order="F").tolist(),
    }
    # nibabel's values are the standard's slope * stored + inter, computed in double
    raw = back.dataobj.get_unscaled().astype(np.float64)
    slope, inter = float(hdr["scl_slope"]), float(hdr["scl_inter"])
    assert np.array_equal(np.float32(raw * slope + inter), np.float32(back.get_fdata()))
    assert int(hdr["sizeof_hdr"]) == (540 if volumes[name]["version"] == 2 else 348)
    return hdr


grid = np.arange(np.prod(SHAPE)).reshape(SHAPE, order="F")  # voxel (i, j, k) holds i + 5j + 20k

# 1. NIfTI-1, int16, not compressed: an sform with shear (aligned) and a qform (scanner) that differ
img = nib.Nifti1Image((grid * 613 % 4001 - 2000).astype(np.int16), None)
img.set_sform(SHEARED, code="aligned")
img.set_qform(OBLIQUE, code="scanner")
hdr = save("ni1_int16.nii", img)
assert hdr.get_data_dtype() == np.int16 and hdr["sform_code"] == 2 and hdr["qform_code"] == 1

# 2. NIfTI-1, float32, gzipped: only a left-handed qform, so the reader must resolve the quaternion
img = nib.Nifti1Image((np.sin(grid / 7.0) * 1000).astype(np.float32), None)
img.set_qform(LEFT_HANDED, code="scanner")
img.set_sform(None, code="unknown")
hdr = save("ni1_float32.nii.gz", img)
assert hdr["sform_code"] == 0 and hdr["qform_code"] == 1 and hdr["pixdim"][0] == -1

# 3. NIfTI-2, float data stored as int16: nibabel picks scl_slope and scl_inter itself; gzipped
img = nib.Nifti2Image((grid * 0.37 - 11.3).astype(np.float64), None)
img.set_data_dtype(np.int16)
img.set_sform(OBLIQUE, code="scanner")
img.set_qform(OBLIQUE, code="scanner")
hdr = save("ni2_int16_scaled.nii.gz", img)
assert hdr.get_data_dtype() == np.int16 and hdr["scl_slope"] not in (0, 1) and hdr["scl_inter"] != 0

# 4. NIfTI-2, float32, not compressed: sform only, and a header extension (a comment) before the data
img = nib.Nifti2Image((grid.astype(np.float32) - 29.5) / 8, SHEARED)  # pixdim from the affine's zooms
img.set_sform(SHEARED, code="scanner")
img.set_qform(None, code="unknown")
img.header.extensions.append(nib.nifti1.Nifti1Extension("comment", b"written by nibabel for visionserve tests"))
hdr = save("ni2_float32.nii", img)
assert hdr["vox_offset"] > 544 and hdr["qform_code"] == 0 and hdr["sform_code"] == 1

volumes["_tools"] = {"nibabel": nib.__version__, "numpy": np.__version__, "python": sys.version.split()[0]}
with open("expected.json", "w") as f:
    json.dump(volumes, f, indent=1)
    f.write("\n")
