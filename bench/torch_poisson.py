#!/usr/bin/env python3
"""The Poisson experiment in PyTorch, as the reference would run it, to check our `siren fit poisson`
against it at the same setting: the same image, the same ground truth (DESIGN.md section 4: Sobel/8/h
and the 5-point stencil/h^2, reflect padding, on the image scaled to [-1, 1]), the same network and
init (bench/torch_reference.py's Siren), full-batch Adam at lr 1e-4, and the same metric (PSNR of the
reconstruction after the least-squares removal of a constant, or for the Laplacian a constant and a
linear ramp).

    /usr/bin/python3 bench/torch_poisson.py IMAGE.png --supervise gradient --steps 2000 [--siren build/siren]
                                            [--device cuda] [--json RESULT.json]

IMAGE.png is used at its own size (square, grey or RGB); make a smaller one first for a quick run. With
--siren the same fit runs through our CLI on the same file, and both PSNRs are printed side by side.
The seeds differ (PyTorch's and ours draw different initial weights), so expect agreement to within
the run-to-run spread of a few tenths of a dB, not bit for bit.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import imageio
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import Siren, image_coords, image_loss  # noqa: E402


def reflect(i, n):
    """scipy.ndimage's 'reflect' (d c b a | a b c d): the reference's padding."""
    return np.where(i < 0, -i - 1, np.where(i >= n, 2 * n - i - 1, i))


def derivatives(img):
    """(H, W, C) image in [-1, 1] -> gradient (H*W, C, 2) and Laplacian (H*W, C) in coordinate units."""
    h, w, c = img.shape
    hr, hc = 2.0 / (h - 1), 2.0 / (w - 1)
    rows, cols = np.arange(h), np.arange(w)

    def px(dr, dc):
        return img[reflect(rows + dr, h)][:, reflect(cols + dc, w)]

    # Sobel: a central difference smoothed by [1 2 1] across it; /8 makes it a per-pixel slope.
    drow = sum((2.0 if k == 0 else 1.0) * (px(1, k) - px(-1, k)) for k in (-1, 0, 1))
    dcol = sum((2.0 if k == 0 else 1.0) * (px(k, 1) - px(k, -1)) for k in (-1, 0, 1))
    grad = np.stack([drow / 8.0 / hr, dcol / 8.0 / hc], axis=-1)                       # (H, W, C, 2)
    lap = (px(-1, 0) - 2 * img + px(1, 0)) / hr ** 2 + (px(0, -1) - 2 * img + px(0, 1)) / hc ** 2
    return grad.reshape(h * w, c, 2), lap.reshape(h * w, c)


def remove_unobservable(pred, truth, xy, linear):
    """pred + the least-squares fit of (truth - pred) over [1] or [1, row, col], per channel."""
    basis = np.ones((xy.shape[0], 3 if linear else 1))
    if linear:
        basis[:, 1:] = xy
    coef, *_ = np.linalg.lstsq(basis, truth - pred, rcond=None)
    return pred + basis @ coef


def psnr(pred_signed, truth01):
    p = np.clip(pred_signed * 0.5 + 0.5, 0.0, 1.0)
    mse = np.mean((p - truth01) ** 2)
    return 10.0 * math.log10(1.0 / mse) if mse > 0 else 100.0


def fit_torch(args, img01, checkpoint=lambda result: None):
    """Fits in PyTorch; every tenth of the run, the image PSNR so far goes to `checkpoint` (so that a
    run stopped by a time limit still leaves its latest figure) and into the result's trace."""
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    # FP32 throughout, as the reference ran (PyTorch may otherwise use TF32 for matrix products on GPUs).
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    h, w, c = img01.shape
    signed = img01 * 2.0 - 1.0
    grad, lap = derivatives(signed)
    xy64 = image_coords(h * w, "cpu", None)
    x = xy64.float().to(device)
    target = torch.from_numpy(grad if args.supervise == "gradient" else lap).float().to(device)
    mode = "gradient" if args.supervise == "gradient" else "laplacian"
    model = Siren(2, c).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    result = {"device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu", "trace": []}
    train_seconds = 0.0
    t0 = time.perf_counter()
    for step in range(1, args.steps + 1):
        opt.zero_grad(set_to_none=True)
        loss = image_loss(mode, model, x, target)
        loss.backward()
        opt.step()
        if step % max(1, args.steps // 10) == 0 or step == args.steps:
            loss_value = loss.item()  # synchronises, so the time below is the training's
            train_seconds += time.perf_counter() - t0
            with torch.no_grad():
                pred = model(x).cpu().numpy().astype(np.float64)
            aligned = remove_unobservable(pred, signed.reshape(h * w, c), xy64.numpy(), args.supervise == "laplacian")
            db = psnr(aligned, img01.reshape(h * w, c))
            print(f"torch step {step}: loss {loss_value:.6g}, image PSNR {db:.2f} dB", file=sys.stderr, flush=True)
            result.update({"psnr_db": db, "final_loss": loss_value, "steps": step,
                           "ms_per_step": 1e3 * train_seconds / step})
            result["trace"].append({"step": step, "loss": loss_value, "psnr_db": db})
            checkpoint(result)
            t0 = time.perf_counter()
    return result


def fit_ours(args, size):
    with tempfile.TemporaryDirectory() as work:
        report = os.path.join(work, "report.json")
        cmd = [args.siren, "fit", "poisson", args.image, "--supervise", args.supervise, "--size", str(size),
               "--steps", str(args.steps), "--lr", str(args.lr), "--seed", str(args.seed), "--backend", "cpu",
               "--report", report]
        print("+", " ".join(cmd), file=sys.stderr, flush=True)
        subprocess.run(cmd, check=True, stdout=sys.stderr)
        with open(report) as f:
            return json.load(f)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("image")
    p.add_argument("--supervise", choices=("gradient", "laplacian"), required=True)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="PyTorch threads (0: PyTorch's default)")
    p.add_argument("--device", default="cpu", help="PyTorch's device for the fit: cpu or cuda")
    p.add_argument("--siren", help="also run our CLI (path to the siren binary) on the same image")
    p.add_argument("--json", help="write the results here")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    try:
        img = imageio.imread(args.image).astype(np.float64) / 255.0
    except (OSError, ValueError) as e:
        sys.exit(f"torch_poisson.py: cannot read {args.image}: {e}")
    if img.ndim == 2:
        img = img[:, :, None]
    img = img[:, :, :3]
    if img.shape[0] != img.shape[1] or img.shape[0] < 3:
        sys.exit(f"torch_poisson.py: {args.image}: a square image of at least 3x3 pixels is needed")

    result = {"image": os.path.basename(args.image), "size": img.shape[0], "supervise": args.supervise,
              "steps": args.steps, "lr": args.lr}

    def write(torch_result=None):
        if torch_result is not None:
            result["torch"] = torch_result
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=2)

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("torch_poisson.py: --device cuda, but PyTorch sees no CUDA device")
    write(fit_torch(args, img, write))
    if args.siren:
        ours = fit_ours(args, img.shape[0])
        result["ours"] = {k: ours[k] for k in ("psnr_db", "final_loss", "ms_per_step")}
        write()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
