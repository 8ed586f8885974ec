"""The exponential moving average of the weights that validation, checkpoints and export use.

``torch.optim.swa_utils.AveragedModel`` with a custom average calls it once per tensor, and the warm-up decay read
the step counter from the device each time: hundreds of host-device synchronisations per step on a GPU. Here the
decay is computed on the host and all floating tensors are updated in one ``torch._foreach_lerp_`` call.

The state dict keeps ``AveragedModel``'s layout (``module.``-prefixed keys and an ``n_averaged`` counter), so
checkpoints written before this class (and the tools that read them) keep working.
"""

from __future__ import annotations

import copy

import torch


class WeightEma:
    """EMA of a model's parameters and floating buffers (BatchNorm statistics); integer buffers are copied.

    The first ``update`` copies the model; the n-th after that averages with decay ``min(decay, (1 + n) / (10 +
    n))``, so early averages forget the initial weights quickly instead of blending them in for thousands of steps.
    ``module`` is the averaged model (eval mode, no gradients).
    """

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"the EMA decay must be in [0, 1), got {decay}")
        self.module = copy.deepcopy(model).eval().requires_grad_(False)
        self.decay = decay
        self.n_averaged = 0

    def effective_decay(self) -> float:
        """The decay the next update uses (0 for the first, which copies)."""
        count = self.n_averaged
        return 0.0 if count == 0 else min(self.decay, (1.0 + count) / (10.0 + count))

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        """Blend ``model``'s current weights into the average (one fused update for all floating tensors)."""
        weight = 1.0 - self.effective_decay()
        averaged, current = [], []
        for mine, theirs in zip(_tensors(self.module), _tensors(model), strict=True):
            if mine.is_floating_point():
                averaged.append(mine)
                current.append(theirs.detach().to(mine.dtype))
            else:
                mine.copy_(theirs)
        if averaged:
            torch._foreach_lerp_(averaged, current, weight)
        self.n_averaged += 1

    def state_dict(self) -> dict[str, torch.Tensor]:
        """``AveragedModel``'s layout: ``module.NAME`` for every tensor of the model, and ``n_averaged``."""
        state = {f"module.{key}": value for key, value in self.module.state_dict().items()}
        state["n_averaged"] = torch.tensor(self.n_averaged, dtype=torch.long)
        return state

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Restore from ``state_dict()`` (or an ``AveragedModel``'s)."""
        weights = {key.removeprefix("module."): value for key, value in state.items() if key != "n_averaged"}
        self.module.load_state_dict(weights, strict=True)
        self.n_averaged = int(state["n_averaged"])


def _tensors(model: torch.nn.Module) -> list[torch.Tensor]:
    """Parameters and buffers in a fixed order (the same for two copies of one architecture)."""
    return [*model.parameters(), *model.buffers()]
