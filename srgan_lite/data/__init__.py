"""Images in, training pairs out: image files, MATLAB-exact bicubic, degraded crops, named datasets, the sample stream."""
from __future__ import annotations

from .convert import image_to_tensor, quantize, signed_to_unit, tensor_to_image, unit_to_signed
from .crops import (
    AUTO_CACHE_BYTES,
    DEGRADE_MARGIN,
    EvalImages,
    HRCropDataset,
    PairedDataset,
    augment_dihedral,
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
