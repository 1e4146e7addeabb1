"""The benchmark harness (``python -m bench``): figures beside a baseline measured in the same run."""
