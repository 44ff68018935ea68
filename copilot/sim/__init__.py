"""Simulated 8-seat drafts: boosters, tables of engine seats, statistics against human drafts."""
