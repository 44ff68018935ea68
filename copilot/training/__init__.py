"""Dataset build, training, export, model store."""
