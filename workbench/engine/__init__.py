"""The training engine: the loop, its hook points, checkpoints and evaluation. Runs in the trainer process."""
