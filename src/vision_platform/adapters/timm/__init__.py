"""timm: image classification with any timm model, trained by the platform's resumable loop.

The modules: `schema` (fields and presets), `names` (model names known without timm),
`adapter` (TimmAdapter), `model` (model and transforms), `seeding` (exact-resume randomness),
`training` (the loop), `export` (ONNX). Only `model`, `seeding`, `training` and `export`
import torch or timm, and only the adapter imports them, when a run or a model needs them.
"""

from __future__ import annotations

from vision_platform.adapters.descriptor import AdapterInfo
from vision_platform.adapters.timm import names

DESCRIPTOR = AdapterInfo(
    framework="timm",
    adapter="vision_platform.adapters.timm.adapter:TimmAdapter",
    schema="vision_platform.adapters.timm.schema",
    package="timm",
    description="timm models for image classification (resnet50, efficientnet_b0, …)",
    tasks=("classification",),
    best_metrics={"classification": "val_acc"},
    claims=None,  # timm serves every name no other framework claims
    default_models={"classification": "resnet18"},
    common_models=names.common_models,
    implied_models=names.implied_models,
    weights_finder="vision_platform.adapters.timm.weights:find_pretrained",
)
