"""Arena Player.log: locate, tail, frame, decode into typed events."""
