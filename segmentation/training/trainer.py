"""The training loop: AdamW with warm-up and cosine decay, EMA weights, gradient clipping, checkpoints, resume.

Runs on one CPU, one GPU (autocast fp16 + grad scaler + channels_last), or several processes under ``torchrun``
(DistributedDataParallel; gloo on the CPU, NCCL on GPUs). Writes into ``run_dir``: ``config.json``, ``last.pt``
(resumable), ``best_ema.pt`` (EMA weights with the best validation IoU), ``final_ema.pt`` (the EMA weights at the
last step), ``log.csv`` and ``curves.png``. ``time_budget_minutes`` ends a run early on the wall clock, with the
learning rate decayed over the budget.

With ``consistency_weight > 0`` the first ``consistency_samples`` images of each batch also go through the network as
re-captured twins (``losses.recapture``) in the same forward pass, and the twin-frame consistency term joins the loss.
With ``temporal_weight > 0`` each batch also carries ``temporal_pairs`` pairs of consecutive teacher-labelled footage
frames (``temporal.pair_batch``, drawn at the batch's shape), and the temporal term (``losses.temporal_loss``) joins it.
"""

from __future__ import annotations

import copy
import csv
import json
import math
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import distributed as dist
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from segmentation.model import DeepLabV3Plus, build_deeplabv3plus
from segmentation.training.config import TrainConfig, config_to_dict
from segmentation.training.dataset import MixtureWeights, TrainingMaterial, TrainingMixture
from segmentation.training.ema import WeightEma
from segmentation.training.losses import consistency_loss, recapture, segmentation_loss, temporal_loss
from segmentation.training.material import FootageLabelling, build_material, rvm_footage_pairs
from segmentation.training.plot import plot_curves
from segmentation.training.sources import LabelledImage
from segmentation.training.temporal import FramePair, pair_batch
from segmentation.training.validation import validate

LOG_FIELDS = ("step", "seconds", "lr", "loss", "val_iou", "val_boundary_f")


def _init_distributed() -> tuple[int, int]:
    """(rank, world_size); initialises the process group when launched by torchrun."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return 0, 1
    if torch.cuda.is_available():  # each process on its own GPU of its node, before NCCL starts
        torch.cuda.set_device(training_device(world_size))
    dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), world_size


def training_device(world_size: int = 1) -> torch.device:
    """The GPU of this process (``LOCAL_RANK``, set by torchrun per node) or the CPU."""
    if not torch.cuda.is_available():
        return torch.device("cpu")
    local_rank = int(os.environ.get("LOCAL_RANK", "0")) if world_size > 1 else 0
    return torch.device("cuda", local_rank)


def data_workers(config: TrainConfig, device: torch.device, world_size: int) -> int:
    """``config.workers``, or for -1: one on the CPU (the model needs the cores), and on a GPU as many as the
    machine's cores allow per process (at most 8), so that augmentation keeps up with the GPU."""
    if config.workers >= 0:
        return config.workers
    if device.type != "cuda":
        return 1
    per_process = (os.cpu_count() or 2) // max(1, int(os.environ.get("LOCAL_WORLD_SIZE", world_size)))
    return max(1, min(8, per_process - 1))


def _lr_factor(step: int, config: TrainConfig, time_used: float = 0.0) -> float:
    """Linear warm-up to 1, then cosine decay to 1% at ``max_steps``, or sooner with a time budget: ``time_used`` in
    [0, 1] is the share of ``config.time_budget_minutes`` spent, and the decay follows whichever is further along, so
    a run cut short by its budget still ends at the low learning rate."""
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    progress = min(1.0, (step - config.warmup_steps) / max(1, config.max_steps - config.warmup_steps))
    progress = max(progress, min(1.0, time_used))
    return 0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * progress))


def training_material(config: TrainConfig) -> tuple[TrainingMaterial, list[LabelledImage]]:
    """``(material, validation_photos)``: from ``config.data_pack`` when given (``pack.py``), else built from the data
    folder with the config's teacher labels (cached in ``config.label_cache``)."""
    if config.data_pack is not None:
        from segmentation.training.pack import read_pack

        return read_pack(config.data_pack)
    footage = _footage_labelling(config) if config.footage_every_nth_frame > 0 else None
    return build_material(
        config.data_root,
        val_fraction=config.val_fraction,
        max_side=config.max_image_side,
        skip_reviewed=config.skip_reviewed_labels,
        cache_dir=config.label_cache,
        distill_every=config.distill_every_nth_frame,
        footage=footage,
        footage_stills_weight=config.footage_stills_weight,
        teacher=config.teacher,
    )


def _footage_labelling(config: TrainConfig) -> FootageLabelling:
    return FootageLabelling(
        keep_every=max(1, config.footage_every_nth_frame),
        frame_step=config.footage_frame_step,
        max_frames=config.footage_max_frames,
        max_side=config.footage_max_side,
        weight=config.footage_weight,
    )


def training_pairs(config: TrainConfig) -> list[FramePair]:
    """The frame pairs of the temporal term (none when ``temporal_weight`` is 0): consecutive RVM-labelled frames of
    the training footage (``material.rvm_footage_pairs``, cached in ``config.label_cache``), or those of
    ``config.data_pack``. Raises ``ValueError`` when there are none, and for a weight or pair count that makes no
    term."""
    if config.temporal_weight == 0.0:
        return []
    if not (math.isfinite(config.temporal_weight) and config.temporal_weight > 0.0) or config.temporal_pairs < 1:
        raise ValueError(
            "the temporal term needs a finite --temporal-weight above 0 (or 0 to turn it off) and --temporal-pairs of "
            f"at least 1, got {config.temporal_weight} and {config.temporal_pairs}"
        )
    if config.data_pack is not None:
        from segmentation.training.pack import read_pack_pairs

        pairs = read_pack_pairs(config.data_pack)
        if not pairs:
            raise ValueError(
                f"the data pack {config.data_pack} holds no frame pairs for the temporal term: write it again with "
                "--temporal-weight above 0, or train with --temporal-weight 0"
            )
        return pairs
    labelling = _footage_labelling(config)
    pairs = rvm_footage_pairs(config.data_root, config.label_cache, labelling, config.temporal_pair_every)
    if not pairs:
        raise ValueError(f"the temporal term found no footage clips to pair frames of under {config.data_root}")
    return pairs


def build_model(config: TrainConfig) -> DeepLabV3Plus:
    """The architecture named by ``config``, initialised as ``config.init`` says."""
    model = build_deeplabv3plus(
        backbone=config.backbone,
        output_stride=config.output_stride,
        aspp_channels=config.aspp_channels,
        decoder_channels=config.decoder_channels,
    )
    if config.init == "imagenet":
        from segmentation.training.pretrained import load_imagenet_backbone

        load_imagenet_backbone(model)
    elif config.init == "voc":
        from segmentation.training.voc_init import load_voc_deeplabv3

        load_voc_deeplabv3(model, config.data_root / "models")
    elif config.init.startswith("checkpoint:"):
        state = torch.load(config.init.removeprefix("checkpoint:"), map_location="cpu", weights_only=True)
        model.load_state_dict(state["model"], strict=True)
    elif config.init.startswith("spec:"):
        from segmentation.weights import build_model_from_spec, load_spec

        spec_path = Path(config.init.removeprefix("spec:"))
        shipped = build_model_from_spec(load_spec(spec_path), spec_path.parent)  # checks the weights' SHA-256
        model.load_state_dict(shipped.state_dict(), strict=True)
    elif config.init != "none":
        raise ValueError(f"init must be imagenet, voc, none, checkpoint:PATH or spec:PATH, got {config.init!r}")
    return model


def _optimizer(model: DeepLabV3Plus, config: TrainConfig) -> torch.optim.AdamW:
    backbone = list(model.backbone.parameters())
    backbone_ids = {id(parameter) for parameter in backbone}
    rest = [parameter for parameter in model.parameters() if id(parameter) not in backbone_ids]
    return torch.optim.AdamW(
        [
            {"params": backbone, "lr": config.learning_rate * config.backbone_lr_factor},
            {"params": rest, "lr": config.learning_rate},
        ],
        weight_decay=config.weight_decay,
    )


def train(config: TrainConfig) -> dict[str, float]:
    """Run (or resume) training; returns the best validation metrics seen."""
    rank, world_size = _init_distributed()
    is_main = rank == 0
    torch.manual_seed(config.seed + rank)
    torch.set_num_threads(config.threads)
    device = training_device(world_size)
    use_amp = device.type == "cuda"
    config.run_dir.mkdir(parents=True, exist_ok=True)

    material, validation_photos = training_material(config)
    pairs = training_pairs(config)
    model = build_model(config)
    if config.sync_batchnorm and world_size > 1:  # BatchNorm statistics over the whole batch of all processes
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.to(device)
    if use_amp:
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]  # in torch, not its stubs
    ema = WeightEma(model, config.ema_decay)
    optimizer = _optimizer(model, config)
    time_used = [0.0]  # share of the time budget spent, updated every step (stays 0 without a budget)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: _lr_factor(step, config, time_used[0]))
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    start_step, best = 0, {"val_iou": -1.0, "val_boundary_f": 0.0}

    last_path = config.run_dir / "last.pt"
    if config.resume and last_path.is_file():
        state = torch.load(last_path, map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        start_step, best = int(state["step"]), dict(state["best"])
    if is_main:
        (config.run_dir / "config.json").write_text(json.dumps(config_to_dict(config), indent=2))

    if world_size > 1:
        ids = [device.index] if device.type == "cuda" else None
        trained: torch.nn.Module = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)
    else:
        trained = model
    dataset = TrainingMixture(
        material,
        length=(config.max_steps - start_step) * config.batch_size * world_size,
        seed=config.seed * 1_000_003 + start_step,
        sample_size=(config.sample_width, config.sample_height),
        teacher_weight=config.teacher_weight,
        portrait_fraction=config.portrait_fraction,
        samples_per_batch=config.batch_size * world_size,
        crop_min_area=config.crop_min_area,
        sample_scale_range=(config.sample_scale_min, config.sample_scale_max),
        sample_scale_steps=config.sample_scale_steps,
        occluder_probability=config.occluder_probability,
        screen_probability=config.screen_probability,
        clutter_probability=config.clutter_probability,
        distant_person_probability=config.distant_person_probability,
        mixture=MixtureWeights(
            config.mix_hand_labelled, config.mix_teacher_labelled, config.mix_composite, config.mix_negative
        ),
    )
    sampler: DistributedSampler | None = DistributedSampler(dataset, shuffle=False) if world_size > 1 else None
    workers = data_workers(config, device, world_size)
    loader = DataLoader(
        dataset,
        batch_size=config.batch_size,
        sampler=sampler,
        num_workers=workers,
        persistent_workers=workers > 0,
        pin_memory=device.type == "cuda",  # page-locked batches copy to the GPU asynchronously
        drop_last=True,
    )

    log_path = config.run_dir / "log.csv"
    if is_main and not (config.resume and log_path.is_file()):
        with log_path.open("w", newline="") as handle:
            csv.writer(handle).writerow(LOG_FIELDS)
    started = time.monotonic()
    last_checkpoint = started
    progress = tqdm(total=config.max_steps, initial=start_step, disable=not is_main, dynamic_ncols=True)
    step = start_step
    twins = min(config.consistency_samples, config.batch_size) if config.consistency_weight > 0 else 0
    noise = torch.Generator(device=device).manual_seed(config.seed * 7_919 + start_step + rank)
    pair_count = config.temporal_pairs if pairs else 0  # training_pairs checked it is at least 1
    pair_rng = np.random.default_rng((config.seed, start_step, rank, 3))
    set_training_mode(model, freeze_batchnorm=config.freeze_batchnorm)
    for images, masks, weights in loader:
        images = images.to(device, non_blocking=True)
        masks, weights = masks.to(device, non_blocking=True), weights.to(device, non_blocking=True)
        if twins:  # one forward pass over the batch and the re-captured twins of its first samples
            images = torch.cat([images, recapture(images[:twins], noise)])
        if pair_count:  # consecutive frames, drawn at the batch's shape, in the same forward pass
            size = (images.shape[3], images.shape[2])
            pair_images, pair_targets = pair_batch(pairs, pair_count, size, pair_rng, config.crop_min_area)
            images = torch.cat([images, pair_images.to(device, non_blocking=True)])
            pair_targets = pair_targets.to(device, non_blocking=True)
        if use_amp:
            images = images.to(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
            logits = trained(images)
        batch = masks.shape[0]
        loss = segmentation_loss(
            logits[:batch],
            masks,
            weights,
            boundary_weight=config.boundary_weight,
            dice_weight=config.dice_weight,
            lovasz_weight=config.lovasz_weight,
        )
        if twins:
            loss = loss + config.consistency_weight * consistency_loss(logits[:twins], logits[batch : batch + twins])
        if pair_count:
            first, second = logits[-2 * pair_count : -pair_count], logits[-pair_count:]
            targets = pair_targets[:pair_count], pair_targets[pair_count:]
            loss = loss + config.temporal_weight * temporal_loss(first, second, *targets)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        scaler.step(optimizer)
        scaler.update()
        time_used[0] = _time_used(started, config, world_size, device)
        scheduler.step()
        ema.update(model)
        step += 1
        progress.update(1)
        row = {
            "step": step,
            "seconds": round(time.monotonic() - started, 1),
            "lr": scheduler.get_last_lr()[-1],
            "loss": round(loss_value := loss.item(), 5),  # the step's one wait for the device
            "val_iou": "",
            "val_boundary_f": "",
        }
        last_step = step == config.max_steps or time_used[0] >= 1.0
        if is_main and (step % config.val_every == 0 or last_step):
            metrics = _validate_on_the_cpu(ema.module, validation_photos)
            row.update({key: round(value, 5) for key, value in metrics.items()})
            if metrics["val_iou"] > best["val_iou"]:
                best = metrics
                torch.save(
                    {
                        "model": ema.module.state_dict(),
                        "step": step,
                        "metrics": metrics,
                        "config": config_to_dict(config),
                    },
                    config.run_dir / "best_ema.pt",
                )
        progress.set_postfix(loss=f"{loss_value:.4f}", best_val_iou=f"{best['val_iou']:.4f}")
        if is_main:
            with log_path.open("a", newline="") as handle:
                csv.DictWriter(handle, LOG_FIELDS).writerow(row)
            due = time.monotonic() - last_checkpoint > config.checkpoint_minutes * 60
            if last_step:  # the EMA where the run ended, beside the one validation liked best
                torch.save(
                    {"model": ema.module.state_dict(), "step": step, "config": config_to_dict(config)},
                    config.run_dir / "final_ema.pt",
                )
            if due or last_step or row["val_iou"] != "":
                _save_last(last_path, model, ema, optimizer, scheduler, scaler, step, best)
                plot_curves(log_path, config.run_dir / "curves.png")
                last_checkpoint = time.monotonic()
        if last_step:
            break
    progress.close()
    if world_size > 1:
        dist.destroy_process_group()
    return best


def set_training_mode(model: torch.nn.Module, *, freeze_batchnorm: bool) -> None:
    """``model.train()``; with ``freeze_batchnorm``, its BatchNorm layers stay in inference mode: they normalise with
    their running statistics and leave them as they are (their scale and shift still get gradients)."""
    model.train()
    if freeze_batchnorm:
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.eval()


def _validate_on_the_cpu(model: torch.nn.Module, photos: list[LabelledImage]) -> dict[str, float]:
    """``validate`` on a float32 CPU copy of ``model`` when it lives on a GPU: each validation photo has its own input
    shape, and on a GPU every new shape costs seconds of cuDNN set-up, longer than the CPU takes for the lot."""
    if next(model.parameters()).device.type == "cpu":
        return validate(model, photos, torch.device("cpu"))
    return validate(copy.deepcopy(model).float().cpu(), photos, torch.device("cpu"))


def _time_used(started: float, config: TrainConfig, world_size: int, device: torch.device) -> float:
    """The share of ``config.time_budget_minutes`` spent since ``started`` (0 without a budget; 1 or more: stop).
    Under torchrun every process takes rank 0's figure, so all of them decay the learning rate alike and stop at the
    same step."""
    if config.time_budget_minutes <= 0:
        return 0.0
    used = (time.monotonic() - started) / (config.time_budget_minutes * 60)
    if world_size > 1:
        shared = torch.tensor([used], dtype=torch.float64, device=device)
        dist.broadcast(shared, src=0)
        used = float(shared.item())
    return used


def _save_last(path, model, ema, optimizer, scheduler, scaler, step, best) -> None:
    """Write the resumable checkpoint atomically (a crash mid-write keeps the previous one)."""
    temporary = path.with_suffix(".tmp")
    torch.save(
        {
            "model": model.state_dict(),
            "ema": ema.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "scaler": scaler.state_dict(),
            "step": step,
            "best": best,
        },
        temporary,
    )
    os.replace(temporary, path)


def smoke_config(config: TrainConfig, **overrides: Any) -> TrainConfig:
    """A copy of ``config`` with overrides (used by tests for tiny runs)."""
    return replace(config, **overrides)
