"""Reads a safetensors file with the reference Python package and prints what it sees as JSON,
so SafeTensorsTests can check that LatentBook's writer interoperates."""
import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

path = sys.argv[1]
tensors = load_file(path)
with safe_open(path, framework="np") as f:
    metadata = f.metadata() or {}
print(json.dumps({
    "tensors": {
        name: {"dtype": str(a.dtype), "shape": list(a.shape), "sum": float(a.astype(np.float64).sum())}
        for name, a in tensors.items()
    },
    "metadata": metadata,
}))
