"""Commentary on a pick by an OpenAI-compatible chat model."""
