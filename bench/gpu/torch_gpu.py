"""The PyTorch side of bench/gpu/device.sh: training-step times of the reference
CNN (bench/torch_baseline.py's, ordinary convolutions) and of a CIFAR-style
ResNet-18 (3x3 stem, four stages of two basic blocks, 64-512 channels: the
engine's `resnet18` at width 1) on 32x32x3 inputs, on CUDA when there is a GPU.
SGD with momentum, as the webgpu side (bench/gpu/webgpu-step.ts), in strict fp32
(TF32 off, as the webgpu side computes) and with PyTorch's defaults (cuDNN
convolutions in TF32). Prints one JSON object on the last line.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_baseline import reference_cnn  # noqa: E402


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


def resnet18(classes=10, channels=3, width=1.0):
    widths = [max(1, round(w * width)) for w in (64, 128, 256, 512)]
    layers = [nn.Conv2d(channels, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()]
    cin = widths[0]
    for i, cout in enumerate(widths):
        for b in range(2):
            layers.append(BasicBlock(cin, cout, 2 if (b == 0 and i > 0) else 1))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


def time_steps(model, batch, size, steps, warmup, device):
    model = model.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, 3, size, size, device=device)
    y = torch.randint(0, 10, (batch,), device=device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    for _ in range(warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    loss.item()  # waits for the GPU
    return (time.perf_counter() - start) * 1000 / steps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--resnet-width", type=float, default=1.0)
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = True

    def both():
        return (
            time_steps(reference_cnn("conv", 3, args.size, 10), args.batch, args.size, args.steps, args.warmup, device),
            time_steps(resnet18(width=args.resnet_width), args.batch, args.size, args.steps, args.warmup, device),
        )

    # Strict fp32, as the webgpu side computes: no TF32 anywhere.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    strict = both()
    # PyTorch's defaults: cuDNN convolutions in TF32 (matmuls stay fp32 unless asked).
    torch.backends.cudnn.allow_tf32 = True
    default = both() if device.type == "cuda" else strict
    result = {
        "framework": f"PyTorch {torch.__version__}",
        "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
        "batch": args.batch,
        "referenceCnnMsPerStep": strict[0],
        "resnet18MsPerStep": strict[1],
        "referenceCnnMsPerStepTf32": default[0],
        "resnet18MsPerStepTf32": default[1],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
