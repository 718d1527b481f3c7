"""Small PyTorch models built by hand (torchvision is not installable beside torch 2.13.0), shared
by the capture tests, the benchmark and the examples: an MLP, a CNN with BatchNorm, a Transformer
encoder layer, RNN / LSTM / GRU sequence models, a ResNet-18, and deep tanh MLPs."""
from __future__ import annotations

import math

import torch
from torch import nn


def mlp(sizes=(4, 16, 16, 1), act=nn.Tanh):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


class SmallCNN(nn.Module):
    """conv-bn-relu-pool twice, then a linear classifier (inputs 1×28×28)."""

    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Linear(16 * 7 * 7, classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


class SeqModel(nn.Module):
    """An RNN, LSTM or GRU followed by a linear head on the last step."""

    def __init__(self, cell="LSTM", n_in=3, hidden=5):
        super().__init__()
        self.rnn = getattr(nn, cell)(n_in, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu2 = nn.ReLU()
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(y + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    """ResNet-18 (He et al. 2016) as torchvision builds it: 11.7M parameters at 1000 classes."""

    def __init__(self, classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin, layers = 64, []
        for width, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            layers.append(nn.Sequential(BasicBlock(cin, width, stride), BasicBlock(width, width, 1)))
            cin = width
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def deep_tanh_mlp(depth=8, width=32, gain=None, seed=0):
    """``depth`` Linear+tanh layers of ``width``. ``gain``: the weights' std times sqrt(fan_in)
    (None keeps PyTorch's default init). A gain well below 1 makes gradients vanish layer by
    layer toward the input (the gradient reaching each layer's output halves per layer at 0.5);
    5/3 (Xavier's gain for tanh) keeps them level."""
    torch.manual_seed(seed)
    layers = []
    for _ in range(depth):
        lin = nn.Linear(width, width)
        if gain is not None:
            with torch.no_grad():
                lin.weight.normal_(0.0, gain / math.sqrt(width))
                lin.bias.zero_()
        layers += [lin, nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(width, 1))
