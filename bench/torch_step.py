"""The same CycleGAN training step in PyTorch, as the speed reference.

Same architecture as lib/generator.ts and lib/discriminator.ts (reflection
pads, instance norm with affine parameters, 4x4 stride-2 convolutions, 4x4
stride-2 transposed convolutions, 70x70 PatchGAN) and the same step as
lib/train_step.ts (generator update with adversarial LSGAN, cycle and
identity losses, then the discriminator update), with Adam. The image pool
is left out: it costs no arithmetic.

Run with Debian's python3-torch: /usr/bin/python3 bench/torch_step.py
Prints one JSON line: seconds per step (median), each step, peak RSS.
"""

import argparse
import json
import resource
import statistics
import time

import torch
from torch import nn


def norm(channels):
    return nn.InstanceNorm2d(channels, affine=True, eps=1e-5)


class Residual(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=False),
            norm(channels),
            nn.ReLU(),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=False),
            norm(channels),
        )

    def forward(self, x):
        return x + self.body(x)


def generator(channels, filters, blocks):
    f = filters
    layers = [
        nn.ReflectionPad2d(3),
        nn.Conv2d(channels, f, 7, bias=False),
        norm(f),
        nn.ReLU(),
        nn.Conv2d(f, 2 * f, 4, stride=2, padding=1, bias=False),
        norm(2 * f),
        nn.ReLU(),
        nn.Conv2d(2 * f, 4 * f, 4, stride=2, padding=1, bias=False),
        norm(4 * f),
        nn.ReLU(),
    ]
    layers += [Residual(4 * f) for _ in range(blocks)]
    layers += [
        nn.ConvTranspose2d(4 * f, 2 * f, 4, stride=2, padding=1, bias=False),
        norm(2 * f),
        nn.ReLU(),
        nn.ConvTranspose2d(2 * f, f, 4, stride=2, padding=1, bias=False),
        norm(f),
        nn.ReLU(),
        nn.ReflectionPad2d(3),
        nn.Conv2d(f, channels, 7),
        nn.Tanh(),
    ]
    return nn.Sequential(*layers)


def discriminator(channels, filters):
    f = filters
    return nn.Sequential(
        nn.Conv2d(channels, f, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(f, 2 * f, 4, stride=2, padding=1, bias=False),
        norm(2 * f),
        nn.LeakyReLU(0.2),
        nn.Conv2d(2 * f, 4 * f, 4, stride=2, padding=1, bias=False),
        norm(4 * f),
        nn.LeakyReLU(0.2),
        nn.Conv2d(4 * f, 8 * f, 4, stride=1, padding=1, bias=False),
        norm(8 * f),
        nn.LeakyReLU(0.2),
        nn.Conv2d(8 * f, 1, 4, stride=1, padding=1),
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--filters", type=int, default=64)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    c, f = args.channels, args.filters
    g_ab, g_ba = generator(c, f, args.blocks), generator(c, f, args.blocks)
    d_a, d_b = discriminator(c, f), discriminator(c, f)
    opt_g = torch.optim.Adam(
        list(g_ab.parameters()) + list(g_ba.parameters()),
        lr=2e-4,
        betas=(0.5, 0.999),
    )
    opt_d = torch.optim.Adam(
        list(d_a.parameters()) + list(d_b.parameters()),
        lr=2e-4,
        betas=(0.5, 0.999),
    )
    mse, l1 = nn.MSELoss(), nn.L1Loss()
    shape = (args.batch, c, args.size, args.size)
    real_a = torch.rand(shape) * 2 - 1
    real_b = torch.rand(shape) * 2 - 1

    def step():
        for p in list(d_a.parameters()) + list(d_b.parameters()):
            p.requires_grad_(False)
        opt_g.zero_grad(set_to_none=True)
        fake_b, fake_a = g_ab(real_a), g_ba(real_b)
        score_b, score_a = d_b(fake_b), d_a(fake_a)
        loss_g = (
            mse(score_b, torch.ones_like(score_b))
            + mse(score_a, torch.ones_like(score_a))
            + 10 * l1(g_ba(fake_b), real_a)
            + 10 * l1(g_ab(fake_a), real_b)
            + 5 * l1(g_ba(real_a), real_a)
            + 5 * l1(g_ab(real_b), real_b)
        )
        loss_g.backward()
        opt_g.step()

        for p in list(d_a.parameters()) + list(d_b.parameters()):
            p.requires_grad_(True)
        opt_d.zero_grad(set_to_none=True)
        loss_d = 0
        for d, real, fake in ((d_a, real_a, fake_a), (d_b, real_b, fake_b)):
            s_real, s_fake = d(real), d(fake.detach())
            loss_d = loss_d + 0.5 * (
                mse(s_real, torch.ones_like(s_real))
                + mse(s_fake, torch.zeros_like(s_fake))
            )
        loss_d.backward()
        opt_d.step()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "secondsPerStep": statistics.median(times),
                "stepSeconds": times,
                "peakRssMiB": peak,
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
