"""Fetching data for the set being drafted, on request only: 17lands card ratings and public draft files, Scryfall
card data and images.

- `http`: the HTTP client (timeouts on connect and read, retries with backoff on 429/5xx honouring Retry-After,
  conditional requests, resumable downloads written to a temporary name and renamed when whole, gzip checks);
- `config`: base URLs (settings, then COPILOT_17LANDS_URL / COPILOT_17LANDS_DATA_URL / COPILOT_SCRYFALL_URL);
- `store`: where fetched data lives under the user data folder, with one manifest per fetch;
- `ratings`, `cards`, `drafts`: the three fetches; `status`: what is local for each set.

Nothing here runs unless the user asked (a command, a click, or the opt-in daily ratings refresh).
This package sits above copilot.picking (a sibling of training/sim/commentary): nothing below imports it.
"""
from copilot.fetch.http import FetchError

__all__ = ["FetchError"]
