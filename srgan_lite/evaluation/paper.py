"""The numbers Ledig et al. (CVPR 2017) publish, as data, so that chapters compare against one copy.

Table 1: SRGAN variants on Set5 and Set14 (PSNR dB, SSIM, MOS). Table 2: 4x results of all methods on
Set5, Set14 and BSD100 (PSNR dB, SSIM, MOS). PSNR on the Y channel with 4 px shaved; the paper's SSIM is
Daala's implementation (its supplementary Section 9.3), so SSIM differs a little from ours for the same image.
"""
from __future__ import annotations

from typing import NamedTuple


class PaperScore(NamedTuple):
    psnr: float
    ssim: float
    mos: float


#: Table 2 (4x). "SRGAN" there is SRGAN-VGG54.
TABLE2: dict[str, dict[str, PaperScore]] = {
    "Set5": {"nearest": PaperScore(26.26, 0.7552, 1.28), "bicubic": PaperScore(28.43, 0.8211, 1.97),
             "SRCNN": PaperScore(30.07, 0.8627, 2.57), "SelfExSR": PaperScore(30.33, 0.8720, 2.65),
             "DRCN": PaperScore(31.52, 0.8938, 3.26), "ESPCN": PaperScore(30.76, 0.8784, 2.89),
             "SRResNet": PaperScore(32.05, 0.9019, 3.37), "SRGAN": PaperScore(29.40, 0.8472, 3.58),
             "HR": PaperScore(float("inf"), 1.0, 4.32)},
    "Set14": {"nearest": PaperScore(24.64, 0.7100, 1.20), "bicubic": PaperScore(25.99, 0.7486, 1.80),
              "SRCNN": PaperScore(27.18, 0.7861, 2.26), "SelfExSR": PaperScore(27.45, 0.7972, 2.34),
              "DRCN": PaperScore(28.02, 0.8074, 2.84), "ESPCN": PaperScore(27.66, 0.8004, 2.52),
              "SRResNet": PaperScore(28.49, 0.8184, 2.98), "SRGAN": PaperScore(26.02, 0.7397, 3.72),
              "HR": PaperScore(float("inf"), 1.0, 4.32)},
    "BSD100": {"nearest": PaperScore(25.02, 0.6606, 1.11), "bicubic": PaperScore(25.94, 0.6935, 1.47),
               "SRCNN": PaperScore(26.68, 0.7291, 1.87), "SelfExSR": PaperScore(26.83, 0.7387, 1.89),
               "DRCN": PaperScore(27.21, 0.7493, 2.12), "ESPCN": PaperScore(27.02, 0.7442, 2.01),
               "SRResNet": PaperScore(27.58, 0.7620, 2.29), "SRGAN": PaperScore(25.16, 0.6688, 3.56),
               "HR": PaperScore(float("inf"), 1.0, 4.46)},
}

#: Table 1: the content losses compared (SRResNet- and SRGAN- variants), Set5 and Set14.
TABLE1: dict[str, dict[str, PaperScore]] = {
    "Set5": {"SRResNet-MSE": PaperScore(32.05, 0.9019, 3.37), "SRResNet-VGG22": PaperScore(30.51, 0.8803, 3.46),
             "SRGAN-MSE": PaperScore(30.64, 0.8701, 3.77), "SRGAN-VGG22": PaperScore(29.84, 0.8468, 3.78),
             "SRGAN-VGG54": PaperScore(29.40, 0.8472, 3.58)},
    "Set14": {"SRResNet-MSE": PaperScore(28.49, 0.8184, 2.98), "SRResNet-VGG22": PaperScore(27.19, 0.7807, 3.22),
              "SRGAN-MSE": PaperScore(26.92, 0.7611, 3.43), "SRGAN-VGG22": PaperScore(26.44, 0.7518, 3.57),
              "SRGAN-VGG54": PaperScore(26.02, 0.7397, 3.72)},
}

#: Our shipped weights and the paper's row each one corresponds to (table, row).
PAPER_ROW = {"nearest": (TABLE2, "nearest"), "bicubic": (TABLE2, "bicubic"), "srresnet_x4": (TABLE2, "SRResNet"),
             "srgan_mse_x4": (TABLE1, "SRGAN-MSE"), "srgan_x4": (TABLE2, "SRGAN")}


def paper_score(dataset: str, model: str) -> PaperScore:
    """The paper's (PSNR, SSIM, MOS) for one of our models or baselines on Set5/Set14 (BSD100: Table 2 rows)."""
    table, row = PAPER_ROW.get(model, (TABLE2, model))
    return table[dataset][row]
