#!/usr/bin/env python3
"""PyTorch reference timings for one SIREN training step (forward, backward, Adam).

The network and the losses mirror bench/bench_train_step.cpp (see DESIGN.md sections 2-4):

  plain      2 -> 256x4 (sine, w0 = 30) -> 3 (linear), mean over points and channels of (y - t)^2
  gradient   same network, mean over points and channels of sum_k (dy_c/dx_k - g_ck)^2
             (one autograd.grad per output channel with create_graph=True; the loss's backward is a
             double backward)
  laplacian  same network, mean over points and channels of (lap y_c - l_c)^2 with
             lap = divergence(gradient(y_c, x), x) per channel
  sdf        3 -> 256x4 -> 1 on N on-surface points (unit sphere, with normals) + N uniform points in
             [-1,1]^3, the 4-term SDF loss of DESIGN.md section 4, gradient-norm clipping at 1

Image-like modes use a sqrt(N) x sqrt(N) pixel grid with coordinates (i/(n-1) - 0.5) * 2 when N is a
perfect square (65,536 = 256^2 by default), else N uniform random points in [-1,1]^2. Targets are fixed
smooth synthetic functions; the timing does not depend on them.

Derivative losses keep large autograd graphs (about 0.1 MB per point for gradient, 0.4 MB for laplacian
in float32): --chunks auto (the default) splits a step's points into the fewest slices that fit in half
the free memory and back-propagates them one after the other (the same parameter gradient; recorded as
"chunks" in the JSON). Each step's loss is printed for the first and last timed step, to show that it
decreases.

Usage: torch_reference.py --device cpu --mode plain,laplacian --points 65536 --json out.json
Use Debian's interpreter (/usr/bin/python3) with python3-torch.
"""

import argparse
import ctypes
import json
import math
import os
import platform
import statistics
import sys
import time

import torch
from torch import nn

W0 = 30.0
HIDDEN = 256
SINE_LAYERS = 4          # first layer + 3 hidden layers (the reference's hidden_layers=3)
LR = 1e-4
ALL_MODES = ("plain", "gradient", "laplacian", "sdf")


# --------------------------------------------------------------------------------------------- model

class SineLayer(nn.Module):
    """h' = sin(w0 * (W h + b)); parameters named `linear.weight` / `linear.bias` as in the reference."""

    def __init__(self, fan_in, fan_out, w0, first):
        super().__init__()
        self.w0 = w0
        self.linear = nn.Linear(fan_in, fan_out)   # bias keeps PyTorch's default U(-1/sqrt(n), 1/sqrt(n))
        with torch.no_grad():
            bound = 1.0 / fan_in if first else math.sqrt(6.0 / fan_in) / w0
            self.linear.weight.uniform_(-bound, bound)

    def forward(self, x):
        return torch.sin(self.w0 * self.linear(x))


class Siren(nn.Module):
    """in -> hidden x sine_layers (sine) -> out (linear). Tensor names: net.{i}.linear.*, net.{last}.*"""

    def __init__(self, in_features, out_features, hidden=HIDDEN, sine_layers=SINE_LAYERS, w0=W0):
        super().__init__()
        layers = []
        fan_in = in_features
        for i in range(sine_layers):
            layers.append(SineLayer(fan_in, hidden, w0, first=(i == 0)))
            fan_in = hidden
        last = nn.Linear(fan_in, out_features)
        with torch.no_grad():
            bound = math.sqrt(6.0 / fan_in) / w0
            last.weight.uniform_(-bound, bound)
        layers.append(last)
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


# ----------------------------------------------------------------------------- input derivatives

# --channel-sum: derivatives of the SUM of the output channels, broadcast to every channel. That is
# what the reference's gradient(y, x) (grad_outputs = ones) computes for a multi-channel y: one
# backward pass instead of one per channel. Cheaper, but not the per-channel quantity our jets give.
CHANNEL_SUM = False


def channel_gradients(y, x):
    """Per-channel input gradients: (P, C) outputs of (P, D) inputs -> (P, C, D), differentiable."""
    if CHANNEL_SUM:
        (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
        return g.unsqueeze(1).expand(-1, y.shape[1], -1)
    grads = []
    for c in range(y.shape[1]):
        (g,) = torch.autograd.grad(y[:, c].sum(), x, create_graph=True)
        grads.append(g)
    return torch.stack(grads, dim=1)


def divergence(g, x):
    """sum_k d g_k / d x_k for a (P, D) field g of the (P, D) input x, differentiable."""
    div = torch.zeros_like(g[:, 0])
    for k in range(g.shape[1]):
        (h,) = torch.autograd.grad(g[:, k].sum(), x, create_graph=True)
        div = div + h[:, k]
    return div


def channel_laplacians(y, x):
    """Per-channel Laplacian (P, C) = divergence(gradient(y_c, x), x) for every channel c."""
    if CHANNEL_SUM:
        (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
        return divergence(g, x).unsqueeze(1).expand(-1, y.shape[1])
    laps = []
    for c in range(y.shape[1]):
        (g,) = torch.autograd.grad(y[:, c].sum(), x, create_graph=True)
        laps.append(divergence(g, x))
    return torch.stack(laps, dim=1)


# ------------------------------------------------------------------------------------------- data

def image_coords(points, device, generator):
    side = int(round(math.sqrt(points)))
    if side * side == points and side > 1:
        lin = (torch.arange(side, dtype=torch.float64) / (side - 1) - 0.5) * 2.0
        rows, cols = torch.meshgrid(lin, lin, indexing="ij")   # coordinate 0 = row, 1 = column
        xy = torch.stack([rows.reshape(-1), cols.reshape(-1)], dim=1)
    else:
        xy = torch.rand(points, 2, dtype=torch.float64, generator=generator) * 2.0 - 1.0
    return xy


def target_field(xy):
    """Smooth synthetic 3-channel target f_c(x) evaluated in float64 (differentiable in xy)."""
    r, c = xy[:, 0], xy[:, 1]
    return torch.stack([
        0.5 * torch.sin(math.pi * r) * torch.cos(math.pi * c),
        0.5 * torch.sin(2.0 * math.pi * (r + c) + 0.3),
        0.25 * torch.cos(1.5 * math.pi * r) + 0.25 * torch.sin(2.5 * math.pi * c),
    ], dim=1)


def image_targets(mode, xy):
    """Targets of the image-like modes, computed with autograd on the float64 target function."""
    x = xy.clone().requires_grad_(True)
    f = target_field(x)
    if mode == "plain":
        return f.detach()
    if mode == "gradient":
        return channel_gradients(f, x).detach()
    return channel_laplacians(f, x).detach()


def sample_sdf(points, device, generator=None):
    """N on-surface points of the unit sphere with normals + N uniform points in [-1,1]^3."""
    n = torch.randn(points, 3, device=device, generator=generator)
    n = n / n.norm(dim=1, keepdim=True).clamp_min(1e-12)
    off = torch.rand(points, 3, device=device, generator=generator) * 2.0 - 1.0
    return n, n, off   # on-surface points, their normals, off-surface points


# ------------------------------------------------------------------------------------------ losses

def image_loss(mode, model, x, target):
    """Loss of an image-like mode on the points x (P, 2) with the target of that mode."""
    if mode == "plain":
        y = model(x)
        return ((y - target) ** 2).mean()
    xg = x.detach().requires_grad_(True)
    y = model(xg)
    if mode == "gradient":
        g = channel_gradients(y, xg)                     # (P, C, 2)
        return ((g - target) ** 2).sum(dim=2).mean()     # mean over points and channels of sum_k
    if mode == "laplacian":
        lap = channel_laplacians(y, xg)                  # (P, C)
        return ((lap - target) ** 2).mean()
    raise ValueError(mode)


def sdf_loss_of(phi, grad, n_on, normals):
    """3e3 mean|phi| (surface) + 1e2 mean exp(-100|phi|) (off-surface)
    + 1e2 mean(1 - cos(grad phi, n)) (surface) + 5e1 mean| |grad phi| - 1 | (all points),
    of phi and grad phi with the first n_on samples on the surface."""
    phi_on, phi_off = phi[:n_on], phi[n_on:]
    surface = phi_on.abs().mean()
    off_surface = torch.exp(-100.0 * phi_off.abs()).mean()
    normal = (1.0 - torch.nn.functional.cosine_similarity(grad[:n_on], normals, dim=1)).mean()
    eikonal = (grad.norm(dim=1) - 1.0).abs().mean()
    return 3e3 * surface + 1e2 * off_surface + 1e2 * normal + 5e1 * eikonal


def sdf_loss(model, on_pts, normals, off_pts):
    """sdf_loss_of the model on the surface points (with their normals) and the off-surface points."""
    n_on = on_pts.shape[0]
    x = torch.cat([on_pts, off_pts], dim=0).requires_grad_(True)
    phi = model(x)[:, 0]
    (grad,) = torch.autograd.grad(phi.sum(), x, create_graph=True)
    return sdf_loss_of(phi, grad, n_on, normals)


# ------------------------------------------------------------------------------------------ memory

# Approximate peak autograd memory per point (bytes, float32, hidden 256), measured with torch 1.13 on
# the CPU (sdf: per on-surface point, i.e. per 2 network evaluations), with some margin.
BYTES_PER_POINT = {"plain": 20e3, "gradient": 100e3, "laplacian": 400e3, "sdf": 100e3}


def available_memory(device):
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return float(free)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    return None


def auto_chunks(mode, points, device):
    """Smallest number of chunks whose estimated autograd memory fits in half the free memory."""
    avail = available_memory(device)
    if avail is None:
        return 1
    need = BYTES_PER_POINT[mode] * points
    return max(1, min(points, math.ceil(need / (0.5 * avail))))


def split_even(n, k):
    """k slices covering range(n) with sizes differing by at most one."""
    bounds = [round(i * n / k) for i in range(k + 1)]
    return [slice(bounds[i], bounds[i + 1]) for i in range(k) if bounds[i + 1] > bounds[i]]


# ------------------------------------------------------------------------------------------ timing

def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_mode(mode, points, device, steps, warmup, compiled, seed, chunks=1):
    """Time `steps` Adam steps after `warmup`. With chunks > 1 the points are split into that many
    slices whose losses (weighted by their share of the points) are back-propagated one after the
    other, accumulating the same parameter gradient with less autograd memory."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    if mode == "sdf":
        model = Siren(3, 1).to(device)
        dev_gen = torch.Generator(device=device).manual_seed(seed)
        loss_fn = sdf_loss
        clip = 1.0

        def batches():                 # fresh points every step, as in training
            on_pts, normals, off_pts = sample_sdf(points, device, dev_gen)
            for sl in split_even(points, chunks):
                yield (on_pts[sl], normals[sl], off_pts[sl]), (sl.stop - sl.start) / points
    else:
        model = Siren(2, 3).to(device)
        xy = image_coords(points, device, gen)
        target = image_targets(mode, xy).to(device=device, dtype=torch.float32)
        x = xy.to(device=device, dtype=torch.float32)
        clip = None

        def loss_fn(xc, tc):
            return image_loss(mode, model, xc, tc)
        slices = split_even(points, chunks)

        def batches():
            for sl in slices:
                yield (x[sl], target[sl]), (sl.stop - sl.start) / points

    if mode == "sdf":
        def call(args):
            return loss_fn(model, *args)
    else:
        def call(args):
            return loss_fn(*args)
    if compiled:
        call = torch.compile(call)

    opt = torch.optim.Adam(model.parameters(), lr=LR)
    params = list(model.parameters())

    def step():
        opt.zero_grad(set_to_none=True)
        total = None
        for args, weight in batches():
            loss = call(args)
            if weight != 1.0:
                loss = loss * weight
            loss.backward()
            total = loss.detach() if total is None else total + loss.detach()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
        return total

    for _ in range(warmup):
        step()
    sync(device)
    times, losses = [], []
    for _ in range(steps):
        t0 = time.perf_counter()
        losses.append(step())
        sync(device)
        times.append(time.perf_counter() - t0)
    losses = [float(v) for v in losses]
    ms = [t * 1e3 for t in times]
    return {
        "mode": mode,
        "points": points,
        "total_points": 2 * points if mode == "sdf" else points,
        "ms_per_step": sum(ms) / len(ms),
        "ms_median": statistics.median(ms),
        "ms_min": min(ms),
        "steps": steps,
        "warmup": warmup,
        "compiled": bool(compiled),
        "chunks": chunks,
        "loss_first": losses[0],
        "loss_last": losses[-1],
    }


# ----------------------------------------------------------------------------------- BLAS discovery

def _loaded_blas_libraries():
    paths = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6:
                    base = os.path.basename(parts[-1]).lower()
                    if "blas" in base or "blis" in base or "mkl" in base or "lapack" in base:
                        paths.add(parts[-1])
    except OSError:
        pass
    return sorted(paths)


def _openblas_handle():
    for path in _loaded_blas_libraries():
        try:
            lib = ctypes.CDLL(path)
            getattr(lib, "openblas_get_corename")
            return path, lib
        except (OSError, AttributeError):
            continue
    return None, None


def blas_info():
    """What BLAS torch's GEMMs land in: loaded libraries, and OpenBLAS's core/config if it is one."""
    a = torch.randn(64, 64)
    torch.mm(a, a)                                  # make sure the BLAS is loaded and initialised
    info = {"loaded_libraries": _loaded_blas_libraries(), "torch_blas_info": None}
    try:
        for item in torch.__config__.show().replace(",", "\n").splitlines():
            if "BLAS_INFO" in item and "LAPACK" not in item:
                info["torch_blas_info"] = item.strip().split("=", 1)[-1]
    except Exception:   # noqa: BLE001 - purely informative
        pass
    path, lib = _openblas_handle()
    if lib is not None:
        lib.openblas_get_corename.restype = ctypes.c_char_p
        info["library"] = os.path.realpath(path)
        info["corename"] = lib.openblas_get_corename().decode()
        if hasattr(lib, "openblas_get_config"):
            lib.openblas_get_config.restype = ctypes.c_char_p
            info["config"] = lib.openblas_get_config().decode()
        if hasattr(lib, "openblas_get_num_threads"):
            info["num_threads"] = int(lib.openblas_get_num_threads())
    info["OPENBLAS_CORETYPE"] = os.environ.get("OPENBLAS_CORETYPE")
    return info


def set_openblas_threads(n):
    _, lib = _openblas_handle()
    if lib is not None and hasattr(lib, "openblas_set_num_threads"):
        lib.openblas_set_num_threads(ctypes.c_int(n))


# --------------------------------------------------------------------------------------------- main

def parse_modes(text):
    modes = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if part == "all":
            modes.extend(ALL_MODES)
        elif part in ALL_MODES:
            modes.append(part)
        else:
            raise argparse.ArgumentTypeError(f"unknown mode {part!r} (choose from {', '.join(ALL_MODES)}, all)")
    seen = []
    for m in modes:
        if m not in seen:
            seen.append(m)
    return seen


def main(argv=None):
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--mode", "--modes", dest="modes", type=parse_modes, default=parse_modes("all"),
                   help="plain|gradient|laplacian|sdf|all, or a comma-separated list (default all)")
    p.add_argument("--points", type=int, default=None,
                   help="points per step (default 65536; sdf: 200000 on-surface + as many off-surface)")
    p.add_argument("--steps", type=int, default=None, help="timed steps (default 5 on cpu, 50 on cuda)")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps first (default 2 cpu, 10 cuda)")
    p.add_argument("--compile", action="store_true", help="also time torch.compile of the step")
    p.add_argument("--compile-only", action="store_true",
                   help="time only torch.compile of the step (no eager run; scripts/gpu-check times the "
                        "compiled variant per mode under a time limit)")
    p.add_argument("--threads", type=int, default=cores, help=f"torch threads (default {cores})")
    p.add_argument("--chunks", default="auto",
                   help="split each step's points into this many back-propagated slices (same gradient, "
                        "less memory); 'auto' (default) picks the fewest that fit in half the free memory")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--channel-sum", action="store_true",
                   help="derivatives of the sum of the output channels (the reference's gradient()), "
                        "not per channel")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON")
    args = p.parse_args(argv)
    global CHANNEL_SUM
    CHANNEL_SUM = args.channel_sum

    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("torch_reference.py: CUDA requested but torch.cuda.is_available() is false")
    steps = args.steps if args.steps is not None else (50 if device.type == "cuda" else 5)
    warmup = args.warmup if args.warmup is not None else (10 if device.type == "cuda" else 2)
    if steps < 1 or warmup < 0:
        sys.exit("torch_reference.py: --steps must be >= 1 and --warmup >= 0")

    torch.set_num_threads(args.threads)
    set_openblas_threads(args.threads)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False   # fp32 GEMMs, as in our backend
        torch.backends.cudnn.allow_tf32 = False

    binfo = blas_info()
    blas_name = binfo.get("corename") or binfo.get("torch_blas_info") or "unknown"
    header = {
        "torch_version": torch.__version__,
        "device": args.device,
        "device_name": (torch.cuda.get_device_name(device) if device.type == "cuda"
                        else platform.processor() or platform.machine()),
        "threads": torch.get_num_threads(),
        "channel_sum": CHANNEL_SUM,
        "blas": blas_name,
        "blas_info": binfo,
        "python": sys.executable,
    }
    print(f"torch {torch.__version__} on {args.device} ({header['device_name']}), "
          f"{header['threads']} threads, BLAS: {blas_name}"
          + (f" [{binfo.get('library')}]" if binfo.get("library") else ""), file=sys.stderr)

    variants = [False]
    if args.compile_only:
        args.compile = True
        variants = []
    if args.compile:
        if hasattr(torch, "compile"):
            variants.append(True)
        else:
            print(f"torch.compile is unavailable in torch {torch.__version__}: skipping the compiled "
                  f"variant", file=sys.stderr)

    results, skipped = [], []
    for mode in args.modes:
        points = args.points if args.points is not None else (200000 if mode == "sdf" else 65536)
        if args.chunks == "auto":
            chunks = auto_chunks(mode, points, device)
        else:
            chunks = max(1, min(points, int(args.chunks)))
        if chunks > 1:
            print(f"{mode}: {points} points in {chunks} chunks to bound autograd memory",
                  file=sys.stderr)
        for compiled in variants:
            label = f"{mode}{' (compiled)' if compiled else ''}"
            print(f"timing {label}: {points} points, {warmup} warmup + {steps} timed steps ...",
                  file=sys.stderr, flush=True)
            try:
                r = time_mode(mode, points, device, steps, warmup, compiled, args.seed, chunks)
            except Exception as exc:   # noqa: BLE001 - compile may not support double backward
                if not compiled:
                    raise
                msg = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                print(f"  {label} failed, skipped: {msg}", file=sys.stderr)
                skipped.append({"mode": mode, "compiled": True, "error": msg})
                continue
            print(f"  {r['ms_per_step']:.2f} ms/step, loss {r['loss_first']:.6g} -> {r['loss_last']:.6g}",
                  file=sys.stderr, flush=True)
            results.append(r)

    print(f"{'mode':<10} {'compiled':>8} {'points':>8} {'chunks':>6} {'steps':>5} {'ms/step':>10} "
          f"{'median':>10} {'min':>10} {'loss first':>12} {'loss last':>12}")
    for r in results:
        print(f"{r['mode']:<10} {('yes' if r['compiled'] else 'no'):>8} {r['points']:>8} {r['chunks']:>6} "
              f"{r['steps']:>5} "
              f"{r['ms_per_step']:>10.2f} {r['ms_median']:>10.2f} {r['ms_min']:>10.2f} "
              f"{r['loss_first']:>12.6g} {r['loss_last']:>12.6g}")

    if args.json:
        out = dict(header, results=results)
        if skipped:
            out["skipped"] = skipped
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
