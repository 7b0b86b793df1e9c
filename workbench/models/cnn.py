"""`cnn`: a small ResNet with BatchNorm (the model most image techniques are demonstrated on).

stem (3×3 conv, BN, ReLU) → stage 1: `depth` BasicBlocks at `width` → stage 2: `depth` BasicBlocks
at `2·width`, the first with stride 2 → global average pool → dropout → linear head.

The global pool makes it work for any input size (progressive resizing changes the size between
epochs), BatchNorm is there because SWA's BN update and several techniques need it, and all the
residual blocks sit in one flat `nn.ModuleList` (`model.blocks`) so gradient checkpointing can wrap
each block without knowing the architecture.
"""

from __future__ import annotations

import torch
from torch import nn


class BasicBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus a skip (1×1 conv + BN when the shape changes), then ReLU."""

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False), nn.BatchNorm2d(out_ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, in_channels: int, num_classes: int, width: int = 32, depth: int = 2, dropout: float = 0.0) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)
        )
        blocks: list[nn.Module] = [BasicBlock(width, width) for _ in range(depth)]
        blocks += [BasicBlock(width if i == 0 else 2 * width, 2 * width, stride=2 if i == 0 else 1) for i in range(depth)]
        self.blocks = nn.ModuleList(blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(2 * width, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        # Zero-init each block's last BN scale: every block starts as the identity, which trains
        # faster and more stably for small nets (Goyal et al., 2017).
        for block in self.blocks:
            nn.init.zeros_(block.bn2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.head(self.dropout(torch.flatten(self.pool(x), 1)))
