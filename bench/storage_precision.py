#!/usr/bin/env python3
"""How precisely the SDF step's GEMM operands must be stored: a study for issue 4's SDF target.

The CUDA SDF step (reverse path, TF32) is bound by memory traffic: about 76 passes over buffers of
samples x 256 floats. Storing the hidden GEMMs' operands in 16 bits would halve much of it, but the
adjoints among them (zbar, gbar) are tiny numbers (the loss is a mean over the batch) with a wide
range, which FP16 holds only with a scale. This script measures, on the bundled shape, what each
storage format does to the parameter gradient of one SDF step, against float64:

  tf32   operands rounded to 10 mantissa bits, FP32 range (what the TF32 path does today)
  fp16   operands in IEEE half: values as they are, adjoints times a power-of-two scale S
  bf16   operands in bfloat16 (8 mantissa bits, FP32 range), no scale

The operands are those the CUDA backend's hidden-layer GEMMs read (DeviceMlp, reverse path): the
activations h_l and the sweep's a_l = sigma'(z_l) g_l, the adjoints zbar_l and gbar_l, and W_l, for
the hidden layers l = 1..3; the first and output layers stay FP32 (fused ends). GEMM outputs and
accumulation stay exact here (float64), so the figures are the storage format's share of the error.
It also prints the range of every adjoint operand per sample (times the batch size, so independent
of it), from which a static FP16 scale can be judged.

The network is the reference SIREN 3 -> 256x4 -> 1 (w0 = 30), trained in float32 with Adam (lr 1e-4,
clipping at 1) on the reference's 4-term SDF loss (bench/torch_reference.py), and measured at a few
steps of that training.

Usage: /usr/bin/python3 bench/storage_precision.py [--steps 0,300,1000] [--points 4000] [--json F]
(Debian's interpreter, with python3-torch; CPU only; about 3 minutes with the defaults on 2 cores.)
"""

import argparse
import json
import math
import os
import struct
import sys

import torch

from torch_reference import sdf_loss_of  # the reference's 4-term SDF loss, as the timings use it

W0 = 30.0
HIDDEN = 256
LAYERS = 5              # linear layers: 3 -> 256, three 256 -> 256, 256 -> 1
LR = 1e-4
HERE = os.path.dirname(os.path.abspath(__file__))


# ------------------------------------------------------------------------------------------ data

def read_point_cloud(path):
    """x, y, z, nx, ny, nz of a binary little-endian PLY whose vertices are six floats."""
    try:
        f = open(path, "rb")
    except OSError as e:
        raise SystemExit(f"{path}: cannot open ({e.strerror})") from None
    with f:
        header = b""
        while not header.endswith(b"end_header\n"):
            line = f.readline()
            if not line:
                raise SystemExit(f"{path}: no end_header")
            header += line
        text = header.decode("ascii")
        if "format binary_little_endian 1.0" not in text:
            raise SystemExit(f"{path}: not a binary little-endian PLY")
        props = [l.split()[-1] for l in text.splitlines() if l.startswith("property")]
        if props != ["x", "y", "z", "nx", "ny", "nz"]:
            raise SystemExit(f"{path}: expected the properties x y z nx ny nz, not {props}")
        try:
            count = int(next(l.split()[-1] for l in text.splitlines() if l.startswith("element vertex")))
        except (StopIteration, ValueError):
            raise SystemExit(f"{path}: no vertex count in the header") from None
        raw = f.read(count * 24)
        if len(raw) != count * 24:
            raise SystemExit(f"{path}: truncated")
    v = torch.tensor(struct.unpack(f"<{count * 6}f", raw), dtype=torch.float64).view(count, 6)
    pts, nrm = v[:, :3], v[:, 3:]
    # Into [-1, 1]^3 as the SDF task does: centred on the bounding box, the longest side to 1.8.
    lo, hi = pts.min(0).values, pts.max(0).values
    pts = (pts - (lo + hi) / 2) * (1.8 / (hi - lo).max())
    return pts, nrm / nrm.norm(dim=1, keepdim=True).clamp_min(1e-12)


def batch(pts, nrm, n, gen):
    idx = torch.randint(0, pts.shape[0], (n,), generator=gen)
    off = torch.rand(n, 3, generator=gen, dtype=torch.float64) * 2 - 1
    return pts[idx], nrm[idx], off


# ------------------------------------------------------------------------------------ the network

def init_params(gen):
    """The reference's init: first layer U(-1/fan_in, 1/fan_in), the others U(+-sqrt(6/fan_in)/w0),
    biases U(+-1/sqrt(fan_in)). W_l is fan_out x fan_in."""
    params = []
    fans = [3] + [HIDDEN] * (LAYERS - 1) + [1]
    for l in range(LAYERS):
        fi, fo = fans[l], fans[l + 1]
        bound = 1.0 / fi if l == 0 else math.sqrt(6.0 / fi) / W0
        w = (torch.rand(fo, fi, generator=gen, dtype=torch.float64) * 2 - 1) * bound
        b = (torch.rand(fo, generator=gen, dtype=torch.float64) * 2 - 1) / math.sqrt(fi)
        params += [w, b]
    return params


def round_tf32(x):
    """To nearest, ties away from zero, at 10 mantissa bits (PTX cvt.rna.tf32.f32), via float32."""
    i = x.float().view(torch.int32)
    i = (i + 0x1000) & ~0x1FFF
    return i.view(torch.float32).to(x.dtype)


class Format:
    """How one storage format rounds a value operand and an adjoint operand (float64 in and out);
    with outputs=True, the GEMMs' outputs too (z, g, and the adjoints abar and hbar), as they would
    be stored in 16 bits (accumulated in FP32, written rounded)."""

    def __init__(self, name, scale_log2=0, outputs=False):
        self.name, self.scale, self.outputs = name, 2.0 ** scale_log2, outputs

    def rounded(self, x):
        if self.name == "fp64":
            return x
        if self.name == "tf32":
            return round_tf32(x)
        if self.name == "fp16":
            return x.half().to(x.dtype)
        return x.bfloat16().to(x.dtype)

    def value(self, x):
        """The stored operand, with the gradient passing straight through: the backend's GEMMs read
        the rounded copy, and their products land on the unrounded parameter and adjoint."""
        return x + (self.rounded(x.detach()) - x.detach())

    def adjoint(self, g):
        if self.name != "fp16":
            return self.rounded(g)
        return (g * self.scale).half().to(g.dtype) / self.scale

    def out_value(self, x):
        return self.value(x) if self.outputs else x

    def out_adjoint(self, g):
        return self.adjoint(g) if self.outputs else g


class Stored(torch.autograd.Function):
    """Identity forward; the adjoint that flows back through it is stored (rounded) by `fmt` as a
    GEMM's operand (output=False) or output, and recorded for the range statistics."""

    @staticmethod
    def forward(ctx, x, fmt, name, log, output=False):
        ctx.fmt, ctx.name, ctx.log, ctx.output = fmt, name, log, output
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        if ctx.log is not None:
            ctx.log.setdefault(ctx.name, []).append(g.detach().abs().flatten())
        return (ctx.fmt.out_adjoint(g) if ctx.output else ctx.fmt.adjoint(g)), None, None, None, None


def network(params, x, fmt, log=None):
    """phi and grad phi through the reverse path's operands, rounded by fmt."""
    r = fmt.value
    zs, h = [], x
    for l in range(LAYERS - 1):
        w, b = params[2 * l], params[2 * l + 1]
        if l == 0:
            z = h @ w.T + b
        else:  # a hidden GEMM: operands h and W, output z; adjoints: operand zbar, output hbar
            h = Stored.apply(h, fmt, f"hbar_{l - 1}", log, True)
            z = Stored.apply(fmt.out_value(r(h) @ r(w).T), fmt, f"zbar_{l}", log) + b
        zs.append(z)
        h = torch.sin(W0 * z)
    wl, bl = params[-2], params[-1]
    phi = (h @ wl.T + bl)[:, 0]
    g = wl.expand(x.shape[0], HIDDEN)  # g_(L-1) = W_L^T for every sample
    for l in range(LAYERS - 2, -1, -1):
        a = W0 * torch.cos(W0 * zs[l]) * g
        w = params[2 * l]
        if l > 0:  # the sweep's hidden GEMM: operands a and W, output g; adjoints: gbar, abar
            a = Stored.apply(a, fmt, f"abar_{l}", log, True)
            g = fmt.out_value(Stored.apply(r(a) @ r(w), fmt, f"gbar_{l - 1}", log))
        else:
            grad = a @ w
    return phi, grad


def gradient(params, data, fmt, adjoints=None, log=None):
    """The parameter gradient of one step under fmt. With `adjoints` (dLoss/dphi and dLoss/dgrad phi
    of the float64 pass), the loss's own derivative is that one: the loss has kinks (|phi|,
    | |grad phi| - 1 |) where any rounding flips a sign and moves the gradient by far more than the
    storage error, which is what is measured here. Returns (gradient, adjoints)."""
    on, normals, off = data
    ps = [p.detach().clone().requires_grad_(True) for p in params]
    phi, grad = network(ps, torch.cat([on, off], 0), fmt, log)
    if adjoints is None:
        loss = sdf_loss_of(phi, grad, on.shape[0], normals)
        adjoints = [a.detach() for a in torch.autograd.grad(loss, (phi, grad), retain_graph=True)]
    ((phi * adjoints[0]).sum() + (grad * adjoints[1]).sum()).backward()
    return torch.cat([p.grad.flatten() for p in ps]), adjoints


class Trainer:
    """Adam in float32 on the plain (unrounded) loss, clipping the gradient's norm at 1."""

    def __init__(self, params):
        self.ps = [p.float().requires_grad_(True) for p in params]
        self.opt = torch.optim.Adam(self.ps, lr=LR)

    def train(self, pts, nrm, steps, n, gen):
        for _ in range(steps):
            on, normals, off = (t.float() for t in batch(pts, nrm, n, gen))
            self.opt.zero_grad()
            phi, grad = network(self.ps, torch.cat([on, off], 0), Format("fp64"))
            sdf_loss_of(phi, grad, on.shape[0], normals).backward()
            torch.nn.utils.clip_grad_norm_(self.ps, 1.0)
            self.opt.step()
        return [p.detach().double() for p in self.ps]


# ---------------------------------------------------------------------------------------- the study

def rel_err(a, b):
    return float((a - b).norm() / b.norm())


def log2_or_none(v):
    return None if v <= 0 else math.log2(v)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", default="0,300,1000", help="training steps at which to measure")
    ap.add_argument("--points", type=int, default=4000, help="on-surface points of a measured step "
                    "(as many off-surface); training uses a quarter")
    ap.add_argument("--fp16-scales", default="-12,-8,-4,0", help="log2 of the FP16 adjoint scale, "
                    "times the batch size (2 * points)")
    ap.add_argument("--shape", default=os.path.join(HERE, "..", "assets", "shape.ply"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        checkpoints = sorted({int(s) for s in args.steps.split(",")})
        scales = [int(s) for s in args.fp16_scales.split(",")]
    except ValueError:
        ap.error("--steps and --fp16-scales take comma-separated integers")
    if args.points < 1 or checkpoints[0] < 0:
        ap.error("--points must be positive and --steps not negative")

    gen = torch.Generator().manual_seed(args.seed)
    pts, nrm = read_point_cloud(args.shape)
    trainer = Trainer(init_params(gen))
    n_total = 2 * args.points
    # Per-sample adjoints are the batch mean's, so N times them is what one sample contributes:
    # the FP16 scale is S = N * 2^k.
    formats = [Format("tf32"), Format("bf16"), Format("bf16", outputs=True)] + [
        Format("fp16", math.log2(n_total) + k) for k in scales] + [
        Format("fp16", math.log2(n_total) + k, outputs=True) for k in scales]
    labels = ["tf32", "bf16 operands", "bf16 operands and outputs"] + [
        f"fp16 operands, S = N * 2^{k}" for k in scales] + [
        f"fp16 operands and outputs, S = N * 2^{k}" for k in scales]
    results, done = [], 0
    for step in checkpoints:
        params = trainer.train(pts, nrm, step - done, max(1, args.points // 4), gen)
        done = step
        data = batch(pts, nrm, args.points, gen)
        log = {}
        ref, adjoints = gradient(params, data, Format("fp64"), log=log)
        print(f"\nstep {step}: |grad| = {float(ref.norm()):.4g}")
        print("  adjoint operand   log2 of N*|x|:  max    99.9%   median   1%    zeros")
        ranges = {}
        for name in sorted(log):
            v = torch.cat(log[name]) * n_total
            nz = v[v > 0]
            q = torch.quantile(nz[torch.randperm(nz.numel(), generator=gen)[:1 << 20]],
                               torch.tensor([0.999, 0.5, 0.01], dtype=nz.dtype)) if nz.numel() else None
            row = {"max": log2_or_none(float(v.max())), "p999": log2_or_none(float(q[0])) if q is not None else None,
                   "median": log2_or_none(float(q[1])) if q is not None else None,
                   "p01": log2_or_none(float(q[2])) if q is not None else None,
                   "zero_fraction": float((v == 0).double().mean())}
            ranges[name] = row
            cells = ["   -  " if row[k] is None else f"{row[k]:6.1f}" for k in ("max", "p999", "median", "p01")]
            print(f"  {name:16s} {' '.join(cells)}   {row['zero_fraction']:.3f}")
        errs = {}
        for fmt, label in zip(formats, labels):
            g, _ = gradient(params, data, fmt, adjoints)
            errs[label] = rel_err(g, ref) if torch.isfinite(g).all() else float("inf")
            print(f"  {label:42s} gradient rel. error {errs[label]:.3g}")
        results.append({"step": step, "grad_norm": float(ref.norm()), "adjoint_log2_ranges": ranges,
                        "gradient_rel_error": errs})
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"points": args.points, "seed": args.seed, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
