"""Publish a finished reference run into the shipped registry, with a model card (a maintainer's step).

    python scripts/publish_reference_weights.py --run runs/srresnet_x4_cpu --name srresnet_x4 \
        --title "SRResNet x4 (MSE), trained on 2 CPU cores" --hardware "2 CPU cores (AMD EPYC), bf16 autocast"

Evaluates the run's generator on Set5 and Set14 under the protocol, writes the fp16 safetensors, the
history CSV, a comparison crop (bicubic | this model | HR) and the model card.

A run trained in stages (``--previous`` names the earlier run whose final generator the last run started
from with ``--init``) is published as one: histories joined with continuous step and time axes, one
optimiser row per stage. ``--paused-s`` is time the last run spent stopped (SIGSTOP while the machine
measured benchmarks); it is subtracted from the wall time the card reports.
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from srgan_lite import bicubic_degrade, imresize_uint8, load_eval_images, load_generator, modcrop, super_resolve
from srgan_lite.data.datasets import resolve_dataset
from srgan_lite.evaluation import evaluate
from srgan_lite.models.pretrained import WEIGHTS_DIR, publish

CROP = ("Set14", "baboon", 280, 40, 160)  # set, image, top, left, size (HR pixels): fur and whiskers
#: --texture-crops: fur, hair and foliage (set, image, top, left, size), one row each
TEXTURE_CROPS = (("Set14", "baboon", 280, 40, 160), ("Set14", "comic", 40, 20, 160), ("Set14", "zebra", 200, 300, 160))


def _crop_row(models: dict, crop: tuple, data_dir: str) -> np.ndarray:
    set_name, image, top, left, size = crop
    hr = dict(load_eval_images(resolve_dataset(set_name, data_dir)))[image]
    hr = modcrop(hr, 4)
    lr = bicubic_degrade(hr, 4)
    panels = [imresize_uint8(lr, 4)] + [super_resolve(m, lr) for m in models.values()] + [hr]
    crops = [np.kron(p[top:top + size, left:left + size], np.ones((2, 2, 1), np.uint8)) for p in panels]
    gap = np.full((crops[0].shape[0], 6, 3), 255, np.uint8)
    row = crops[0]
    for c in crops[1:]:
        row = np.concatenate([row, gap, c], axis=1)
    return row


def comparison_crop(models: dict, data_dir: str, out: Path, crops: tuple = (CROP,)) -> Path:
    rows = [_crop_row(models, crop, data_dir) for crop in crops]
    gap = np.full((6, rows[0].shape[1], 3), 255, np.uint8)
    grid = rows[0]
    for row in rows[1:]:
        grid = np.concatenate([grid, gap, row], axis=0)
    Image.fromarray(grid).save(out)
    return out


def perceptual_table(models: dict, data_dir: str | None) -> str:
    """Markdown table of PSNR/SSIM and what PSNR misses, per set and model (``evaluate(perceptual=True)``)."""
    from srgan_lite.evaluation.protocol import PERCEPTUAL_NOTE

    lines = ["| set | model | PSNR | SSIM | feature distance* | HF ratio | grid score |", "|---|---|---|---|---|---|---|"]
    for dataset in ("Set5", "Set14"):
        for label, model in models.items():
            r = evaluate(model, dataset, data_dir=data_dir, perceptual=True)
            lines.append(f"| {dataset} | {label} | {r.psnr_y:.2f} | {r.ssim_y:.4f} | {r.feature_distance:.4f} | "
                         f"{r.hf_ratio:.3f} | {r.grid_score:.2f} |")
    return "\n".join(lines) + f"\n\n{PERCEPTUAL_NOTE}."


def training_data(folders: str, patch_size: int) -> str:
    """The card's data row: the folders, and how many of their images a crop fits in (the others are skipped)."""
    from PIL import Image

    paths = [f for folder in folders.split(",") for f in sorted(Path(folder).iterdir())
             if f.suffix.lower() in {".png", ".jpg", ".jpeg", ".bmp"}]
    small = [f.stem for f in paths if min(Image.open(f).size) < patch_size]
    names = " + ".join(f"`{Path(folder).name}`" for folder in folders.split(","))
    skipped = f"; {', '.join(f'`{n}`' for n in small)} smaller than a crop" if small else ""
    return f"{names} ({len(paths) - len(small)} usable images{skipped})"


def _extras(config: dict) -> str:
    """The card's list of the run's options that the paper does not have (those away from their defaults)."""
    from srgan_lite.training.config import TrainConfig

    default = TrainConfig().to_dict()
    keys = [("data", "shift_jitter"), ("optim", "lr_d"), ("optim", "warmup_steps"), ("optim", "freeze_generator_bn"), ("optim", "freeze_upsampler"),
            ("optim", "grad_clip"), ("loss", "gan_type"), ("run", "ema_decay")]
    return ", ".join(f"`{section}.{key}={config[section][key]}`" for section, key in keys
                     if config.get(section, {}).get(key, default[section][key]) != default[section][key])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--run", required=True, type=Path)
    p.add_argument("--name", required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--hardware", required=True)
    p.add_argument("--notes", default="")
    p.add_argument("--previous", type=Path, nargs="*", default=[], help="earlier stages' run folders, in order")
    p.add_argument("--paused-s", type=float, default=0.0, help="seconds the last run was stopped (not training)")
    p.add_argument("--init-label", help="how the card names the starting weights (default: the run's --init)")
    p.add_argument("--compare", nargs="*", default=[], help="other generator files to show in the crop (name=path)")
    p.add_argument("--notes-file", type=Path, help="markdown appended to the card (e.g. every attempt and its numbers)")
    p.add_argument("--perceptual", nargs="*", default=None,
                   help="add a table of PSNR/SSIM, feature distance, HF ratio and grid score for bicubic, these "
                        "registered models and this one")
    p.add_argument("--texture-crops", action="store_true", help="crop rows of fur, hair and foliage (baboon, comic, zebra)")
    p.add_argument("--data-dir", default=None,
                   help="root holding <Name>/HR (default: $SRGAN_LITE_DATA, else the Set5/Set14 shipped with srgan_lite)")
    args = p.parse_args()

    config = yaml.safe_load((args.run / "config.yaml").read_text())
    history, stages, step0, time0 = [], [], 0, 0.0
    for run_dir in [*args.previous, args.run]:
        stage_config = yaml.safe_load((run_dir / "config.yaml").read_text())
        with open(run_dir / "history.csv") as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            row["step"] = str(int(float(row["step"])) + step0)
            row["elapsed_s"] = str(float(row["elapsed_s"]) + time0)
        history += rows
        if not stages:  # the whole run starts from the first stage's starting weights
            first_init = stage_config["run"]["init"]
        o = stage_config["optim"]
        stages.append(f"Adam (betas {o['betas']}), lr {o['lr']:g}, schedule {o['schedule']} (min ratio "
                      f"{o['min_lr_ratio']}, milestones {o['milestones']}) for {stage_config['run']['steps']} steps"
                      + (f", from the previous stage's final weights" if step0 else ""))
        step0, time0 = int(history[-1]["step"]), float(history[-1]["elapsed_s"])
    last = history[-1]
    wall = float(last["elapsed_s"]) - args.paused_s
    history_file = args.run / "history_all_stages.csv"
    with open(history_file, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)
    # Score what is shipped: the registry stores fp16 weights (a rounding worth up to ~0.01 dB).
    model = load_generator(args.run / "generator.safetensors").half().float()
    scores, table = {}, []
    for dataset in ("Set5", "Set14"):
        ours = evaluate(model, dataset, data_dir=args.data_dir)
        bicubic = evaluate("bicubic", dataset, data_dir=args.data_dir)
        scores[dataset] = [round(ours.psnr_y, 2), round(ours.ssim_y, 4)]
        table.append(f"| {dataset} | {bicubic.psnr_y:.2f} / {bicubic.ssim_y:.4f} | {ours.psnr_y:.2f} / {ours.ssim_y:.4f} |")
    compare = {"": model}
    for item in args.compare:
        label, path = item.split("=", 1)
        compare = {label: load_generator(path), **compare}
    crop_file = comparison_crop(compare, args.data_dir, WEIGHTS_DIR / f"{args.name}_crop.png",
                                TEXTURE_CROPS if args.texture_crops else (CROP,))
    extra = ""
    if args.perceptual is not None:
        from srgan_lite import load_pretrained

        models = {"bicubic": "bicubic", **{n: load_pretrained(n) for n in args.perceptual}, args.name: model}
        extra += "\n## What PSNR misses\n\n" + perceptual_table(models, args.data_dir) + "\n"
    if args.notes_file:
        extra += "\n" + args.notes_file.read_text()
    val_rows = [r for r in history if r.get("val_psnr")]
    curve = ", ".join(f"{int(float(r['step']))}: {float(r['val_psnr']):.2f}" for r in val_rows[-5:])
    labels = " | ".join(["bicubic", *[k for k in compare if k], args.name, "HR"])
    d, o, loss, run = config["data"], config["optim"], config["loss"], config["run"]
    card = f"""# {args.name}: {args.title}

{args.notes}

| | |
|---|---|
| architecture | SRResNet (Ledig et al. 2017, Fig. 4): {config['model']['num_blocks']} residual blocks, {config['model']['channels']} channels, x{config['model']['scale']}, BatchNorm {config['model']['batch_norm']} |
| stage / loss | {run['stage']} / content `{loss['content']}`{f" (rescale {loss['content_rescale']:g})" if loss.get('content_rescale') else ''}{' + ' + str(loss['adversarial_weight']) + ' adversarial' if run['stage'] == 'srgan' else ''}{''.join(f" + {loss[k]:g} {k.split('_')[0]}" for k in ('pixel_weight', 'phase_weight', 'artifact_weight') if loss.get(k))} |
| options not in the paper | {_extras(config) or 'none'} |
| initialised from | {args.init_label or first_init or 'random (ICNR sub-pixel convolutions)'} |
| training data | {training_data(d['train'], d['patch_size'])} |
| steps x batch x crop | {int(float(last['step']))} x {d['batch_size']} x {d['patch_size']}px HR |
| optimiser | {'; then '.join(f"stage {i + 1}: {text}" if len(stages) > 1 else text for i, text in enumerate(stages))} |
| precision | {run['amp']} autocast, channels_last {run['channels_last']} |
| hardware | {args.hardware} |
| wall time | {wall / 60:.0f} min{' (all stages)' if len(stages) > 1 else ''} |
| final training loss | {float(last['loss_g']):.5f} (mean over the last {config['run']['log_every']} steps) |
| validation PSNR (Set5) at the last steps | {curve} |

## Scores (4x; {ours.protocol})

| set | bicubic PSNR / SSIM | {args.name} PSNR / SSIM |
|---|---|---|
{chr(10).join(table)}

## {"Crops of fur, hair and foliage (Set14 baboon, comic, zebra)" if args.texture_crops else "A crop (Set14 baboon"}, 2x nearest zoom{"" if args.texture_crops else ")"}: {labels}

![comparison]({crop_file.name})

The training history is shipped as `{args.name}_history.csv` (the book's chapters plot it).
{extra}"""
    publish(args.run / "generator.safetensors", args.name, description=args.title, card=card,
            history=history_file, scores=scores)
    print(card)


if __name__ == "__main__":
    main()
