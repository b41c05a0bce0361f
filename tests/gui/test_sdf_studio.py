#!/usr/bin/env python3
"""End-to-end checks of siren-studio --mode sdf under a virtual display.

Each case trains the bundled shape a few steps through the automation (--steps/--screenshot), then
reads the screenshot and its layout JSON: the 3-D views are listed, the ray-marched view shows an
object of plausible size whose silhouette matches the precise (CPU sphere-traced) view's, the shadings
differ, the two views agree closely once the network has trained a while (no blob in the ray-marched view
that the precise one lacks), and a file that cannot be trained on becomes an error in the window, not the
end of the program.
Run under xvfb-run; ctest does (tests/CMakeLists.txt).
"""
import argparse
import os
import subprocess

import numpy as np

import studio_harness
from studio_harness import fail

BACKGROUND = np.array([0.12, 0.12, 0.14]) * 255  # the views' background (shaders/sdf_raymarch.frag)


def run_studio(studio, work, name, args, timeout=150):
    pixels, layout = studio_harness.run_studio(studio, work, name, ["--mode", "sdf"] + args, timeout=timeout)
    if pixels.std() < 5:
        fail(f"{name}: the screenshot is blank")
    return pixels, layout


def view(pixels, layout, view_id):
    for v in layout["views"]:
        if v["id"] == view_id:
            x, y, w, h = v["rect"]
            return pixels[y + 2:y + h - 2, x + 2:x + w - 2]
    fail(f"no view '{view_id}' in the layout: {[v['id'] for v in layout['views']]}")


def object_mask(rgb):
    return np.abs(rgb - BACKGROUND).max(axis=2) > 12


def downsample(mask, n):
    h, w = mask.shape
    h, w = h - h % n, w - w % n
    return mask[:h, :w].reshape(h // n, n, w // n, n).mean(axis=(1, 3)) > 0.5


def check_trained(layout, steps):
    t = layout.get("training", {})
    if t.get("steps", 0) < steps:
        fail(f"trained {t.get('steps')} steps, asked for {steps}")
    if layout.get("mode") not in (None, "sdf"):
        fail(f"the window shows mode {layout.get('mode')}")


def case_render(a):
    steps = 100
    pixels, layout = run_studio(a.studio, a.work, "sdf_render", ["--steps", str(steps), "--tab", "lit"])
    check_trained(layout, steps)
    ids = [v["id"] for v in layout["views"]]
    for want in ("sdf_raymarch", "sdf_precise"):
        if want not in ids:
            fail(f"the layout does not list {want}: {ids}")
    marched = object_mask(view(pixels, layout, "sdf_raymarch"))
    precise = object_mask(view(pixels, layout, "sdf_precise"))
    fm, fp = marched.mean(), precise.mean()
    print(f"object pixels: ray-marched {fm:.3f}, precise {fp:.3f}")
    # The bundled shape fills about a fifth of the default view (the whole cube just fits).
    if not 0.05 < fm < 0.7:
        fail(f"the ray-marched view's object covers {fm:.3f} of it")
    if not 0.03 < fp < 0.7:
        fail(f"the precise view's object covers {fp:.3f} of it")
    # Same camera, same weights: the silhouettes overlap (at the precise view's first, coarse pass).
    h = min(marched.shape[0], precise.shape[0])
    w = min(marched.shape[1], precise.shape[1])
    m, p = downsample(marched[:h, :w], 16), downsample(precise[:h, :w], 16)
    iou = (m & p).sum() / max((m | p).sum(), 1)
    print(f"silhouette IoU {iou:.3f}")
    if iou < 0.4:
        fail(f"the ray-marched and precise silhouettes differ (IoU {iou:.3f})")
    sdf = layout.get("sdf", {})
    if sdf.get("volume_step") != layout["training"]["steps"]:
        fail(f"the volume shows step {sdf.get('volume_step')}, not the last one")


def components(mask):
    """Connected components (4-neighbour) of a boolean mask: a list of (area, boolean mask)."""
    seen = np.zeros_like(mask, dtype=bool)
    h, w = mask.shape
    out = []
    for y0, x0 in zip(*np.nonzero(mask)):
        if seen[y0, x0]:
            continue
        comp = np.zeros_like(mask, dtype=bool)
        stack = [(y0, x0)]
        seen[y0, x0] = True
        while stack:
            y, x = stack.pop()
            comp[y, x] = True
            for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    stack.append((ny, nx))
        out.append((int(comp.sum()), comp))
    return out


def dilate(mask, r):
    out = mask.copy()
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            out |= np.roll(np.roll(mask, dy, axis=0), dx, axis=1)
    return out


def case_views_agree(a):
    # After some hundred steps the network's field has shallow dips near zero off the shape, and outside
    # [-1, 1]^3 (where it is never trained) it goes negative: the ray-marched view once showed both as
    # floating blobs that the precise view, tracing the network itself within the cube, does not have.
    # Normals shading, so that no shadowed part of the object is mistaken for the background.
    steps = 400
    pixels, layout = run_studio(a.studio, a.work, "sdf_agree", ["--steps", str(steps), "--tab", "normals"], timeout=200)
    check_trained(layout, steps)
    marched = object_mask(view(pixels, layout, "sdf_raymarch"))
    precise = object_mask(view(pixels, layout, "sdf_precise"))
    h = min(marched.shape[0], precise.shape[0])
    w = min(marched.shape[1], precise.shape[1])
    marched, precise = marched[:h, :w], precise[:h, :w]
    # Both views may be drawn at half resolution and scaled up: compare 2 x 2 blocks.
    m, p = downsample(marched, 2), downsample(precise, 2)
    iou = (m & p).sum() / max((m | p).sum(), 1)
    near_precise = dilate(p, 3)
    extra = [area for area, comp in components(m) if area >= 4 and not (comp & near_precise).any()]
    print(f"silhouette IoU {iou:.3f} (2 x 2 blocks); blobs only in the ray-marched view: {len(extra)} {extra}")
    if extra:
        fail(f"the ray-marched view shows {len(extra)} blobs that the precise view does not: areas {extra}")
    if iou < 0.95:
        fail(f"the ray-marched and precise silhouettes differ (IoU {iou:.3f})")


def case_shading(a):
    steps = 40
    images = {}
    for shading in ("normals", "lit", "slice"):
        pixels, layout = run_studio(a.studio, a.work, "sdf_" + shading, ["--steps", str(steps), "--tab", shading])
        if layout.get("sdf", {}).get("shading") != shading:
            fail(f"asked for {shading} shading, the layout says {layout.get('sdf')}")
        images[shading] = view(pixels, layout, "sdf_raymarch")
    n, l, s = images["normals"], images["lit"], images["slice"]
    h = min(x.shape[0] for x in images.values())
    w = min(x.shape[1] for x in images.values())
    n, l, s = n[:h, :w], l[:h, :w], s[:h, :w]
    # Normals are saturated colours, the lit material nearly grey: the two must differ where the object is.
    both = object_mask(n) & object_mask(l)
    if both.mean() < 0.03:
        fail("no object in the normals or lit view")
    diff = np.abs(n[both] - l[both]).mean()
    sat_n = (n[both].max(axis=1) - n[both].min(axis=1)).mean()
    sat_l = (l[both].max(axis=1) - l[both].min(axis=1)).mean()
    print(f"normals vs lit: mean difference {diff:.1f}, saturation {sat_n:.1f} vs {sat_l:.1f}")
    if diff < 20 or sat_n < sat_l + 20:
        fail("the normals and lit shadings look the same")
    # The slice plane (y = 0 through the cube) replaces much of the lit picture with the diverging map,
    # whose centre (distances near 0, as an early network has) is near-white and unsaturated.
    union = object_mask(s) | object_mask(l)
    diff_sl = np.abs(s[union] - l[union]).mean()

    def whitish(img):
        return ((img.min(axis=2) > 200) & (img.max(axis=2) - img.min(axis=2) < 40)).mean()

    ws, wl = whitish(s), whitish(l)
    print(f"slice vs lit: mean difference {diff_sl:.1f}; near-white {ws:.3f} vs {wl:.3f}")
    if diff_sl < 15 or ws < 0.02 or ws < 2 * wl:
        fail("the slice plane is not visible")


def case_bad_file(a):
    # A point cloud without normals cannot be fitted: an error in the window, then the bundled shape.
    path = os.path.join(a.work, "no_normals.xyz")
    with open(path, "w") as f:
        for i in range(50):
            f.write(f"{np.cos(i):.3f} {np.sin(i):.3f} {i / 50:.3f}\n")
    pixels, layout = run_studio(a.studio, a.work, "sdf_bad_file", [path, "--steps", "5"])
    errors = [n["text"] for n in layout["notices"] if n["level"] == "error"]
    if not any("no_normals.xyz" in e for e in errors):
        fail(f"no error about the file among the notices: {layout['notices']}")
    if not layout.get("shape", "").endswith("shape.ply"):
        fail(f"did not fall back to the bundled shape: {layout.get('shape')}")
    check_trained(layout, 5)


def case_mesh_export(a):
    # The Export mesh path, scripted: after the steps the surface is extracted on the background thread
    # and written where the input was (the bundled shape lies in [-0.7, 0.7] x [-0.7, 0.7] x [-0.42, 0.42]).
    mesh = os.path.join(a.work, "sdf_export.obj")
    if os.path.exists(mesh):
        os.remove(mesh)
    pixels, layout = run_studio(a.studio, a.work, "sdf_mesh_export",
                                ["--steps", "60", "--param", "mesh=" + mesh, "--param", "mesh_resolution=48"])
    infos = [n["text"] for n in layout["notices"] if n["level"] == "info"]
    if not any("Saved " + mesh in t for t in infos):
        fail(f"no notice of the saved mesh: {layout['notices']}")
    if not os.path.exists(mesh):
        fail("the mesh file was not written")
    vertices, faces = [], 0
    with open(mesh) as f:
        for line in f:
            if line.startswith("v "):
                vertices.append([float(x) for x in line.split()[1:4]])
            elif line.startswith("f "):
                faces += 1
    v = np.array(vertices)
    print(f"mesh: {len(v)} vertices, {faces} faces, bounds {v.min(axis=0)} .. {v.max(axis=0)}")
    if faces < 100:
        fail(f"only {faces} faces")
    if (np.abs(v).max(axis=0) > [0.8, 0.8, 0.8]).any():
        fail(f"the mesh reaches beyond the shape's box: {v.min(axis=0)} .. {v.max(axis=0)}")
    if np.abs(v).max() < 0.3:
        fail("the mesh is far smaller than the shape")


def case_cli_model(a):
    # A model named on the command line loads once the bundled shape it trains on has loaded (it used to
    # be asked for before any session existed and was refused with "Open a shape first").
    model = os.path.join(a.work, "sdf_cli_model.safetensors")
    subprocess.run([a.siren, "fit", "sdf", os.path.join(os.path.dirname(__file__), "..", "..", "assets", "shape.ply"),
                    "--steps", "2", "--hidden", "32", "--layers", "1", "--points", "500", "--backend", "cpu",
                    "--save", model], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    pixels, layout = run_studio(a.studio, a.work, "sdf_cli_model", [model, "--steps", "3"])
    errors = [n["text"] for n in layout["notices"] if n["level"] == "error"]
    if errors:
        fail(f"errors: {errors}")
    if not any(n["text"].startswith("Loaded " + model) for n in layout["notices"]):
        fail(f"no notice of the loaded model: {layout['notices']}")
    if layout["settings"]["hidden_features"] != 32:
        fail(f"the run does not use the model's network: {layout['settings']}")
    check_trained(layout, 3)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--studio", required=True)
    p.add_argument("--siren", help="the siren CLI (cases that need a saved model)")
    p.add_argument("--case", required=True, choices=["render", "shading", "views_agree", "bad_file", "mesh_export", "cli_model"])
    p.add_argument("--work", required=True)
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    {"render": case_render, "shading": case_shading, "views_agree": case_views_agree, "bad_file": case_bad_file,
     "mesh_export": case_mesh_export, "cli_model": case_cli_model}[a.case](a)
    print("PASS")


if __name__ == "__main__":
    main()
