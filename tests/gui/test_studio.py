#!/usr/bin/env python3
"""End-to-end checks of siren-studio through its automation options, under a virtual display.

Each case runs the program with --screenshot (train N steps, save the window and a layout JSON next
to it, exit) and checks what a user would see: a picture that is not blank, a fit that looks like the
image, and errors shown in the window (the JSON lists the notices shown) without the program ending.
Run under xvfb-run; ctest does (tests/CMakeLists.txt).
"""
import argparse
import os
import subprocess

import numpy as np

from studio_harness import fail, run_studio


def view_pixels(pixels, layout, view_id):
    for v in layout["views"]:
        if v["id"] == view_id:
            x, y, w, h = v["rect"]
            # One pixel in from the frame ImGui draws around each view.
            return pixels[y + 1:y + h - 1, x + 1:x + w - 1].mean(axis=2)
    fail(f"no view '{view_id}' in the layout: {[v['id'] for v in layout['views']]}")


def below_toasts(layout, view_id, toast_bottom=130):
    """Rows of a view (as view_pixels returns it) that lie above this window y may be under a toast."""
    y = next(v["rect"][1] for v in layout["views"] if v["id"] == view_id)
    return max(0, toast_bottom - (y + 1))


def correlation(a, b):
    a = a.ravel() - a.mean()
    b = b.ravel() - b.mean()
    denom = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denom) if denom > 0 else 0.0


def check_picture(pixels, layout, min_corr=0.8):
    if pixels.var() <= 0:
        fail("the screenshot is blank")
    truth = view_pixels(pixels, layout, "ground_truth")
    fit = view_pixels(pixels, layout, "fit")
    if truth.var() <= 0:
        fail("the ground-truth view is blank")
    c = correlation(truth, fit)
    print(f"fit/ground-truth correlation {c:.3f}")
    if c <= min_corr:
        fail(f"the fit does not look like the image (correlation {c:.3f} <= {min_corr})")


def errors(layout):
    return [n["text"] for n in layout["notices"] if n["level"] == "error"]


def check_error_shown(layout, needle):
    errs = errors(layout)
    if not any(needle in e for e in errs):
        fail(f"no error naming '{needle}' was shown; notices: {layout['notices']}")
    print(f"error shown: {[e for e in errs if needle in e][0]}")


def case_screenshot(studio, work, steps):
    pixels, layout = run_studio(studio, work, "screenshot", ["--steps", str(steps)])
    if errors(layout):
        fail(f"errors shown in a plain run: {errors(layout)}")
    if layout["training"]["steps"] != steps:
        fail(f"trained {layout['training']['steps']} steps, asked for {steps}")
    check_picture(pixels, layout)
    ids = {v["id"] for v in layout["views"]}
    for needed in ("error", "grad_mag", "grad_x", "grad_y", "laplacian", "truth_grad_mag", "truth_grad_x",
                   "truth_grad_y", "truth_laplacian"):
        if needed not in ids:
            fail(f"view '{needed}' missing from the window")
        # Every view shows a field, not the placeholder drawn while none has arrived (filled with
        # RGB 30, 30, 36 in app/views/field_view.cpp).
        x, y, w, h = next(v["rect"] for v in layout["views"] if v["id"] == needed)
        region = pixels[y + 1:y + h - 1, x + 1:x + w - 1]
        placeholder = np.all(np.abs(region - np.array([30, 30, 36])) < 1, axis=2).mean()
        if placeholder > 0.5:
            fail(f"view '{needed}' shows no field ({placeholder:.0%} placeholder)")
    for phase in ("idle", "training"):
        if layout["frame_interval_ms"][phase]["frames"] < 1:
            fail(f"no frame times recorded while {phase}")
    print("frame interval ms (median idle / max training): %.1f / %.1f; %.1f steps/s" % (
        layout["frame_interval_ms"]["idle"]["median_ms"], layout["frame_interval_ms"]["training"]["max_ms"],
        layout["training"].get("steps_per_second", 0)))


def case_missing_file(studio, work, steps):
    missing = os.path.join(work, "no-such-image.png")
    pixels, layout = run_studio(studio, work, "missing_file", [missing, "--steps", str(steps)])
    check_error_shown(layout, "no-such-image.png")
    if not layout["image"].endswith("camera.png"):
        fail(f"expected the bundled image after a missing file, got {layout['image']}")
    check_picture(pixels, layout)


def case_corrupt_drop(studio, work, steps):
    corrupt = os.path.join(work, "corrupt-image.png")
    with open(corrupt, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)  # a PNG signature, then garbage
    pixels, layout = run_studio(studio, work, "corrupt_drop", ["--drop", corrupt, "--steps", str(steps)])
    check_error_shown(layout, "corrupt-image.png")
    check_picture(pixels, layout)


def case_missing_shaders(studio, work, steps):
    empty = os.path.join(work, "no-shaders")
    os.makedirs(empty, exist_ok=True)
    pixels, layout = run_studio(studio, work, "missing_shaders", ["--steps", str(steps)],
                                env={"SIREN_SHADER_DIR": empty})
    check_error_shown(layout, os.path.join(empty, "fullscreen.vert"))
    if layout["training"]["steps"] != steps:
        fail("training did not go on without the views")
    if pixels.var() <= 0:
        fail("the window is blank: the error must be shown in it")


def case_zoom(studio, work, steps):
    pixels, layout = run_studio(studio, work, "zoom", ["--zoom", "4", "--steps", str(steps)])
    if layout["zoom"] != 4:
        fail(f"the views were not zoomed: {layout['zoom']}")
    # The network is evaluated again over the zoomed rectangle; it must still match the image there.
    check_picture(pixels, layout, min_corr=0.7)


def case_compare(studio, work, steps):
    pixels, layout = run_studio(studio, work, "compare",
                                ["--compare", "sine,relu", "--tab", "compare", "--steps", str(steps)])
    runs = {r["activation"]: r for r in layout["compare"]}
    if set(runs) != {"sine", "relu"}:
        fail(f"expected sine and relu runs, got {layout['compare']}")
    for r in runs.values():
        if r["step"] < steps:
            fail(f"the {r['activation']} run took {r['step']} steps, fewer than {steps}")
    print("PSNR sine %.1f dB, relu %.1f dB" % (runs["sine"]["psnr_db"], runs["relu"]["psnr_db"]))
    if not runs["sine"]["psnr_db"] > runs["relu"]["psnr_db"] + 3:
        fail("SIREN should fit the image clearly better than a ReLU network of the same size")
    if pixels.var() <= 0:
        fail("the screenshot is blank")


def case_model_drop(studio, work, steps, siren):
    model = os.path.join(work, "camera-model.safetensors")
    subprocess.run([siren, "fit", "image", bundled_image(), "--size", "128", "--hidden", "64", "--layers", "3",
                    "--lr", "1e-3", "--steps", "150", "--backend", "cpu", "--save", model],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    broken = os.path.join(work, "broken-model.safetensors")
    with open(broken, "wb") as f:
        f.write(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    pixels, layout = run_studio(studio, work, "model_drop", ["--drop", model, "--drop", broken, "--steps", str(steps)])
    check_error_shown(layout, "broken-model.safetensors")
    loaded = [n["text"] for n in layout["notices"] if n["text"].startswith("Loaded ")]
    if not loaded:
        fail(f"no notice that the dropped model loaded: {layout['notices']}")
    # The views show the file's trained weights (no step taken since): the fit is close to the image.
    check_picture(pixels, layout, min_corr=0.95)


def case_divergence(studio, work, steps):
    # A learning rate that blows the weights up: the divergence guard restores the last good weights
    # and halves the rate until it gives up; every step of that must be told in the window.
    pixels, layout = run_studio(studio, work, "divergence", ["--lr", "1e30", "--steps", str(steps)])
    warnings = [n["text"] for n in layout["notices"] if n["level"] == "warning"]
    if not any("restored the weights" in w for w in warnings):
        fail(f"no notice that the diverged run was restored: {layout['notices']}")
    print(f"shown: {[w for w in warnings if 'restored the weights' in w][0]}")
    if not any("diverged" in e for e in errors(layout)):
        fail(f"the run that stopped is not shown as an error: {layout['notices']}")
    if pixels.var() <= 0:
        fail("the screenshot is blank")


def case_poisson(studio, work, steps):
    # Trained on the image's gradient alone: the reconstruction (offset removed) looks like the image.
    pixels, layout = run_studio(studio, work, "poisson", ["--mode", "poisson", "--steps", str(steps)])
    if errors(layout):
        fail(f"errors shown in a plain Poisson run: {errors(layout)}")
    if layout["mode"] != "poisson" or layout["supervision"] != "gradient":
        fail(f"expected the Poisson mode on the gradient: {layout['mode']}, {layout.get('supervision')}")
    check_picture(pixels, layout)
    ids = {v["id"] for v in layout["views"]}
    for needed in ("grad_mag", "laplacian", "truth_grad_mag", "truth_laplacian"):
        if needed not in ids:
            fail(f"view '{needed}' missing from the Poisson window")
    p = layout["poisson"]
    print("Poisson PSNR image %.1f, gradient %.1f, Laplacian %.1f dB" % (
        p["psnr_db"], p["gradient_psnr_db"], p["laplacian_psnr_db"]))
    if not p["psnr_db"] > 20 or not p["gradient_psnr_db"] > p["laplacian_psnr_db"]:
        fail(f"the reconstruction from the gradient is off: {p}")


def case_poisson_compare(studio, work, steps):
    pixels, layout = run_studio(studio, work, "poisson_compare", ["--mode", "poisson", "--compare", "sine,relu",
                                                                  "--tab", "compare", "--steps", str(steps)])
    runs = {r["activation"]: r for r in layout["compare"]}
    if set(runs) != {"sine", "relu"} or any(r["step"] < steps for r in runs.values()):
        fail(f"expected sine and relu Poisson runs of {steps} steps: {layout['compare']}")
    if not {"compare_fit_0", "compare_fit_1"} <= {v["id"] for v in layout["views"]} | {"compare_fit_0", "compare_fit_1"}:
        fail("no comparison views")
    if pixels.var() <= 0:
        fail("the screenshot is blank")


def case_blend(studio, work, steps):
    # alpha 1: the target gradient is A's everywhere, so the composite is image A.
    pixels, layout = run_studio(studio, work, "blend", ["--mode", "blend", "--param", "alpha=1", "--steps", str(steps)])
    if errors(layout):
        fail(f"errors shown in a plain blend run: {errors(layout)}")
    if layout["blend"]["alpha"] != 1:
        fail(f"alpha not applied: {layout['blend']}")
    # The naive composite is A itself here, drawn without B's outline (which view A carries). The top of
    # the composite view may lie under the toast of the last notice: compared below it.
    a = view_pixels(pixels, layout, "naive")
    composite = view_pixels(pixels, layout, "composite")
    top = below_toasts(layout, "composite")
    c = correlation(a[top:], composite[top:])
    print(f"composite/A correlation {c:.3f}, PSNR vs pasted {layout['blend'].get('psnr_db', 0):.1f} dB")
    if c <= 0.8:
        fail(f"with alpha 1 the composite does not look like A (correlation {c:.3f})")


def case_blend_clone(studio, work, steps):
    # Seamless cloning: inside B's rectangle the composite takes B's gradients, so it follows B pasted.
    pixels, layout = run_studio(studio, work, "blend_clone", ["--mode", "blend", "--param", "rule=clone",
                                                              "--steps", str(steps)])
    b = layout["blend"]
    if b["rule"] != "clone":
        fail(f"rule not applied: {b}")
    naive = view_pixels(pixels, layout, "naive")
    composite = view_pixels(pixels, layout, "composite")
    a = view_pixels(pixels, layout, "image_a")
    # B's rectangle on screen (views show the 64-px image at the view's size).
    n = layout["settings"]["image_size"]
    h, w = composite.shape
    r0, r1 = max(int(b["row"] * h / n) + 2, below_toasts(layout, "composite")), int((b["row"] + b["side"]) * h / n) - 2
    c0, c1 = int(b["col"] * w / n) + 2, int((b["col"] + b["side"]) * w / n) - 2
    inside_naive = correlation(composite[r0:r1, c0:c1], naive[r0:r1, c0:c1])
    inside_a = correlation(composite[r0:r1, c0:c1], a[r0:r1, c0:c1])
    print(f"inside B: composite/pasted {inside_naive:.3f}, composite/A {inside_a:.3f}")
    if not inside_naive > 0.6 or not inside_naive > inside_a + 0.3:
        fail("the cloned region does not follow B")


def case_mode_switch(studio, work, steps):
    pixels, layout = run_studio(studio, work, "mode_switch", ["--switch-to", "poisson", "--steps", str(steps)])
    if layout["mode"] != "poisson":
        fail(f"still in the {layout['mode']} mode after switching")
    if not any("Switched to the poisson mode" in n["text"] for n in layout["notices"]):
        fail(f"no notice of the switch: {layout['notices']}")
    if errors(layout):
        fail(f"errors shown while switching: {errors(layout)}")
    check_picture(pixels, layout)


def case_unknown_mode(studio, work, steps):
    pixels, layout = run_studio(studio, work, "unknown_mode", ["--mode", "nonesuch", "--steps", str(steps)])
    check_error_shown(layout, "nonesuch")
    if layout["mode"] != "image":
        fail(f"expected image fitting after an unknown mode, got {layout['mode']}")
    check_picture(pixels, layout)


def bundled_image():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "assets", "camera.png")


CASES = {
    "screenshot": (case_screenshot, 200),
    "missing_file": (case_missing_file, 150),
    "corrupt_drop": (case_corrupt_drop, 150),
    "missing_shaders": (case_missing_shaders, 10),
    "zoom": (case_zoom, 150),
    "compare": (case_compare, 60),
    "model_drop": (case_model_drop, 0),
    "divergence": (case_divergence, 40),
    "poisson": (case_poisson, 200),
    "poisson_compare": (case_poisson_compare, 40),
    "blend": (case_blend, 300),
    "blend_clone": (case_blend_clone, 300),
    "mode_switch": (case_mode_switch, 150),
    "unknown_mode": (case_unknown_mode, 100),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--studio", required=True, help="path of the siren-studio executable")
    ap.add_argument("--case", choices=sorted(CASES), action="append", help="cases to run (default: all)")
    ap.add_argument("--work", default="gui-test-output", help="folder for screenshots and layouts")
    ap.add_argument("--siren", help="path of the siren command-line program (the model_drop case makes a model)")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    for name in args.case or sorted(CASES):
        fn, steps = CASES[name]
        print(f"== {name}")
        if name == "model_drop":
            if not args.siren:
                fail("the model_drop case needs --siren")
            fn(args.studio, args.work, steps, args.siren)
        else:
            fn(args.studio, args.work, steps)
    print("OK")


if __name__ == "__main__":
    main()
