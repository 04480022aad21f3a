#!/usr/bin/env python3
"""Keras side-by-side training benchmark for LatentBook's convolutional autoencoders.

Trains the same two autoencoders as our engine (``baseline``: the Keras VAE example's
encoder/decoder as a plain autoencoder, and ``deep``), on the same MNIST images, with the same
batch (128), loss and optimizer, using TensorFlow/Keras on the CPU, so that the engine's
training throughput can be compared with Keras's normal training path (``model.fit``).

How to run it
-------------
    make bench-keras                                   # throughput, baseline, 150 steps
    make bench-keras KERAS_ARGS="--mode throughput --arch deep --steps 60"
    make bench-keras KERAS_ARGS="--mode faithful --epochs 3"

The make target creates the venv ``.build/keras-venv`` (tensorflow-cpu 2.21.0, keras 3.15.1,
numpy) the first time, then runs this script with ``--threads $(THREADS)`` (default 2). By hand:

    .build/keras-venv/bin/python bench/keras/keras_bench.py --mode throughput --arch baseline --steps 150
    .build/keras-venv/bin/python bench/keras/keras_bench.py --mode faithful --epochs 3 [--images 2000]

What it measures
----------------
``--mode throughput --arch baseline|deep --steps S [--images N] [--warmup W]``
    Trains with ``model.fit`` (batch 128, shuffled with a fixed seed) for S steps on the first N
    images (default N = 128*S, i.e. one pass). A callback stamps ``time.perf_counter()`` at
    ``on_train_batch_end`` of every step. Since the callback overrides on_train_batch_end, Keras
    dispatches batch callbacks synchronously, and the step's logs are converted to Python numbers
    before the callback runs, so each stamp is taken after that step's work has finished. The
    first W steps (default 2) are warm-up: step 1 includes tracing the tf.function and building
    the optimizer's slots. The steady state is timed from the end of step W to the end of step S:
        images_per_s = (images in steps W+1..S) / (t_end(S) - t_end(W))
    Printed as one machine-readable line:
        RESULT arch=<a> images_per_s=<x> steps=<S> batch=128 threads=<T>
    plus the first step's time and the median step time (human-readable, on other lines).
    If N < 128*S the data is passed over again (more epochs) until S steps have run; the epoch
    boundaries' cost is then part of the measurement, as it is in fit.

``--vae`` (either mode)
    The Keras VAE example as it is: the encoder ends in the Dense heads z_mean and z_log_var and
    a Sampling layer (z = z_mean + exp(z_log_var / 2) * epsilon, epsilon from a seeded
    generator); the loss is the reconstruction loss plus the batch mean of the KL term; EPOCH
    lines add reconstruction_loss and kl_loss.

``--mode faithful --epochs E [--images N] [--seed 1337]``
    The Keras VAE example's training run as a plain autoencoder: baseline on all 70,000 MNIST
    images (60,000 train followed by 10,000 test; ``--images N`` takes the first N, for smoke
    tests), batch 128, reshuffled every epoch, ``keras.utils.set_random_seed(seed)``. Prints, per
    epoch, the mean loss that fit's progress bar reports at the end of the epoch (the unweighted
    mean of the per-batch losses, kept by a ``keras.metrics.Mean`` as in the example) and the
    epoch's wall time:
        EPOCH <e> loss=<x> seconds=<s>

Choices (the same in both modes)
--------------------------------
* Model: keras.Model subclass with a custom ``train_step`` using tf.GradientTape, exactly like the
  Keras VAE example (minus sampling and the KL term); loss
  ``ops.mean(ops.sum(keras.losses.binary_crossentropy(x, reconstruction), axis=(1, 2)))``;
  ``Adam()`` with Keras defaults (learning rate 1e-3). Layers use Keras defaults: Glorot-uniform
  kernels, zero biases, channels-last.
* jit_compile: off (``compile(jit_compile=False)``). That is also what Keras 3.15's default
  ``jit_compile="auto"`` resolves to here: ``Trainer._resolve_auto_jit_compile`` returns False for
  the TensorFlow backend when no non-CPU device is present. ``--jit-compile`` turns XLA on to
  measure it.
* Threads: ``--threads T`` (default 2) sets TensorFlow's intra-op pool to T threads (the pool
  that Eigen and oneDNN kernels split a single op over; oneDNN reports ``nthr:T``) and the
  inter-op pool to 1 thread (the graphs here are a chain of ops, so running independent ops
  concurrently buys nothing, and a second inter-op thread would only oversubscribe the T cores).
  Both are set right after importing TensorFlow, before any TF op runs. tf.data (the input
  pipeline fit builds from the NumPy arrays: shuffle and batch slicing) uses its own small
  thread pool; its work is light. OPENBLAS_* variables are left as they are (TF does not use
  OpenBLAS).
* Header: TF and Keras versions, CPU model, thread settings, and the oneDNN version/ISA/threads
  as reported by ``ONEDNN_VERBOSE=1`` for one small convolution in a child process (skip it with
  ``--no-isa-probe``; it costs a few seconds before training starts, outside any measurement).
"""

import argparse
import gzip
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

BATCH = 128
IMAGE_MAGIC = 2051
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


# ----------------------------------------------------------------------------------------------
# Data


def data_dir(arg):
    """--data, then $LATENTBOOK_DATA, then <repo>/data (when it holds mnist/, as the Makefile
    does), then <repo>/../shared/data."""
    if arg:
        return arg
    env = os.environ.get("LATENTBOOK_DATA")
    if env:
        return env
    local = os.path.join(REPO_ROOT, "data")
    if os.path.isdir(os.path.join(local, "mnist")):
        return local
    return os.path.normpath(os.path.join(REPO_ROOT, "..", "shared", "data"))


def read_idx_images(path):
    """Reads a gzip IDX3 image file: magic 2051, then three big-endian uint32 dims (N, rows,
    cols), then N*rows*cols unsigned bytes. Returns float32 (N, rows, cols, 1) in [0, 1]."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 16:
        raise ValueError(f"{path}: too short for an IDX header ({len(raw)} bytes)")
    magic, n, rows, cols = np.frombuffer(raw, dtype=">u4", count=4, offset=0)
    if magic != IMAGE_MAGIC:
        raise ValueError(f"{path}: magic {magic}, expected {IMAGE_MAGIC} (IDX3 unsigned-byte images)")
    expected = 16 + int(n) * int(rows) * int(cols)
    if len(raw) != expected:
        raise ValueError(f"{path}: {len(raw)} bytes, header says {expected}")
    pixels = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(int(n), int(rows), int(cols), 1)
    return pixels.astype(np.float32) / 255.0


def load_mnist_all(directory):
    """60,000 train images followed by 10,000 test images: (70000, 28, 28, 1) float32."""
    for name in ("train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"):
        if not os.path.isfile(os.path.join(directory, "mnist", name)):
            sys.exit(f"keras_bench: {os.path.join(directory, 'mnist', name)} not found "
                     "(pass --data DIR or set LATENTBOOK_DATA to the folder holding mnist/)")
    train = read_idx_images(os.path.join(directory, "mnist", "train-images-idx3-ubyte.gz"))
    test = read_idx_images(os.path.join(directory, "mnist", "t10k-images-idx3-ubyte.gz"))
    return np.concatenate([train, test], axis=0)


# ----------------------------------------------------------------------------------------------
# Header


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


ISA_PROBE = r"""
import os, sys
import tensorflow as tf
t = int(sys.argv[1])
tf.config.threading.set_intra_op_parallelism_threads(t)
tf.config.threading.set_inter_op_parallelism_threads(1)
x = tf.ones([1, 8, 8, 1]); w = tf.ones([3, 3, 1, 4])
tf.nn.conv2d(x, w, 1, "SAME").numpy()
"""


def start_isa_probe(threads):
    env = dict(os.environ, ONEDNN_VERBOSE="1", TF_CPP_MIN_LOG_LEVEL="3")
    try:
        return subprocess.Popen(
            [sys.executable, "-c", ISA_PROBE, str(threads)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
    except OSError:
        return None


def finish_isa_probe(proc):
    """Returns the oneDNN info lines' interesting parts, or a note saying why there are none."""
    if proc is None:
        return "unavailable (probe could not start)"
    try:
        out, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return "unavailable (probe timed out)"
    found = {}
    for line in out.splitlines():
        if not line.startswith("onednn_verbose") or ",info," not in line:
            continue
        if "oneDNN v" in line:
            found["version"] = line.split("info,", 1)[1].split(" (")[0].strip()
        elif ",cpu,runtime:" in line:
            found["cpu_runtime"] = line.split(",cpu,runtime:", 1)[1].strip()
        elif ",cpu,isa:" in line:
            found["isa"] = line.split("isa:", 1)[1].strip()
    if not found:
        return "unavailable (no oneDNN info lines; oneDNN may be off: TF_ENABLE_ONEDNN_OPTS=0?)"
    return "; ".join(f"{k}={v}" for k, v in found.items())


# ----------------------------------------------------------------------------------------------
# Models (imported lazily: TensorFlow must be configured before it runs anything)


# (filters, strides) of each 3x3 "same" ReLU convolution: encoder Conv2D, decoder Conv2DTranspose.
# baseline is the Keras VAE example's encoder/decoder (z_mean becomes the latent code); deep adds a
# 128-filter stage on each side.
ARCHITECTURES = {
    "baseline": {"encoder": [(32, 2), (64, 2)], "grid": (7, 7, 64), "decoder": [(64, 2), (32, 2)]},
    "deep": {"encoder": [(32, 2), (64, 2), (128, 1)], "grid": (7, 7, 128), "decoder": [(128, 2), (64, 2), (32, 1)]},
}


def build_models(keras, layers, arch, latent_dim=2, vae=False):
    """Returns (encoder, decoder) as functional models. With ``vae`` the encoder ends, as in the
    Keras VAE example, in the Dense heads z_mean and z_log_var and a layer drawing z from them."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown arch {arch!r}")
    spec = ARCHITECTURES[arch]
    inputs = keras.Input(shape=(28, 28, 1))
    x = inputs
    for filters, strides in spec["encoder"]:
        x = layers.Conv2D(filters, 3, strides=strides, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    if vae:
        z_mean = layers.Dense(latent_dim, name="z_mean")(x)
        z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
        z = make_sampling_layer(keras)()([z_mean, z_log_var])
        encoder = keras.Model(inputs, [z_mean, z_log_var, z], name="encoder")
    else:
        encoder = keras.Model(inputs, layers.Dense(latent_dim)(x), name="encoder")

    latent = keras.Input(shape=(latent_dim,))
    h, w, c = spec["grid"]
    y = layers.Dense(h * w * c, activation="relu")(latent)
    y = layers.Reshape((h, w, c))(y)
    for filters, strides in spec["decoder"]:
        y = layers.Conv2DTranspose(filters, 3, strides=strides, padding="same", activation="relu")(y)
    out = layers.Conv2DTranspose(1, 3, strides=1, padding="same", activation="sigmoid")(y)
    return encoder, keras.Model(latent, out, name="decoder")


def make_sampling_layer(keras):
    from keras import ops

    class Sampling(keras.layers.Layer):
        """z = z_mean + exp(z_log_var / 2) * epsilon, epsilon ~ N(0, I) from a seeded generator."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            epsilon = keras.random.normal(shape=ops.shape(z_mean), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    return Sampling


def make_vae_class(keras, ops, tf):
    class VAE(keras.Model):
        """The Keras VAE example's model: reconstruction (BCE summed over pixels) plus KL, both
        batch means; progress reports the running means of total, reconstruction and KL."""

        def __init__(self, encoder, decoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder = encoder
            self.decoder = decoder
            self.trackers = [keras.metrics.Mean(name=n) for n in ("loss", "reconstruction_loss", "kl_loss")]

        @property
        def metrics(self):
            return self.trackers

        def call(self, x):
            return self.decoder(self.encoder(x)[0])

        def train_step(self, data):
            if isinstance(data, (tuple, list)):
                data = data[0]
            with tf.GradientTape() as tape:
                z_mean, z_log_var, z = self.encoder(data)
                reconstruction = self.decoder(z)
                reconstruction_loss = ops.mean(
                    ops.sum(keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2))
                )
                kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
                kl_loss = ops.mean(ops.sum(kl, axis=1))
                total = reconstruction_loss + kl_loss
            grads = tape.gradient(total, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            for tracker, value in zip(self.trackers, (total, reconstruction_loss, kl_loss)):
                tracker.update_state(value)
            return {t.name: t.result() for t in self.trackers}

    return VAE


def make_autoencoder_class(keras, ops, tf):
    class AE(keras.Model):
        """The Keras VAE example's training step without sampling and the KL term."""

        def __init__(self, encoder, decoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder = encoder
            self.decoder = decoder
            self.total_loss_tracker = keras.metrics.Mean(name="loss")

        @property
        def metrics(self):
            return [self.total_loss_tracker]

        def call(self, x):
            return self.decoder(self.encoder(x))

        def train_step(self, data):
            if isinstance(data, (tuple, list)):
                data = data[0]
            with tf.GradientTape() as tape:
                z = self.encoder(data)
                reconstruction = self.decoder(z)
                loss = ops.mean(
                    ops.sum(keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2))
                )
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            self.total_loss_tracker.update_state(loss)
            return {"loss": self.total_loss_tracker.result()}

    return AE


# ----------------------------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Keras side-by-side training benchmark (see the module docstring).")
    p.add_argument("--mode", choices=["throughput", "faithful"], required=True)
    p.add_argument("--arch", choices=["baseline", "deep"], default="baseline",
                   help="throughput mode only; faithful mode always trains baseline")
    p.add_argument("--steps", type=int, default=150, help="throughput: training steps")
    p.add_argument("--warmup", type=int, default=2,
                   help="throughput: steps excluded from the timing (default 2; at least 1)")
    p.add_argument("--images", type=int, default=None,
                   help="first N images (throughput default 128*steps; faithful default all 70000)")
    p.add_argument("--epochs", type=int, default=3, help="faithful: epochs")
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", default=None,
                   help="directory holding mnist/*.gz (default: $LATENTBOOK_DATA, then data/ when it has mnist/, then ../shared/data)")
    p.add_argument("--jit-compile", action="store_true", help="compile the train step with XLA")
    p.add_argument("--vae", action="store_true",
                   help="the Keras VAE example itself: sampling and the KL term (both modes)")
    p.add_argument("--no-isa-probe", action="store_true",
                   help="skip the ONEDNN_VERBOSE child process that reports oneDNN's ISA")
    a = p.parse_args(argv)
    if a.threads < 1:
        p.error("--threads must be at least 1")
    if a.mode == "throughput":
        if a.steps < 2:
            p.error("--steps must be at least 2")
        if not 1 <= a.warmup < a.steps:
            p.error("--warmup must be at least 1 and less than --steps")
    if a.epochs < 1:
        p.error("--epochs must be at least 1")
    if a.images is not None and a.images < 1:
        p.error("--images must be at least 1")
    return a


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

    directory = data_dir(args.data)
    images = load_mnist_all(directory)

    # Runs while TensorFlow is imported here; collected before anything is timed.
    probe = None if args.no_isa_probe else start_isa_probe(args.threads)

    import tensorflow as tf

    # Before any TF op: intra-op = T (one op split over T threads), inter-op = 1 (ops of these
    # chain-shaped graphs run one after the other anyway). See the module docstring.
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    import keras
    from keras import layers, ops

    if keras.config.backend() != "tensorflow":
        sys.exit(f"keras backend is {keras.config.backend()!r}; set KERAS_BACKEND=tensorflow")

    isa = "skipped (--no-isa-probe)" if probe is None and args.no_isa_probe else finish_isa_probe(probe)
    print(f"# keras_bench: TensorFlow {tf.__version__}, Keras {keras.__version__}, "
          f"NumPy {np.__version__}, Python {platform.python_version()}")
    print(f"# cpu: {cpu_model()} ({os.cpu_count()} logical CPUs)")
    print(f"# threads: intra_op={tf.config.threading.get_intra_op_parallelism_threads()} "
          f"inter_op={tf.config.threading.get_inter_op_parallelism_threads()} "
          f"TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS', '(unset: on)')} "
          f"jit_compile={args.jit_compile}")
    print(f"# onednn: {isa}")
    print(f"# data: {directory} ({images.shape[0]} images)")

    keras.utils.set_random_seed(args.seed)
    arch = args.arch if args.mode == "throughput" else "baseline"
    encoder, decoder = build_models(keras, layers, arch, vae=args.vae)
    Model = (make_vae_class if args.vae else make_autoencoder_class)(keras, ops, tf)
    model = Model(encoder, decoder, name=f"{'vae' if args.vae else 'ae'}_{arch}")
    model.compile(optimizer=keras.optimizers.Adam(), jit_compile=args.jit_compile)
    enc_p, dec_p = encoder.count_params(), decoder.count_params()
    print(f"PARAMS arch={arch} encoder={enc_p} decoder={dec_p} total={enc_p + dec_p}")
    sys.stdout.flush()

    if args.mode == "throughput":
        run_throughput(args, keras, model, images, arch)
    else:
        run_faithful(args, keras, model, images)


def run_throughput(args, keras, model, images, arch):
    steps = args.steps
    n = args.images if args.images is not None else BATCH * steps
    if n > images.shape[0]:
        sys.exit(f"--images {n} is more than the {images.shape[0]} images available")
    x = images[:n]
    batches_per_epoch = math.ceil(n / BATCH)
    if n >= BATCH * steps:
        epochs, steps_per_epoch = 1, steps
    else:
        epochs, steps_per_epoch = math.ceil(steps / batches_per_epoch), None

    def batch_size_of(step_in_epoch):
        return min(BATCH, n - step_in_epoch * BATCH)

    class StepTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.stamps = []   # perf_counter at the end of each step
            self.sizes = []    # images in each step
            self.begin = None

        def on_train_begin(self, logs=None):
            self.begin = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.stamps.append(time.perf_counter())
            self.sizes.append(batch_size_of(batch))
            if len(self.stamps) >= steps:
                self.model.stop_training = True

    timer = StepTimer()
    model.fit(x, batch_size=BATCH, epochs=epochs, steps_per_epoch=steps_per_epoch,
              shuffle=True, verbose=0, callbacks=[timer])

    if len(timer.stamps) != steps:
        sys.exit(f"expected {steps} steps, timed {len(timer.stamps)}")
    w = args.warmup
    elapsed = timer.stamps[-1] - timer.stamps[w - 1]
    counted = sum(timer.sizes[w:])
    per_step = [b - a for a, b in zip(timer.stamps[w - 1:-1], timer.stamps[w:])]
    median_rate = statistics.median(size / t for size, t in zip(timer.sizes[w:], per_step))
    print(f"# first step (trace + first run): {timer.stamps[0] - timer.begin:.3f} s; "
          f"steady state: {steps - w} steps, {counted} images in {elapsed:.3f} s; "
          f"median step {statistics.median(per_step) * 1000:.1f} ms, "
          f"median per-step rate {median_rate:.1f} images/s")
    print(f"RESULT arch={arch}{'-vae' if args.vae else ''} images_per_s={counted / elapsed:.1f} steps={steps} "
          f"batch={BATCH} threads={args.threads}")


def run_faithful(args, keras, model, images):
    n = args.images if args.images is not None else images.shape[0]
    if n > images.shape[0]:
        sys.exit(f"--images {n} is more than the {images.shape[0]} images available")
    x = images[:n]

    class EpochPrinter(keras.callbacks.Callback):
        # Only epoch hooks: batch callbacks keep fit's default (asynchronous) dispatch.
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self.t0
            parts = "".join(f" {k}={float(logs[k]):.4f}" for k in ("reconstruction_loss", "kl_loss") if k in logs)
            print(f"EPOCH {epoch + 1} loss={float(logs['loss']):.4f}{parts} seconds={seconds:.2f}",
                  flush=True)

    print(f"# faithful: baseline{' VAE' if args.vae else ''}, {n} images, batch {BATCH}, {args.epochs} epochs, "
          f"seed {args.seed}, {math.ceil(n / BATCH)} steps per epoch", flush=True)
    model.fit(x, batch_size=BATCH, epochs=args.epochs, shuffle=True, verbose=0,
              callbacks=[EpochPrinter()])


if __name__ == "__main__":
    main()
