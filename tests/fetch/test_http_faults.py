"""Network faults against the real-format data server: each one is retried, resumed or refused with a message that
names the URL, and nothing half-written is left where the app reads data."""
from __future__ import annotations

import socket

import pytest

from copilot.fetch.drafts import fetch_drafts
from copilot.fetch.http import FetchError, HttpClient, HttpOptions, retry_after_seconds
from copilot.fetch.ratings import RatingsRequest, fetch_ratings
from copilot.fetch.store import LocalData

DRAFTS = "/data/draft_data_public.DSK.PremierDraft.csv.gz"
CARD_DATA = "/17lands/api/card_data"


def _store(tmp_path) -> LocalData:
    return LocalData(tmp_path / "home")


def _shared_draft_bytes(shared_data) -> bytes:
    return (shared_data / "picks" / "DSK" / "draft_data_public.DSK.PremierDraft.dev-sample.csv.gz").read_bytes()


def test_429_with_retry_after_is_waited_out_then_succeeds(data_server, urls, client, tmp_path):
    data_server.inject(CARD_DATA, ("status", 429, {"Retry-After": "1"}))
    res = fetch_ratings(RatingsRequest("DSK"), client=client, store=_store(tmp_path), urls=urls)
    assert res.status == "fetched" and res.endpoint == "card_data"
    assert client.waits == [1.0]  # the server's Retry-After, not the client's own 0.05 s backoff
    assert len(data_server.hits(CARD_DATA)) == 2


def test_retry_after_longer_than_the_limit_is_a_message_not_a_wait(data_server, urls, tmp_path):
    client = HttpClient(HttpOptions(max_wait_s=60))
    data_server.inject(CARD_DATA, ("status", 429, {"Retry-After": "3600"}))
    with pytest.raises(FetchError) as err:
        fetch_ratings(RatingsRequest("DSK"), client=client, store=_store(tmp_path), urls=urls)
    assert "3600 s" in str(err.value) and CARD_DATA in str(err.value) and err.value.status == 429
    assert client.waits == [] and not _store(tmp_path).ratings_path("DSK", "PremierDraft").exists()


def test_retry_after_as_http_date():
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412480.0) == 30.0
    assert retry_after_seconds("7") == 7.0 and retry_after_seconds("soon") is None


def test_500_then_success_backs_off_and_retries(data_server, urls, client, tmp_path):
    data_server.inject(DRAFTS, ("status", 500), ("status", 503))
    res = fetch_drafts("DSK", client=client, store=_store(tmp_path), urls=urls)
    assert res.status == "downloaded"
    assert client.waits == [0.05, 0.1]  # exponential backoff
    assert len(data_server.hits(DRAFTS)) == 3


def test_500_every_time_gives_up_with_the_url(data_server, urls, client, tmp_path):
    data_server.inject(DRAFTS, *[("status", 500)] * 4)
    with pytest.raises(FetchError) as err:
        fetch_drafts("DSK", client=client, store=_store(tmp_path), urls=urls)
    assert "HTTP 500" in str(err.value) and "gave up after 4 attempts" in str(err.value) and DRAFTS in str(err.value)
    assert not _store(tmp_path).drafts_path("DSK", "PremierDraft").exists()


def test_dropped_connection_is_resumed_byte_identical(data_server, urls, client, tmp_path, shared_data):
    data_server.inject(DRAFTS, ("drop", 700_000), ("drop", 900_000))  # the second drop is inside the resumed part
    res = fetch_drafts("DSK", client=client, store=_store(tmp_path), urls=urls)
    want = _shared_draft_bytes(shared_data)
    assert res.path.read_bytes() == want
    assert res.resumed_from == [700_000, 1_600_000]
    ranges = [r.headers.get("Range") for r in data_server.hits(DRAFTS)]
    assert ranges == [None, "bytes=700000-", "bytes=1600000-"]
    assert all(r.headers.get("If-Range") for r in data_server.hits(DRAFTS)[1:])  # a changed file is not spliced
    assert client.waits == []  # progress was made each time: resumed at once
    assert not res.path.with_name(res.path.name + ".part").exists()


def test_stalled_body_times_out_with_a_message_and_resumes_next_time(data_server, urls, tmp_path, shared_data):
    client = HttpClient(HttpOptions(read_timeout=0.5, retries=1, backoff_s=0.05))
    data_server.inject(DRAFTS, ("stall", 300_000), ("stall", 0), ("stall", 0))  # progress, then two dead tries
    store = _store(tmp_path)
    with pytest.raises(FetchError) as err:
        fetch_drafts("DSK", client=client, store=store, urls=urls)
    msg = str(err.value)
    assert err.value.kind == "timeout" and "stalled" in msg and "0.5 s" in msg and DRAFTS in msg
    dest = store.drafts_path("DSK", "PremierDraft")
    assert not dest.exists()  # nothing half-written where the app reads it
    part = dest.with_name(dest.name + ".part")
    assert part.stat().st_size == 300_000  # kept for the next attempt
    res = fetch_drafts("DSK", client=HttpClient(HttpOptions(backoff_s=0.05)), store=store, urls=urls)
    assert res.resumed_from == [300_000] and dest.read_bytes() == _shared_draft_bytes(shared_data)


def test_corrupt_gzip_is_refused_and_deleted(data_server, urls, client, tmp_path):
    data_server.inject(DRAFTS, ("corrupt",))
    store = _store(tmp_path)
    with pytest.raises(FetchError) as err:
        fetch_drafts("DSK", client=client, store=store, urls=urls)
    assert err.value.kind == "corrupt" and "gzip" in str(err.value) and DRAFTS in str(err.value)
    dest = store.drafts_path("DSK", "PremierDraft")
    assert sorted(p.name for p in dest.parent.iterdir()) == []  # neither the file nor a .part is left
    assert store.read_manifest("drafts", "DSK", "PremierDraft") is None


def test_invalid_json_is_refused_with_the_url(data_server, urls, client, tmp_path):
    data_server.inject("/17lands/", ("body", b'{"data": [{"name": "Fear of Exposure", "ever_drawn_win'),
                       ("body", b"<html>Service temporarily unavailable</html>"))
    store = _store(tmp_path)
    with pytest.raises(FetchError) as err:
        fetch_ratings(RatingsRequest("DSK"), client=client, store=store, urls=urls)
    msg = str(err.value)
    assert "not valid JSON" in msg and CARD_DATA in msg and "/17lands/card_ratings/data" in msg
    assert "<html>Service" in msg  # what the answer began with
    assert not store.ratings_dir.exists() or not any(store.ratings_dir.iterdir())


def test_new_endpoint_missing_falls_back_to_the_old_one(data_server, urls, client, tmp_path):
    data_server.inject(CARD_DATA, ("status", 404))
    store = _store(tmp_path)
    res = fetch_ratings(RatingsRequest("DSK"), client=client, store=store, urls=urls)
    assert res.endpoint == "card_ratings" and "/card_ratings/data?expansion=DSK&format=PremierDraft" in res.url
    assert "start_date=2019-01-01" in res.url and res.rated_cards == 276
    assert any("HTTP 404" in n for n in res.notes)
    assert store.read_manifest("ratings", "DSK", "PremierDraft")["endpoint"] == "card_ratings"


def test_offline_is_said_plainly(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    from copilot.fetch.config import BaseUrls

    client = HttpClient(HttpOptions(retries=1, backoff_s=0.01))
    with pytest.raises(FetchError) as err:
        fetch_ratings(RatingsRequest("DSK"), client=client, store=_store(tmp_path),
                      urls=BaseUrls(seventeenlands=f"http://127.0.0.1:{port}"))
    assert err.value.kind == "offline" and "are you offline" in str(err.value)
    assert f"127.0.0.1:{port}" in str(err.value)


def test_cancel_stops_a_download(data_server, urls, tmp_path):
    import threading

    cancel = threading.Event()
    client = HttpClient(HttpOptions(chunk=1 << 14), cancel=cancel)
    seen = []

    def progress(done, total):
        seen.append(done)
        if done > 500_000:
            cancel.set()

    with pytest.raises(FetchError) as err:
        client.download(f"{urls.seventeenlands_data}/draft_data_public.DSK.PremierDraft.csv.gz",
                        tmp_path / "x.csv.gz", progress=progress)
    assert err.value.kind == "cancelled" and not (tmp_path / "x.csv.gz").exists()


def test_json_answer_dropped_then_stalled_is_retried(data_server, urls, tmp_path):
    client = HttpClient(HttpOptions(read_timeout=0.5, retries=3, backoff_s=0.05))
    data_server.inject(CARD_DATA, ("drop", 5000), ("stall", 100))
    res = fetch_ratings(RatingsRequest("DSK"), client=client, store=_store(tmp_path), urls=urls)
    assert res.status == "fetched" and res.rated_cards == 276
    assert client.waits == [0.05, 0.1] and len(data_server.hits(CARD_DATA)) == 3


def test_json_answer_that_always_stalls_is_a_timeout_message(data_server, urls, tmp_path):
    client = HttpClient(HttpOptions(read_timeout=0.3, retries=1, backoff_s=0.01))
    data_server.inject(CARD_DATA, ("stall", 100), ("stall", 100))
    with pytest.raises(FetchError) as err:
        fetch_ratings(RatingsRequest("DSK"), client=client, store=_store(tmp_path), urls=urls)
    assert err.value.kind == "timeout" and "stalled: no data for 0.3 s" in str(err.value)
    assert CARD_DATA in str(err.value) and "gave up after 2 attempts" in str(err.value)
