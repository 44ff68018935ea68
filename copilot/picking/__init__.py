"""Pick engines, prompt formats, evaluation."""
