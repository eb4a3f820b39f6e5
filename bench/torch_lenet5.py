"""LeNet-5 on the real Fashion-MNIST in PyTorch, with the recipe our engine uses by
default, so docs/REPRODUCTION.md can put the two side by side.

The recipe, as read from the engine (keep in step with it):
  src-main/engine/models/architectures/plain.ts  lenet5: 6@5x5 conv ('same' padding
      on 28x28 inputs) -> tanh -> 2x2 max-pool -> 16@5x5 conv ('valid') -> tanh ->
      2x2 max-pool -> flatten -> 120 tanh -> 84 tanh -> 10 logits; every layer has a bias.
  src-main/engine/models/conv-layer.ts  conv weights: He normal (variance 2/fan_in,
      truncated at 2 std as tfjs' varianceScaling 'normal'); biases zero.
  src-main/engine/models/materialize.ts  dense: Glorot uniform for tanh layers and
      for the logits; biases zero.
  src-main/shared/run-config.ts  defaults: Adam lr 0.002 (betas 0.9/0.999, eps 1e-8),
      no weight decay, a cosine schedule per step from lr to 0 over the whole run, no
      warm-up, batch 64 (last batch partial), 10% of the training set held out for
      validation (seeded), per-channel normalisation with the training split's mean
      and std, no augmentation for clothing, no label smoothing.
The held-out split and the shuffles are seeded with numpy / torch, so the images in
each split differ from the engine's (its own PRNG); the distribution is the same.

Prints one JSON object per epoch per seed, then one summary object on the last line.
"""
import argparse
import gzip
import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    """Reads an IDX file (optionally gzipped): big-endian magic, dims, then uint8 data."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise SystemExit(f"{path}: not an IDX file of unsigned bytes (magic {data[:4].hex()})")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != math.prod(dims):
        raise SystemExit(f"{path}: header says {dims} = {math.prod(dims)} values, file holds {body.size}")
    return body.reshape(dims)


def load_fashion_mnist(folder):
    def part(name):
        for suffix in (".gz", ""):
            path = os.path.join(folder, name + suffix)
            if os.path.exists(path):
                return read_idx(path)
        raise SystemExit(f"{folder}: {name}(.gz) not found (expected the four Fashion-MNIST IDX files)")

    return (part("train-images-idx3-ubyte"), part("train-labels-idx1-ubyte"),
            part("t10k-images-idx3-ubyte"), part("t10k-labels-idx1-ubyte"))


def he_normal_truncated_(weight):
    fan_in = weight[0].numel()
    std = math.sqrt(2.0 / fan_in)
    nn.init.trunc_normal_(weight, 0.0, std, -2 * std, 2 * std)


class LeNet5(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)  # 'same' on 28x28
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.logits = nn.Linear(84, classes)
        for layer in (self.conv1, self.conv2):
            he_normal_truncated_(layer.weight)
            nn.init.zeros_(layer.bias)
        for layer in (self.fc1, self.fc2, self.logits):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x):
        x = F.max_pool2d(torch.tanh(self.conv1(x)), 2)
        x = F.max_pool2d(torch.tanh(self.conv2(x)), 2)
        # The engine flattens NHWC; the order of features does not change the function class.
        x = torch.flatten(x, 1)
        x = torch.tanh(self.fc1(x))
        x = torch.tanh(self.fc2(x))
        return self.logits(x)


def accuracy(model, images, labels, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            correct += (model(images[i:i + batch]).argmax(1) == labels[i:i + batch]).sum().item()
    model.train()
    return correct / len(images)


def train_seed(seed, data, args):
    train_x, train_y, test_x, test_y = data
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(train_x))
    held_out = int(round(len(train_x) * args.validation_fraction))
    val_idx, train_idx = order[:held_out], order[held_out:]
    if args.train_subset:
        train_idx = train_idx[: args.train_subset]
    # Per-channel (one channel) statistics of the training split, in pixel/255 units.
    pixels = train_x[train_idx].astype(np.float64) / 255.0
    mean, std = float(pixels.mean()), float(pixels.std())

    def tensor(images):
        return torch.from_numpy(((images.astype(np.float32) / 255.0 - mean) / std)[:, None, :, :])

    device = torch.device(args.device)
    xs, ys = tensor(train_x[train_idx]).to(device), torch.from_numpy(train_y[train_idx].astype(np.int64)).to(device)
    xv, yv = tensor(train_x[val_idx]).to(device), torch.from_numpy(train_y[val_idx].astype(np.int64)).to(device)
    xt, yt = tensor(test_x).to(device), torch.from_numpy(test_y.astype(np.int64)).to(device)

    torch.manual_seed(seed)
    model = LeNet5().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    steps_per_epoch = math.ceil(len(xs) / args.batch_size)
    total_steps = steps_per_epoch * args.epochs
    step_index = 0
    history = []
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        perm = torch.randperm(len(xs), generator=generator)
        total_loss, seen = 0.0, 0
        for i in range(0, len(xs), args.batch_size):
            idx = perm[i:i + args.batch_size].to(device)
            # The engine's cosine schedule: lr -> 0 over steps 0 .. total_steps - 1.
            progress = min(1.0, step_index / max(1, total_steps - 1))
            for group in optimizer.param_groups:
                group["lr"] = 0.5 * args.lr * (1 + math.cos(math.pi * progress))
            step_index += 1
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xs[idx]), ys[idx])
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(idx)
            seen += len(idx)
        row = {
            "seed": seed,
            "epoch": epoch,
            "trainLoss": total_loss / seen,
            "validationAccuracy": accuracy(model, xv, yv) if len(xv) else None,
            "testAccuracy": accuracy(model, xt, yt),
            "durationMs": (time.perf_counter() - start) * 1000,
        }
        history.append(row)
        print(json.dumps(row), flush=True)
    return history


def main():
    parser = argparse.ArgumentParser(description="LeNet-5 on Fashion-MNIST in PyTorch, the engine's default recipe")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.002)
    parser.add_argument("--validation-fraction", type=float, default=0.1)
    parser.add_argument("--train-subset", type=int, default=0, help="train on the first N images of the training split (quick runs)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="cpu, or cuda on a GPU machine (bench/gpu/run.sh)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    data = load_fashion_mnist(args.data)
    runs = [train_seed(seed, data, args) for seed in seeds]
    final = [run[-1]["testAccuracy"] for run in runs]
    print(json.dumps({
        "summary": {
            "framework": f"PyTorch {torch.__version__}",
            "device": torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "cpu",
            "model": "lenet5",
            "dataset": "fashion-mnist",
            "epochs": args.epochs,
            "batchSize": args.batch_size,
            "optimizer": {"type": "adam", "lr": args.lr, "schedule": "cosine"},
            "trainSubset": args.train_subset or None,
            "seeds": seeds,
            "testAccuracyPerEpoch": [[row["testAccuracy"] for row in run] for run in runs],
            "validationAccuracyPerEpoch": [[row["validationAccuracy"] for row in run] for run in runs],
            "finalTestAccuracyMean": statistics.mean(final),
            "finalTestAccuracyStd": statistics.stdev(final) if len(final) > 1 else 0.0,
        }
    }))


if __name__ == "__main__":
    sys.exit(main())
