"""Using trained models: a warm model cache, batched prediction, ONNX Runtime, evaluation."""
