"""The live path without Qt: follow Player.log, keep the ArenaState, persist it (`session.LiveSession`)."""
