"""Images in, training pairs out: image files, MATLAB-exact bicubic, degraded crops, named datasets, the sample stream."""
from __future__ import annotations

from .convert import image_to_tensor, quantize, signed_to_unit, tensor_to_image, unit_to_signed
from .crops import (
    AUTO_CACHE_BYTES,
    MIN_DEGRADE_MARGIN,
    EvalImages,
    HRCropDataset,
    PairedDataset,
    augment_dihedral,
    degrade_margin,
    degraded_crop,
    dihedral_flags,
    extract_subimages,
    load_eval_images,
    random_int,
)
from .datasets import (
    ALIASES,
    ENV_VAR,
    SHIPPED,
    SKIMAGE_PHOTOS,
    DatasetInfo,
    canonical_name,
    data_root,
    download,
    is_shipped,
    list_datasets,
    resolve_dataset,
    shipped_folder,
    skimage_photos,
)
from .degradations import degrade_realistic, gaussian_kernel
from .device_crops import DEFAULT_MEMORY_FRACTION, DeviceCropStream
from .imresize import (
    BOUNDARIES,
    bicubic_degrade,
    cubic,
    imresize,
    imresize_uint8,
    modcrop,
    pil_resize,
    torch_resize,
    weight_matrix,
)
from .io import IMAGE_SUFFIXES, image_size, list_images, read_image
from .sampling import PositionStream, StepSampler
from .textures import (TEXTURE_PREFIX, TEXTURE_TILE, TEXTURES, load_texture, same_lr_variants, texture_set,
                       texture_split, tiles)

__all__ = [
    "ALIASES", "augment_dihedral", "AUTO_CACHE_BYTES", "bicubic_degrade", "BOUNDARIES", "canonical_name", "cubic",
    "data_root", "DatasetInfo", "DEFAULT_MEMORY_FRACTION", "degrade_margin", "degrade_realistic", "degraded_crop",
    "DeviceCropStream", "dihedral_flags", "download", "ENV_VAR", "EvalImages", "extract_subimages", "gaussian_kernel",
    "HRCropDataset", "image_size", "IMAGE_SUFFIXES", "image_to_tensor", "imresize", "imresize_uint8", "is_shipped",
    "list_datasets", "list_images", "load_eval_images", "MIN_DEGRADE_MARGIN", "modcrop", "PairedDataset",
    "pil_resize", "PositionStream", "quantize", "random_int", "read_image", "resolve_dataset", "SHIPPED",
    "shipped_folder", "signed_to_unit", "SKIMAGE_PHOTOS", "skimage_photos", "StepSampler", "tensor_to_image",
    "TEXTURE_PREFIX", "TEXTURE_TILE", "TEXTURES", "load_texture", "same_lr_variants", "texture_set", "texture_split",
    "tiles",
    "torch_resize", "unit_to_signed", "weight_matrix",
]
