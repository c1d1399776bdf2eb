"""Value ranges, converted in exactly one place (the paper, Sec. 3.2).

The paper scales LR inputs to [0, 1] and HR targets to [-1, 1]; the generator therefore maps
[0, 1] -> [-1, 1]. At the boundary images are RGB ``uint8`` arrays (H, W, 3); inside they are
float tensors (N, 3, H, W). Every conversion between those worlds goes through this module.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def unit_to_signed(x: Tensor) -> Tensor:
    """Map [0, 1] to [-1, 1] (HR targets, the generator's output range)."""
    return x * 2.0 - 1.0


def signed_to_unit(x: Tensor) -> Tensor:
    """Map [-1, 1] (the generator's output range) back to [0, 1]."""
    return (x + 1.0) * 0.5


def image_to_tensor(image: np.ndarray) -> Tensor:
    """RGB ``uint8`` array (H, W, 3) -> float tensor (1, 3, H, W) in [0, 1]."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 array of shape (H, W, 3), got {image.dtype} {image.shape}")
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).unsqueeze(0).float().div_(255.0)


def tensor_to_image(x: Tensor) -> np.ndarray:
    """Float tensor (3, H, W) or (1, 3, H, W) in [0, 1] -> RGB ``uint8`` (H, W, 3), rounded half-up."""
    if x.dim() == 4:
        if x.shape[0] != 1:
            raise ValueError(f"expected a single image, got a batch of {x.shape[0]}")
        x = x[0]
    x = x.detach().float().clamp(0.0, 1.0).mul(255.0).add_(0.5).floor_()
    return x.to(torch.uint8).permute(1, 2, 0).cpu().numpy()


def quantize(x: Tensor) -> Tensor:
    """Round a [0, 1] tensor to the 256 levels a stored uint8 image can hold (keeps float dtype)."""
    return x.clamp(0.0, 1.0).mul(255.0).add(0.5).floor().div(255.0)
