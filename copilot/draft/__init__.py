"""Draft state, boosters, the 8-seat simulator."""
