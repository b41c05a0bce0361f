#!/usr/bin/env python3
"""Training speed in siren-studio against the siren CLI on the same settings, and the UI's frame times.

Runs, alternately and `--repeats` times each:
  * the GUI as a user watching it (`siren-studio --backend cpu --steps N --screenshot ...`, its CPU
    defaults: 128 px, width 64, 3 hidden layers, lr 1e-3, all pixels);
  * the GUI as a user interacting with it (`--active`: every frame drawn at the display's rate);
  * `siren fit image` with the same settings, at the priority the GUI trains at (nice 10), so that
    other load on the machine weighs on both alike;
and prints the medians: steps/s and the share the GUI loses, how often the views showed new weights,
and the frame times idle and while training, from the layout JSON the GUI writes. Alternating keeps a
load that comes and goes on a shared machine from favouring one side. Run under a virtual display:

  xvfb-run -a -s "-screen 0 1600x1000x24" /usr/bin/python3 tests/gui/measure_speed.py \\
      --studio build/siren-studio --siren build/siren
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile


def gui_run(studio, steps, png, active, work):
    cmd = [studio, "--backend", "cpu", "--steps", str(steps), "--screenshot", png] + (["--active"] if active else [])
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, XDG_CONFIG_HOME=work))
    with open(png + ".json") as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--studio", required=True)
    ap.add_argument("--siren", required=True)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    image = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "assets", "camera.png")
    work = tempfile.mkdtemp(prefix="siren-speed-")
    rows = {k: [] for k in ("watch", "active", "cli", "values_hz", "derivatives_hz", "idle_interval", "active_max",
                            "active_p99", "render_idle", "render_train", "render_train_max")}
    settings = None
    for r in range(args.repeats):
        j = gui_run(args.studio, args.steps, os.path.join(work, f"watch{r}.png"), False, work)
        settings = j["settings"]
        rows["watch"].append(j["training"]["steps_per_second"])
        rows["values_hz"].append(j["training"]["view_refresh_hz"]["values"])
        rows["derivatives_hz"].append(j["training"]["view_refresh_hz"]["derivatives"])
        rows["render_idle"].append(j["render_ms"]["idle"]["median_ms"])
        rows["render_train"].append(j["render_ms"]["training"]["median_ms"])
        rows["render_train_max"].append(j["render_ms"]["training"]["max_ms"])
        j = gui_run(args.studio, args.steps, os.path.join(work, f"active{r}.png"), True, work)
        rows["active"].append(j["training"]["steps_per_second"])
        rows["idle_interval"].append(j["frame_interval_ms"]["idle"]["median_ms"])
        rows["active_max"].append(j["frame_interval_ms"]["training"]["max_ms"])
        rows["active_p99"].append(j["frame_interval_ms"]["training"]["p99_ms"])
        report = os.path.join(work, f"cli{r}.json")
        s = settings
        subprocess.run(["nice", "-n", "10", args.siren, "fit", "image", image, "--size", str(s["image_size"]),
                        "--hidden", str(s["hidden_features"]), "--layers", str(s["hidden_layers"]),
                        "--lr", str(s["lr"]), "--batch", str(s["batch"]), "--steps", str(args.steps),
                        "--backend", "cpu", "--report", report],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(report) as f:
            rows["cli"].append(1000.0 / json.load(f)["ms_per_step"])
        print(f"run {r + 1}: steps/s GUI watched {rows['watch'][-1]:.1f}, GUI in use {rows['active'][-1]:.1f}, "
              f"CLI {rows['cli'][-1]:.1f}; frame interval in use: idle median {rows['idle_interval'][-1]:.1f} ms, "
              f"training max {rows['active_max'][-1]:.1f} ms", flush=True)
    m = {k: statistics.median(v) for k, v in rows.items()}
    print(f"\nsettings: {json.dumps(settings)}; {args.steps} steps; medians of {args.repeats} runs")
    print(f"steps/s: CLI {m['cli']:.1f}; GUI watched {m['watch']:.1f} (-{100 * (1 - m['watch'] / m['cli']):.1f}%), "
          f"GUI in use {m['active']:.1f} (-{100 * (1 - m['active'] / m['cli']):.1f}%)")
    print(f"views while training: fit/error {m['values_hz']:.1f} Hz, gradient/Laplacian {m['derivatives_hz']:.2f} Hz")
    print(f"frame interval in use: idle median {m['idle_interval']:.1f} ms; training p99 {m['active_p99']:.1f} ms, "
          f"max {m['active_max']:.1f} ms (= {m['active_max'] / m['idle_interval']:.2f} x idle)")
    print(f"rendered frame (work): idle median {m['render_idle']:.1f} ms; training median {m['render_train']:.1f} ms, "
          f"max {m['render_train_max']:.1f} ms")


if __name__ == "__main__":
    main()
