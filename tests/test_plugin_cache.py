"""PluginCache: files a plugin keeps between builds under a digest of their inputs."""

from __future__ import annotations

from gazette.plugin_cache import PluginCache, cache_key


def test_stored_files_come_back_under_the_same_key_only(tmp_path):
    cache = PluginCache(tmp_path / "search")
    files = {"a.json": b"{}", "deep/b.bin": bytes(range(256))}
    cache.store("index", "k1", files)
    assert cache.load("index", "k1") == files
    assert cache.load("index", "k2") is None
    assert cache.load("other", "k1") is None


def test_a_slot_keeps_only_its_latest_key(tmp_path):
    cache = PluginCache(tmp_path)
    cache.store("index", "k1", {"a": b"1"})
    cache.store("index", "k2", {"b": b"2"})
    assert cache.load("index", "k1") is None
    assert cache.load("index", "k2") == {"b": b"2"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.zip"]


def test_a_damaged_or_missing_entry_is_a_miss_never_an_error(tmp_path):
    cache = PluginCache(tmp_path / "never-created")
    assert cache.load("index", "k") is None
    cache = PluginCache(tmp_path)
    (tmp_path / "index.zip").write_bytes(b"not a zip")
    assert cache.load("index", "k") is None
    cache.store("index", "k", {"a": b"1"})
    assert cache.load("index", "k") == {"a": b"1"}


def test_a_folder_that_cannot_be_written_only_costs_time(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    cache = PluginCache(blocker / "search")
    cache.store("index", "k", {"a": b"1"})  # no exception
    assert cache.load("index", "k") is None


def test_keys_follow_every_part_and_ignore_dict_order():
    assert cache_key({"a": 1, "b": 2}, [1]) == cache_key({"b": 2, "a": 1}, [1])
    assert cache_key({"a": 1}, [1]) != cache_key({"a": 1}, [2])
    assert cache_key("ab", "c") != cache_key("a", "bc")
