"""What the fetches give the rest of the app, with a fresh profile and no shared data: the ratings engine finds the
fetched ratings with no flag, the catalog has the fetched cards, refreshes are conditional, Scryfall is paged and
paced, images are cached, and the commands print JSON with the paths written."""
from __future__ import annotations

import json
import subprocess
import sys

from copilot.fetch.cards import fetch_cards
from copilot.fetch.drafts import fetch_drafts
from copilot.fetch.ratings import RatingsRequest, fetch_ratings, needs_daily_refresh
from copilot.fetch.store import LocalData


def test_fetched_ratings_are_found_by_the_engine_and_match_the_shared_ones(fresh_profile, urls, client,
                                                                          shared_data):
    from copilot.picking.ratings import find_ratings, load_ratings
    from copilot.picking.registry import create_engine

    assert find_ratings("DSK") is None  # nothing local yet
    res = fetch_ratings(RatingsRequest("DSK"), client=client, urls=urls)
    assert find_ratings("DSK") == res.path == fresh_profile / "ratings" / "DSK_PremierDraft_17lands.json"
    fetched = load_ratings(res.path)
    shared = load_ratings(shared_data / "ratings" / "derived_gih_28d" / "DSK_gih_28d.csv")
    rated = {k: r.gih_wr for k, r in fetched.cards.items() if r.gih_wr is not None}
    assert rated == {k: r.gih_wr for k, r in shared.cards.items()}  # the same GIH WR for every card, bit for bit
    engine = create_engine("ratings")
    assert engine.available("DSK") == (True, "")
    m = LocalData.default().read_manifest("ratings", "DSK", "PremierDraft")
    assert m["url"] == res.url and m["cards"] == 286 and m["rated_cards"] == 276
    assert m["games"]["max_gih_games"] == max(r.games for r in shared.cards.values())
    assert m["window"] == {"start": None, "end": None, "time_period": "ALL_TIME"} and m["fetched"].endswith("Z")


def test_other_set_ratings_from_the_17lands_set_file(fresh_profile, urls, client):
    from copilot.picking.ratings import find_ratings, load_ratings

    res = fetch_ratings(RatingsRequest("SOS", start="2026-04-21", end="2026-06-22", group="top"), client=client,
                        urls=urls)
    assert "start_date=2026-04-21" in res.url and "user_group=top" in res.url
    assert res.path.name == "SOS_PremierDraft_top_17lands.json" and find_ratings("SOS") == res.path
    assert len(load_ratings(res.path).rated_values()) == res.rated_cards > 250


def test_refresh_is_conditional(fresh_profile, urls, client, data_server):
    first = fetch_ratings(RatingsRequest("DSK"), client=client, urls=urls)
    mtime = first.path.stat().st_mtime_ns
    again = fetch_ratings(RatingsRequest("DSK"), client=client, urls=urls, refresh=True)
    assert again.status == "not-modified" and first.path.stat().st_mtime_ns == mtime
    assert data_server.hits("/17lands/api/card_data")[-1].headers.get("If-None-Match")
    assert not needs_daily_refresh("DSK")  # checked just now
    drafts = fetch_drafts("DSK", client=client, urls=urls)
    before = drafts.path.stat().st_mtime_ns
    second = fetch_drafts("DSK", client=client, urls=urls)
    assert second.status == "not-modified" and drafts.path.stat().st_mtime_ns == before
    assert data_server.hits("/data/")[-1].headers.get("If-None-Match")
    data_server.etag_version = "2"  # the file changed on the server: fetched again
    assert fetch_drafts("DSK", client=client, urls=urls).status == "downloaded"


def test_daily_refresh_is_due_after_a_day(fresh_profile, urls, client):
    fetch_ratings(RatingsRequest("DSK"), client=client, urls=urls)
    store = LocalData.default()
    m = store.read_manifest("ratings", "DSK", "PremierDraft")
    m["checked"] = "2020-01-01T00:00:00Z"
    store.write_manifest("ratings", "DSK", {k: v for k, v in m.items() if k not in ("kind", "set")},
                         "PremierDraft")
    assert needs_daily_refresh("DSK") and not needs_daily_refresh("ECL")  # ECL: never fetched, nothing to refresh


def test_scryfall_cards_paged_paced_and_merged_into_the_catalog(fresh_profile, urls, data_server):
    from copilot.cards.catalog import default_catalog
    from copilot.fetch.cards import scryfall_client

    assert default_catalog(use_cache=False).cards_in_set("DSK") == []
    data_server.page_size = 100
    res = fetch_cards("DSK", client=scryfall_client(), urls=urls)
    assert res.pages == 3 and res.cards == 276 and res.arena_ids == 276
    hits = data_server.hits("/scryfall/cards/search")
    assert [h.path.rsplit("page=", 1)[-1] for h in hits[1:]] == ["2", "3"]
    assert all(b.time - a.time >= 0.095 for a, b in zip(hits, hits[1:]))  # one at a time, >= 100 ms apart
    assert all(h.headers["User-Agent"].startswith("MagicCopilot/") for h in hits)
    cat = default_catalog(use_cache=False)
    dsk = cat.cards_in_set("DSK")
    assert len(dsk) == 271  # 276 printings less the 5 basic lands
    card = cat.by_name("Fear of Exposure")
    assert card.set_code == "DSK" and card.mana_cost and card.text and card.arena_id and card.type_line
    room = cat.by_name("Bottomless Pool // Locker Room")
    assert room is not None and room.rarity == "uncommon"


def test_card_images_on_request_are_cached(fresh_profile, urls, data_server):
    from copilot.cards.model import Card
    from copilot.fetch.cards import scryfall_client, search_pages, search_url
    from copilot.fetch.images import fetch_images, find_image
    from tests.data_server import ICON

    client = scryfall_client()
    objects, _ = search_pages(client, search_url(urls.scryfall, "DSK"))
    store = LocalData.default()
    first = fetch_images(objects[:3], client, store)
    assert first["fetched"] == 3 and first["failed"] == 0
    again = fetch_images(objects[:3], client, store)
    assert again["fetched"] == 0 and again["cached"] == 3
    card = Card(name=objects[0]["name"], arena_id=objects[0]["arena_id"])
    assert find_image(card).read_bytes() == ICON.read_bytes()
    assert find_image(Card(name="Not A Card", arena_id=1)) is None


def _cli(args, env):
    return subprocess.run([sys.executable, "-m", "copilot", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_cli_json_and_status(fresh_profile, data_server):
    import os

    env = dict(os.environ, **data_server.env())
    r = _cli(["data", "ratings", "--set", "dsk", "--json"], env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["ok"] and doc["path"].endswith("DSK_PremierDraft_17lands.json") and doc["rated_cards"] == 276
    r = _cli(["data", "cards", "--set", "DSK", "--json"], env)
    assert r.returncode == 0 and json.loads(r.stdout)["path"].endswith("DSK_scryfall.json.gz")
    r = _cli(["data", "status", "--json"], env)
    status = {e["set"]: e for e in json.loads(r.stdout)}
    assert status["DSK"]["ratings"]["used_by_engine"] and status["DSK"]["cards"]["cards"] == 276
    r = _cli(["data", "status"], env)
    assert "DSK" in r.stdout and "276 rated" in r.stdout
    r = _cli(["data", "ratings", "--set", "ECL", "--json"], env)  # no ratings for ECL on the server
    assert r.returncode == 2 and not json.loads(r.stdout)["ok"]
    assert "no 17lands ratings for ECL PremierDraft" in r.stderr
    r = _cli(["data", "drafts", "--set", "../etc"], env)
    assert r.returncode == 2 and "not a set code" in r.stderr
