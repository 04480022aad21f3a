#!/usr/bin/env python3
"""LatentBook against Keras, side by side in one run on one machine (`make bench-compare`).

Alternates the two programs on the same models, data, batch (128) and thread count, so that a
machine whose speed drifts slows both alike: for each round and each model, Keras's throughput
(bench/keras/keras_bench.py) then ours (`latentbook bench`), both timed in steady state from the
end of step 2 to the end of the last step. Then, once, the faithfulness run: the baseline on all
70,000 images for three epochs in both. Prints a Markdown table for BENCHMARKS.md with the CPU,
the command and every round, and the ratio of medians.

    python3 bench/compare.py --latentbook .build/release/latentbook --python .build/keras-venv/bin/python
"""
import argparse
import datetime
import re
import statistics
import subprocess
import sys

RESULT = re.compile(r"^RESULT arch=(\w+) images_per_s=([\d.]+)")
EPOCH = re.compile(r"^EPOCH (\d+) loss=([\d.]+)(?: \S+=[\d.]+)* seconds=([\d.]+)")


def run(cmd):
    print("$ " + " ".join(cmd), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return out.splitlines()


def rate(lines, arch):
    for line in lines:
        m = RESULT.match(line)
        if m and m.group(1) == arch:
            return float(m.group(2))
    raise SystemExit(f"no RESULT line for {arch} in:\n" + "\n".join(lines))


def epochs(lines):
    return [(int(m.group(1)), float(m.group(2)), float(m.group(3))) for m in map(EPOCH.match, lines) if m]


def cpu_model():
    """'AMD EPYC (family 26, model 2)': the model name alone does not tell a Zen 4 from a Zen 5."""
    fields = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    name = fields.get("model name", "unknown CPU")
    if "cpu family" in fields and "model" in fields:
        name += f" (family {fields['cpu family']}, model {fields['model']})"
    return name


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--latentbook", default=".build/release/latentbook")
    p.add_argument("--python", default=".build/keras-venv/bin/python")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", default="baseline=150,deep=60", help="steps per model, e.g. baseline=150,deep=60")
    p.add_argument("--faithful-epochs", type=int, default=3, help="0 skips the faithfulness run")
    a = p.parse_args()
    steps = dict((k, int(v)) for k, v in (kv.split("=") for kv in a.steps.split(",")))
    keras = [a.python, "bench/keras/keras_bench.py", "--threads", str(a.threads)]
    ours = [a.latentbook, "bench", "--threads", str(a.threads), "--layer-batch", "0", "--faithful-epochs", "0",
            "--faithful-vae-epochs", "0"]

    isa = next((l for l in run(ours + ["--archs", "baseline", "--steps", "3"]) if l.startswith("oneDNN")), "")
    rows = {arch: [] for arch in steps}
    for r in range(a.rounds):
        for arch, s in steps.items():
            k = rate(run(keras + ["--mode", "throughput", "--arch", arch, "--steps", str(s), "--no-isa-probe"]), arch)
            o = rate(run(ours + ["--archs", arch, "--steps", str(s)]), arch)
            rows[arch].append((k, o))
            print(f"round {r + 1} {arch}: Keras {k:.0f}, LatentBook {o:.0f} images/s ({o / k:.2f}x)", file=sys.stderr, flush=True)

    print(f"# LatentBook vs Keras — {datetime.date.today()} — {cpu_model()}, {a.threads} threads, batch 128")
    print(f"command: python3 bench/compare.py --threads {a.threads} --rounds {a.rounds} --steps {a.steps} "
          f"--faithful-epochs {a.faithful_epochs}")
    print(f"LatentBook: {isa}; Keras 3.15.1 on TensorFlow 2.21.0 (tensorflow-cpu)\n")
    print("| model | steps | round | Keras images/s | LatentBook images/s | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for arch, pairs in rows.items():
        for i, (k, o) in enumerate(pairs):
            print(f"| {arch} | {steps[arch]} | {i + 1} | {k:,.0f} | {o:,.0f} | {o / k:.2f} |")
        km, om = statistics.median(k for k, _ in pairs), statistics.median(o for _, o in pairs)
        print(f"| **{arch}** | | median | **{km:,.0f}** | **{om:,.0f}** | **{om / km:.2f}** |")

    if a.faithful_epochs > 0:
        e = str(a.faithful_epochs)
        k = epochs(run(keras + ["--mode", "faithful", "--epochs", e, "--no-isa-probe"]))
        o = epochs(run([a.latentbook, "bench", "--threads", str(a.threads), "--layer-batch", "0",
                        "--archs", "baseline", "--steps", "3", "--faithful-epochs", e, "--faithful-vae-epochs", "0"]))
        print("\nbaseline on all 70,000 images, batch 128 (Keras seed 1337, ours seed 0):\n")
        print("| epoch | Keras loss | LatentBook loss | difference | Keras s | LatentBook s |")
        print("|---:|---:|---:|---:|---:|---:|")
        for (ek, lk, sk), (_, lo, so) in zip(k, o):
            print(f"| {ek} | {lk:.1f} | {lo:.1f} | {(lo - lk) / lk * 100:+.1f}% | {sk:.1f} | {so:.1f} |")


if __name__ == "__main__":
    main()
