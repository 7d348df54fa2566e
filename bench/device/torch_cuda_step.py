"""One CycleGAN training step in PyTorch on CUDA: the reference timing for
the WebGPU benchmark on the same machine.

Same architecture and step as lib/: a ResNet generator (reflection pad,
7x7 conv, instance norm with affine, 2 strided 4x4 downsampling convs,
N residual blocks, 2 strided 4x4 transposed convs, 7x7 conv, tanh), a
PatchGAN (4x4 convs, stride 2 x layers then stride 1 x 2, LeakyReLU 0.2),
least-squares adversarial loss, cycle L1 x 10, identity L1 x 5, Adam
(2e-4, 0.5, 0.999); the generators are updated first, then the
discriminators on real images and the (detached) fakes. Batch 1, 1 channel,
float32. The image pool is left out: it moves no work to the GPU.

Prints one JSON line per configuration. With --tf32 it lets cuDNN use
TensorFloat-32 for convolutions (PyTorch's default); without, it computes in
strict float32, as tfjs does.

    python3 bench/device/torch_cuda_step.py --size 256 --blocks 9
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn


def norm(channels):
    return nn.InstanceNorm2d(channels, affine=True)


class Residual(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=False),
            norm(channels), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=False),
            norm(channels))

    def forward(self, x):
        return x + self.body(x)


def generator(channels, filters, blocks):
    f = filters
    layers = [nn.ReflectionPad2d(3), nn.Conv2d(channels, f, 7, bias=False),
              norm(f), nn.ReLU(True)]
    for m in (1, 2):
        layers += [nn.Conv2d(f * m, f * m * 2, 4, 2, 1, bias=False),
                   norm(f * m * 2), nn.ReLU(True)]
    layers += [Residual(f * 4) for _ in range(blocks)]
    for m in (4, 2):
        layers += [nn.ConvTranspose2d(f * m, f * m // 2, 4, 2, 1, bias=False),
                   norm(f * m // 2), nn.ReLU(True)]
    layers += [nn.ReflectionPad2d(3), nn.Conv2d(f, channels, 7), nn.Tanh()]
    return nn.Sequential(*layers)


def discriminator(channels, filters, strided=3):
    layers, previous = [], channels
    strides = [2] * strided + [1, 1]
    for i, stride in enumerate(strides):
        last = i == len(strides) - 1
        width = 1 if last else filters * min(2 ** i, 8)
        use_norm = 0 < i and not last
        layers += [nn.Conv2d(previous, width, 4, stride, 1, bias=not use_norm)]
        if use_norm:
            layers.append(norm(width))
        if not last:
            layers.append(nn.LeakyReLU(0.2, True))
        previous = width
    return nn.Sequential(*layers)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--filters", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--tf32", action="store_true")
    parser.add_argument("--device", default="cuda",
                        help="cpu only to check the script without a GPU")
    args = parser.parse_args()

    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    device = torch.device(args.device)
    cuda = device.type == "cuda"

    def synchronize():
        if cuda:
            torch.cuda.synchronize()

    torch.manual_seed(1)
    g_ab, g_ba = (generator(1, args.filters, args.blocks).to(device)
                  for _ in range(2))
    d_a, d_b = (discriminator(1, args.filters).to(device) for _ in range(2))
    opt_g = torch.optim.Adam(list(g_ab.parameters()) + list(g_ba.parameters()),
                             2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(list(d_a.parameters()) + list(d_b.parameters()),
                             2e-4, betas=(0.5, 0.999))
    real_a = torch.rand(1, 1, args.size, args.size, device=device) * 2 - 1
    real_b = torch.rand(1, 1, args.size, args.size, device=device) * 2 - 1
    mse, l1 = nn.MSELoss(), nn.L1Loss()

    def step():
        opt_g.zero_grad(set_to_none=True)
        fake_b, fake_a = g_ab(real_a), g_ba(real_b)
        score_b, score_a = d_b(fake_b), d_a(fake_a)
        loss_g = (mse(score_b, torch.ones_like(score_b))
                  + mse(score_a, torch.ones_like(score_a))
                  + 10 * l1(g_ba(fake_b), real_a) + 10 * l1(g_ab(fake_a), real_b)
                  + 5 * l1(g_ba(real_a), real_a) + 5 * l1(g_ab(real_b), real_b))
        loss_g.backward()
        opt_g.step()
        opt_d.zero_grad(set_to_none=True)
        loss_d = 0
        for d, real, fake in ((d_a, real_a, fake_a), (d_b, real_b, fake_b)):
            real_score, fake_score = d(real), d(fake.detach())
            loss_d = loss_d + 0.5 * (
                mse(real_score, torch.ones_like(real_score))
                + mse(fake_score, torch.zeros_like(fake_score)))
        loss_d.backward()
        opt_d.step()
        return loss_g.item()

    times = []
    for i in range(args.warmup + args.steps):
        synchronize()
        start = time.perf_counter()
        loss_g = step()
        synchronize()
        times.append(time.perf_counter() - start)
    timed = times[args.warmup:]
    print(json.dumps({
        "backend": f"torch-{device.type}" + ("-tf32" if args.tf32 else "-fp32"),
        "adapter": torch.cuda.get_device_name(0) if cuda else "cpu",
        "torch": torch.__version__,
        "size": args.size,
        "blocks": args.blocks,
        "filters": args.filters,
        "firstStepS": times[0],
        "stepS": statistics.median(timed),
        "timedSteps": len(timed),
        "lossG": loss_g,
    }), flush=True)


if __name__ == "__main__":
    main()
