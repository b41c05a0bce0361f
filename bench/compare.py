#!/usr/bin/env python3
"""Compare our SIREN training-step benchmark with the PyTorch reference.

Reads the Google Benchmark JSON of bench_train_step (--benchmark_out=FILE --benchmark_out_format=json)
and the JSON written by torch_reference.py --json from the same run, and prints, per mode:
ours ms/step, PyTorch ms/step, ratio ours/PyTorch, the target ratio and whether it is met.

Benchmarks are matched by name: `BM_TrainStep/<mode>` with anything after the mode stripped
(`/real_time`, `/min_time:...`, aggregate suffixes such as `_mean`). Times are the entries' real_time
converted from their time_unit. With --benchmark_repetitions the `mean` aggregate is used (or the one
named by --aggregate); otherwise the mean of the iteration runs.

Usage: compare.py OURS.json TORCH.json [--markdown] [--strict]
"""

import argparse
import json
import re
import sys

# Target ratios ours/PyTorch on the CPU (lower is better: ours must be at least 2x / 4x faster).
CPU_TARGETS = {"plain": 0.5, "gradient": 0.25, "laplacian": 0.25}
MODE_ORDER = ("plain", "gradient", "laplacian", "sdf")
UNIT_TO_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
NAME_RE = re.compile(r"^BM_TrainStep/([A-Za-z0-9]+?)(?:_(?:mean|median|stddev|cv|min|max)\b|/|$)")


def load_json(path, what):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as exc:
        sys.exit(f"compare.py: cannot read the {what} JSON {path}: {exc}")


def bench_mode(entry):
    """The mode of a Google Benchmark entry named BM_TrainStep/<mode>[...], else None."""
    for key in ("run_name", "name"):
        name = entry.get(key)
        if isinstance(name, str):
            m = NAME_RE.match(name)
            if m:
                return m.group(1)
    return None


def entry_ms(entry):
    unit = entry.get("time_unit", "ns")
    if unit not in UNIT_TO_MS:
        raise ValueError(f"unknown time_unit {unit!r} in {entry.get('name')}")
    return float(entry["real_time"]) * UNIT_TO_MS[unit]


def ours_ms_per_mode(gbench, aggregate):
    """mode -> (ms per step, number of runs it summarises)."""
    iterations, aggregates = {}, {}
    for entry in gbench.get("benchmarks", []):
        mode = bench_mode(entry)
        if mode is None or entry.get("error_occurred"):
            continue
        if entry.get("run_type") == "aggregate":
            name = entry.get("aggregate_name")
            if name is None:       # older versions only put it in the name suffix
                m = re.search(r"_(mean|median|stddev|cv|min|max)$", entry.get("name", ""))
                name = m.group(1) if m else None
            if name == aggregate and entry.get("aggregate_unit", "time") == "time":
                aggregates[mode] = entry_ms(entry)
        else:
            iterations.setdefault(mode, []).append(entry_ms(entry))
    out = {}
    for mode, values in iterations.items():
        out[mode] = (sum(values) / len(values), len(values))
    for mode, value in aggregates.items():
        out[mode] = (value, len(iterations.get(mode, [])) or 1)
    return out


def torch_ms_per_mode(ref):
    eager, compiled = {}, {}
    for r in ref.get("results", []):
        (compiled if r.get("compiled") else eager)[r["mode"]] = float(r["ms_per_step"])
    return eager, compiled


def fmt_ms(v):
    if v is None:
        return "-"
    return f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def build_rows(ours, torch_eager, torch_compiled, device, targets):
    modes = [m for m in MODE_ORDER if m in ours or m in torch_eager]
    modes += sorted(m for m in set(ours) | set(torch_eager) if m not in modes)
    rows = []
    for mode in modes:
        o = ours.get(mode, (None, 0))[0]
        t = torch_eager.get(mode)
        ratio = o / t if (o is not None and t) else None
        target = targets.get(mode) if device == "cpu" else None
        met = None if (ratio is None or target is None) else ratio <= target
        rows.append({
            "mode": mode, "ours_ms": o, "torch_ms": t, "torch_compiled_ms": torch_compiled.get(mode),
            "ratio": ratio, "target": target, "met": met,
        })
    return rows


def render(rows, markdown, show_compiled):
    header = ["mode", "ours ms/step", "PyTorch ms/step"]
    if show_compiled:
        header.append("PyTorch compiled ms/step")
    header += ["ours/PyTorch", "target", "met"]
    lines = []
    table = []
    for r in rows:
        cells = [r["mode"], fmt_ms(r["ours_ms"]), fmt_ms(r["torch_ms"])]
        if show_compiled:
            cells.append(fmt_ms(r["torch_compiled_ms"]))
        cells += [
            "-" if r["ratio"] is None else f"{r['ratio']:.3f}",
            "-" if r["target"] is None else f"<= {r['target']:g}",
            "-" if r["met"] is None else ("yes" if r["met"] else "no"),
        ]
        table.append(cells)
    if markdown:
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(header) - 2) + [":---:"]) + "|")
        for cells in table:
            lines.append("| " + " | ".join(cells) + " |")
    else:
        widths = [max(len(header[i]), *(len(c[i]) for c in table)) if table else len(header[i])
                  for i in range(len(header))]
        fmt = "  ".join(("{:<%d}" if i == 0 else "{:>%d}") % w for i, w in enumerate(widths))
        lines.append(fmt.format(*header))
        lines.append("  ".join("-" * w for w in widths))
        for cells in table:
            lines.append(fmt.format(*cells))
    return "\n".join(lines)


def context_lines(gbench, ref, markdown, ours_kernel=None):
    ctx = gbench.get("context", {})
    ours_kernel = ctx.get("blas_kernel") or ours_kernel
    torch_blas = ref.get("blas")
    info = ref.get("blas_info", {}) or {}
    parts = [
        f"ours: {ctx.get('executable', 'bench_train_step')}, BLAS kernel {ours_kernel or 'unknown'}, "
        f"{ctx.get('num_cpus', '?')} CPUs"
        + (f" @ {ctx['mhz_per_cpu']} MHz" if ctx.get("mhz_per_cpu") else "")
        + (f", library build {ctx['library_build_type']}" if ctx.get("library_build_type") else ""),
        f"PyTorch {ref.get('torch_version', '?')} on {ref.get('device', '?')}"
        + (f" ({ref['device_name']})" if ref.get("device_name") else "")
        + f", {ref.get('threads', '?')} threads, BLAS {torch_blas or 'unknown'}"
        + (f" ({info['library']})" if info.get("library") else ""),
    ]
    if ours_kernel and torch_blas and ref.get("device") == "cpu" \
            and str(ours_kernel).lower() != str(torch_blas).lower():
        parts.append(f"WARNING: the BLAS kernels differ (ours {ours_kernel}, PyTorch {torch_blas})")
    chunked = [f"{r['mode']} ({r['chunks']} chunks)" for r in ref.get("results", [])
               if r.get("chunks", 1) > 1 and not r.get("compiled")]
    if chunked:
        parts.append("PyTorch points split into back-propagated chunks to fit in memory: "
                     + ", ".join(chunked))
    if markdown:
        return "\n".join(f"- {p}" for p in parts)
    return "\n".join(parts)


def main(argv=None):
    p = argparse.ArgumentParser(description="Compare bench_train_step with the PyTorch reference.")
    p.add_argument("ours", help="Google Benchmark JSON of bench_train_step")
    p.add_argument("torch", help="JSON written by torch_reference.py --json")
    p.add_argument("--markdown", action="store_true", help="print a markdown table (for bench/RESULTS.md)")
    p.add_argument("--aggregate", default="mean",
                   help="aggregate to use when the benchmark ran with repetitions (default mean)")
    p.add_argument("--ours-blas-kernel", metavar="NAME",
                   help="our OpenBLAS kernel when the benchmark JSON's context lacks `blas_kernel`")
    p.add_argument("--strict", action="store_true", help="exit 1 if a target is missed or a mode lacks a time")
    args = p.parse_args(argv)

    gbench = load_json(args.ours, "Google Benchmark")
    ref = load_json(args.torch, "PyTorch reference")
    ours = ours_ms_per_mode(gbench, args.aggregate)
    torch_eager, torch_compiled = torch_ms_per_mode(ref)
    if not ours:
        print(f"compare.py: no BM_TrainStep/<mode> entries in {args.ours}", file=sys.stderr)
    rows = build_rows(ours, torch_eager, torch_compiled, ref.get("device", "cpu"), CPU_TARGETS)

    print(render(rows, args.markdown, show_compiled=bool(torch_compiled)))
    print()
    print(context_lines(gbench, ref, args.markdown, args.ours_blas_kernel))

    if args.strict:
        bad = [r for r in rows if r["met"] is False or r["ours_ms"] is None or r["torch_ms"] is None]
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
