"""Language-model sizing: GPU memory, KV cache, token speed, GPU class and cost."""
