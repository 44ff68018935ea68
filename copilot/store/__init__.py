"""The local model store: fine-tuned models that training writes and the engines read."""
