"""ONNX export of a timm classifier, checked against PyTorch before it is published."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

ONNX_TOLERANCE = 1e-4  # max |logit difference| allowed between ONNX Runtime and PyTorch


def export_onnx(
    model: torch.nn.Module, output: Path, *, image_size: int, metadata: dict[str, str]
) -> Path:
    """Export a classifier to ONNX (dynamic batch), store metadata, check it against PyTorch."""
    import warnings

    import onnx
    import onnxruntime as ort

    model = model.eval()
    dummy = torch.randn(2, 3, image_size, image_size)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    with warnings.catch_warnings():
        # The TorchScript exporter needs no extra packages; the dynamo one needs onnxscript.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            (dummy,),
            str(tmp),
            input_names=["images"],
            output_names=["logits"],
            opset_version=17,
            dynamo=False,
            dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
        )
    proto = onnx.load(str(tmp))
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(tmp))
    session = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
    with torch.inference_mode():
        expected = model(dummy).numpy()
    got = session.run(None, {"images": dummy.numpy()})[0]
    diff = float(np.abs(got - expected).max())
    if diff > ONNX_TOLERANCE:
        raise RuntimeError(f"ONNX export differs from PyTorch by {diff:.2e} (> {ONNX_TOLERANCE})")
    tmp.replace(output)
    return output
