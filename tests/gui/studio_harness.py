"""What the end-to-end GUI tests share: run siren-studio through its automation (--screenshot: train,
save the window and a layout JSON next to it, exit) and read back what it wrote; fail a case."""
import json
import os
import subprocess
import sys

import numpy as np
from PIL import Image


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def run_studio(studio, work, name, args, env=None, timeout=150):
    """(pixels as float64 H x W x 3, layout dict) of a --screenshot run on the CPU backend."""
    png = os.path.join(work, name + ".png")
    for stale in (png, png + ".json"):
        if os.path.exists(stale):
            os.remove(stale)
    cmd = [studio, "--backend", "cpu", "--screenshot", png] + args
    # A config folder of the test's own, so that recent files of a user's or of other cases stay out.
    full_env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(work, "config"))
    full_env.update(env or {})
    proc = subprocess.run(cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                          text=True)
    if proc.returncode != 0:
        fail(f"{' '.join(cmd)} exited with {proc.returncode}:\n{proc.stdout}")
    if not os.path.exists(png) or not os.path.exists(png + ".json"):
        fail(f"{' '.join(cmd)} wrote no screenshot or layout:\n{proc.stdout}")
    with open(png + ".json") as f:
        layout = json.load(f)
    pixels = np.asarray(Image.open(png).convert("RGB"), dtype=np.float64)
    return pixels, layout
