"""The reference CNN of bench/run.ts in PyTorch: one training step (forward +
backward + SGD-momentum update), timed, for the ordinary nn.Conv2d and for the
unfold-based kervolution of the public PyTorch implementations.

Run by bench/run.ts with /usr/bin/python3 (Debian's python3-torch); prints one
JSON object on the last line of stdout.

The kervolution below is written the way the public implementations compute it
(wang-chen/kervolution's `unfold` branch and its many copies): F.unfold turns the
input into patches [B, C*k*k, L], the kernel is evaluated between every patch and
every filter, and the result is viewed back to [B, O, H', W']. It is deliberately
not optimised: it is the baseline the engine is compared with.
"""
import argparse
import json
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

FILTERS = (32, 64, 128)


class LinearKernel(nn.Module):
    def forward(self, x_unf, w, b):
        t = x_unf.transpose(1, 2).matmul(w.view(w.size(0), -1).t()).transpose(1, 2)
        if b is not None:
            return t + b[None, :, None]
        return t


class PolynomialKernel(LinearKernel):
    """(c + x·w)^d, with c a parameter as upstream."""

    def __init__(self, cp=1.0, dp=3, train_cp=False):
        super().__init__()
        self.cp = nn.Parameter(torch.tensor(cp), requires_grad=train_cp)
        self.dp = dp

    def forward(self, x_unf, w, b):
        return (self.cp + super().forward(x_unf, w, b)) ** self.dp


class GaussianKernel(nn.Module):
    """exp(-gamma ||x - w||^2), through the broadcast difference [B, L, C*k*k, O] as upstream.

    Upstream writes w.view(1, 1, -1, O), which reinterprets the [O, C, k, k]
    memory without transposing; we transpose so the maths is right. The cost (the
    4-D difference tensor and its square, kept for backward) is the same.
    """

    def __init__(self, gamma=1.0, train_gamma=False):
        super().__init__()
        self.gamma = nn.Parameter(torch.tensor(gamma), requires_grad=train_gamma)

    def forward(self, x_unf, w, b):
        l = x_unf.transpose(1, 2)[:, :, :, None] - w.view(w.size(0), -1).t()[None, None, :, :]
        l = torch.sum(l ** 2, 2)
        t = torch.exp(-self.gamma * l)
        if b is not None:
            t = t + b[None, None, :]
        return t.transpose(1, 2)


class KernelConv2d(nn.Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, kernel_fn, stride=1, padding=0, dilation=1, bias=False):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, bias=bias)
        self.kernel_fn = kernel_fn

    def compute_shape(self, x):
        h = (x.shape[2] + 2 * self.padding[0] - self.dilation[0] * (self.kernel_size[0] - 1) - 1) // self.stride[0] + 1
        w = (x.shape[3] + 2 * self.padding[1] - self.dilation[1] * (self.kernel_size[1] - 1) - 1) // self.stride[1] + 1
        return h, w

    def forward(self, x):
        x_unf = F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)
        h, w = self.compute_shape(x)
        return self.kernel_fn(x_unf, self.weight, self.bias).view(x.shape[0], -1, h, w)


def convolution(variant, cin, cout):
    if variant == "conv":
        return nn.Conv2d(cin, cout, 3, padding=1, bias=False)
    if variant == "unfold-polynomial":
        return KernelConv2d(cin, cout, 3, PolynomialKernel(), padding=1)
    if variant == "unfold-gaussian":
        return KernelConv2d(cin, cout, 3, GaussianKernel(), padding=1)
    raise SystemExit(f"--variant: unknown '{variant}', allowed: conv, unfold-polynomial, unfold-gaussian")


def reference_cnn(variant, channels, size, classes):
    layers = []
    cin = channels
    for cout in FILTERS:
        layers += [convolution(variant, cin, cout), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)]
        cin = cout
    spatial = size // 2 ** len(FILTERS)
    layers += [nn.Flatten(), nn.Linear(FILTERS[-1] * spatial * spatial, classes)]
    return nn.Sequential(*layers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variant", default="conv")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = reference_cnn(args.variant, args.channels, args.size, args.classes)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(args.batch, args.channels, args.size, args.size)
    y = torch.randint(0, args.classes, (args.batch,))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    durations_ms = []
    loss = float("nan")
    for _ in range(args.steps):
        start = time.perf_counter()
        loss = step()
        durations_ms.append((time.perf_counter() - start) * 1000)

    print(json.dumps({
        "variant": args.variant,
        "threads": torch.get_num_threads(),
        "torchVersion": torch.__version__,
        "stepMs": durations_ms,
        "medianStepMs": statistics.median(durations_ms),
        # ru_maxrss is in KiB on Linux.
        "maxRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "finalLoss": loss,
    }))


if __name__ == "__main__":
    sys.exit(main())
