"""Errors a user can cause: each carries a one-line message that names the file or option and what to do.

The command line prints ``error: <message>`` and exits with status 2 instead of a traceback
(``--debug`` shows it). Library callers can catch :class:`SRGANLiteError` for all of them.
"""
from __future__ import annotations


class SRGANLiteError(Exception):
    """Base class of every error that srgan_lite raises for bad input or bad options."""


class ConfigError(SRGANLiteError, ValueError):
    """An invalid option or configuration value."""


class ImageReadError(SRGANLiteError):
    """An image file that cannot be read or decoded."""


class DatasetError(SRGANLiteError):
    """A dataset that is missing, empty, or cannot be downloaded."""


class WeightsError(SRGANLiteError):
    """Weights that cannot be found, downloaded or loaded into the requested architecture."""


class CheckpointError(SRGANLiteError):
    """A training checkpoint that is unreadable, unsafe, or belongs to another run."""


class TrainingDiverged(SRGANLiteError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""
