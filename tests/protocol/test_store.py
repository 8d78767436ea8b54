"""Tests of protocol/store.py: canonical values, aliases and freshness."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.flexapi.protocol.catalog import CATALOG, canonical_key
from custom_components.flexapi.protocol.limits import MAX_GROUP_ITEMS
from custom_components.flexapi.protocol.store import (
    MAX_UNMAPPED,
    Freshness,
    ParameterStore,
)
from custom_components.flexapi.protocol.topics import MAX_TOPIC_GROUPS

from .spec_examples import (
    CELLULAR1_INFO,
    CUSTOM_GROUP_INFO,
    CUSTOM_GROUPS,
    ONE_WIRE_REFRESH_RESP,
    SUMMARY_INFO,
)

SUMMARY_KEYS = {canonical_key(key)[0] for key in SUMMARY_INFO}
OUTPUT_KEYS = {key for n in range(1, 5) for key in (f"io.DO{n}", f"io.DO{n}_pullup")}


@pytest.fixture
def store() -> ParameterStore:
    return ParameterStore()


@pytest.fixture
def summary_store(store: ParameterStore) -> ParameterStore:
    store.ingest("summary", SUMMARY_INFO)
    return store


def _typed(store: ParameterStore, expected: dict[str, Any]) -> None:
    """Each key holds exactly the expected value, type included."""
    for key, value in expected.items():
        assert key in store.values, key
        actual = store.values[key]
        assert actual == value, key
        assert type(actual) is type(value), f"{key}: {actual!r}"


# ---------------------------------------------------------------------------
# Ingest


def test_ingest_summary_example(store: ParameterStore) -> None:
    result = store.ingest("summary", SUMMARY_INFO)

    assert len(SUMMARY_KEYS) == len(SUMMARY_INFO)
    assert store.values.keys() == SUMMARY_KEYS
    assert set(result.new) == SUMMARY_KEYS
    assert set(result.changed) == SUMMARY_KEYS
    assert len(result.changed) == len(SUMMARY_INFO)
    assert result.invalid == []
    assert result.groups == {"gnss", "obd", "io"}
    assert store.unmapped == {}
    # io.D01... became io.DO1..., and the device's spelling is remembered.
    assert not any(key.startswith("io.D0") for key in store.values)
    assert store.digit_zero == dict.fromkeys(OUTPUT_KEYS, True)
    _typed(
        store,
        {
            "gnss.ts": 1592820539,
            "gnss.latitude": 40.232213,
            "gnss.altitude": 346.0,
            "gnss.fix": 3,
            "gnss.num_sv": 7,
            "gnss.date": "2020-4-17",
            "gnss.time": "10:16:21",
            "obd.rpm": 1234.0,  # double in Appendix A, sent as 1234
            "obd.speed": 20,
            "obd.odo": 1400.0,
            "obd.up_time": 3600,
            "io.AI6": 0.0,
            "io.DI1": False,
            "io.DI6_pullup": False,
            "io.DO1": False,
            "io.DO4_pullup": False,
        },
    )
    for key, raw in SUMMARY_INFO.items():
        canon = canonical_key(key)[0]
        assert store.get(canon) == CATALOG[canon].coerce(raw)


def test_repeating_a_message_changes_nothing(summary_store: ParameterStore) -> None:
    before = dict(summary_store.values)
    result = summary_store.ingest("summary", SUMMARY_INFO)
    assert (result.changed, result.new, result.invalid) == ([], [], [])
    # The groups were still heard (freshness depends on it).
    assert result.groups == {"gnss", "obd", "io"}
    assert summary_store.values == before


def test_another_spelling_of_the_same_value_is_no_change(
    summary_store: ParameterStore,
) -> None:
    result = summary_store.ingest(
        "obd", {"obd.rpm": 1234.0, "obd.speed": "20", "obd.odo": "1400"}
    )
    assert result.changed == []
    result = summary_store.ingest("io", {"io.DO1": 0, "io.DI1": "0", "io.AI1": "0"})
    assert result.changed == []


def test_a_changed_value_reports_exactly_that_key(
    summary_store: ParameterStore,
) -> None:
    result = summary_store.ingest("summary", {**SUMMARY_INFO, "obd.rpm": 1500})
    assert result.changed == ["obd.rpm"]
    assert result.new == []
    assert summary_store.get("obd.rpm") == 1500.0


def test_a_changed_digit_zero_output(summary_store: ParameterStore) -> None:
    result = summary_store.ingest("io", {"io.D03": 1})
    assert result.changed == ["io.DO3"]
    assert summary_store.get("io.DO3") is True


def test_null_replaces_a_value(summary_store: ParameterStore) -> None:
    result = summary_store.ingest("io", {"io.AI1": None, "gnss.latitude": None})
    assert result.changed == ["io.AI1", "gnss.latitude"]
    assert result.invalid == []  # null is "unknown", not a bad value
    assert "io.AI1" in summary_store.values
    assert summary_store.get("io.AI1") is None
    assert summary_store.get("gnss.latitude") is None
    # And the value comes back.
    assert summary_store.ingest("io", {"io.AI1": None}).changed == []
    assert summary_store.ingest("io", {"io.AI1": 12.5}).changed == ["io.AI1"]
    assert summary_store.get("io.AI1") == 12.5


def test_garbage_replaces_a_value_and_is_reported(
    summary_store: ParameterStore,
) -> None:
    result = summary_store.ingest("io", {"io.AI1": "abc", "io.DI1": 7})
    assert result.changed == ["io.AI1", "io.DI1"]
    assert result.invalid == ["io.AI1", "io.DI1"]
    assert summary_store.get("io.AI1") is None
    assert summary_store.get("io.DI1") is None


def test_an_integer_beyond_exact_range_is_unknown(store: ParameterStore) -> None:
    """No device reading needs more than 2**53; such a number is garbage."""
    result = store.ingest("obd", {"obd.speed": 9010000000000000, "obd.rpm": 2**53})
    assert result.invalid == ["obd.speed"]
    assert store.get("obd.speed") is None
    assert store.get("obd.rpm") == 2**53


def test_out_of_range_values_are_stored(store: ParameterStore) -> None:
    # §3.3.2
    result = store.ingest("obd", {"obd.rpm": 34245, "obd.speed": 53255})
    assert result.invalid == []
    _typed(store, {"obd.rpm": 34245.0, "obd.speed": 53255})


def test_letter_o_spelling_is_remembered(summary_store: ParameterStore) -> None:
    summary_store.ingest("io", {"io.DO1": 0, "io.DO1_pullup": 0})
    assert summary_store.digit_zero["io.DO1"] is False
    assert summary_store.digit_zero["io.DO1_pullup"] is False
    assert summary_store.digit_zero["io.DO2"] is True


def test_cellular_example(store: ParameterStore) -> None:
    result = store.ingest("cellular1", CELLULAR1_INFO)
    assert result.groups == {"cellular1"}  # modem1.* belongs to cellular1
    assert result.invalid == []
    _typed(
        store,
        {
            "modem1.ts": 1598425365,
            "modem1.network": 3,
            "modem1.operator": "46001",
            "modem1.lac": "EA00",
            "cellular1.status": 3,
            "cellular1.down_at": 0,
            "cellular1.tx_bytes": 120488,
        },
    )
    assert CATALOG["modem1.network"].option(store.get("modem1.network")) == "4g"


def test_bare_one_wire_response(store: ParameterStore) -> None:
    result = store.ingest("1-wire", ONE_WIRE_REFRESH_RESP)
    assert result.groups == {"1-wire"}
    assert store.values.keys() == ONE_WIRE_REFRESH_RESP.keys()
    _typed(
        store,
        {
            "1-wire.ts": 1644560984,
            "1-wire.temp_num": 2,
            "1-wire.temp1_data": 24.06,
            "1-wire.temp2_name": "Outside",
        },
    )


def test_dynamic_keys(store: ParameterStore) -> None:
    result = store.ingest(
        "userdata",
        {
            "userdata.custom_key": "custom_value",
            "userdata.n": 5,
            "gnss.ul_ts": "1650000000",
        },
    )
    assert result.groups == {"userdata", "gnss"}
    _typed(
        store,
        {
            "userdata.custom_key": "custom_value",
            "userdata.n": "5",
            "gnss.ul_ts": 1650000000,
        },
    )


def test_unknown_key_of_a_known_group_is_heard_not_stored(
    store: ParameterStore,
) -> None:
    # Future firmware: a gnss.* key the catalog does not know yet. Its group
    # is heard; the key is listed for diagnostics, not stored.
    result = store.ingest("gnss", {"gnss.new_field": 5, "gnss.blob": [1, 2]})
    assert result.groups == {"gnss"}
    assert result.invalid == []
    assert result.new == []
    assert store.values == {}
    assert store.unmapped == {"gnss.new_field": 5}


def test_unknown_key_an_interest_names_is_kept_raw(store: ParameterStore) -> None:
    store.set_interest("gnss", {"gnss.new_field": "", "gnss.blob": ""})
    result = store.ingest("gnss", {"gnss.new_field": 5, "gnss.blob": [1, 2]})
    assert result.groups == {"gnss"}
    assert store.values == {"gnss.new_field": 5, "gnss.blob": None}
    # Equal but differently typed raw values are a change (1 == True).
    assert store.ingest("gnss", {"gnss.new_field": 5.0}).changed == ["gnss.new_field"]
    assert store.ingest("gnss", {"gnss.new_field": 5.0}).changed == []


def test_unknown_keys_go_to_unmapped(store: ParameterStore) -> None:
    result = store.ingest(
        "summary", {"foo": 1, "bar": "x", "baz": None, "nested": [1], "obj": {"a": 1}}
    )
    assert store.unmapped == {"foo": 1, "bar": "x", "baz": None}
    assert store.values == {}
    assert result.groups == set()
    assert (result.changed, result.new) == ([], [])


def test_get_unknown_key(store: ParameterStore) -> None:
    assert store.get("gnss.latitude") is None


# ---------------------------------------------------------------------------
# Aliases (§3.2.1 interest)


def test_alias_example_with_string_values(store: ParameterStore) -> None:
    # §3.2.1: interest {"obd.mil": "MIL", "obd.dtcs": "dtcNum"} reports
    # {"MIL": "1", "dtcNum": "3"}.
    store.set_interest("obd", {"obd.mil": "MIL", "obd.dtcs": "dtcNum"})
    result = store.ingest("obd", {"MIL": "1", "dtcNum": "3"})
    assert result.groups == {"obd"}
    assert set(result.changed) == {"obd.mil", "obd.dtcs"}
    assert store.values == {"obd.mil": True, "obd.dtcs": 3}
    assert store.unmapped == {}


def test_aliases_belong_to_their_topic_group(store: ParameterStore) -> None:
    store.set_interest("obd", {"obd.mil": "MIL"})
    store.ingest("summary", {"MIL": "1"})
    assert store.values == {}
    assert store.unmapped == {"MIL": "1"}


def test_custom_group_example(store: ParameterStore) -> None:
    # §4.2 with interest {"gnss.latitude": "lat", "io.AI1": "ai1", ...}
    store.set_interest(
        "group1",
        {
            "gnss.latitude": "lat",
            "io.AI1": "ai1",
            "obd.speed": "",
            "userdata.custom_key": "",
        },
    )
    result = store.ingest("group1", CUSTOM_GROUP_INFO)
    assert result.groups == {"gnss", "io", "obd", "userdata"}
    assert store.unmapped == {}
    _typed(
        store,
        {
            "gnss.latitude": 40.232213,
            "io.AI1": 1.0,
            "obd.speed": 50,
            "userdata.custom_key": "custom_value",
        },
    )


def test_alias_of_a_digit_zero_key(store: ParameterStore) -> None:
    # §4.1.1 group2: {"io.D01": "D01", ...}
    group2 = CUSTOM_GROUPS[1]
    store.set_interest(group2["group_name"], group2["interest"])
    store.ingest("group2", {"D01": 1, "DI2": "1"})
    assert store.values == {"io.DO1": True, "io.DI2": True}
    assert store.digit_zero == {"io.DO1": True}


def test_empty_or_identity_alias_keeps_the_canonical_key(store: ParameterStore) -> None:
    store.set_interest("obd", {"obd.odo": "", "obd.rpm": "obd.rpm", "obd.mil": "MIL"})
    assert store.aliases("obd") == {"MIL": "obd.mil"}
    store.ingest("obd", {"obd.odo": 1400, "obd.rpm": 900})
    assert store.values == {"obd.odo": 1400.0, "obd.rpm": 900.0}


def test_aliases_returns_a_copy(store: ParameterStore) -> None:
    store.set_interest("obd", {"obd.mil": "MIL"})
    store.aliases("obd")["X"] = "obd.rpm"
    assert store.aliases("obd") == {"MIL": "obd.mil"}
    assert store.aliases("gnss") == {}


@pytest.mark.parametrize("cleared", [None, {}, {"obd.mil": ""}])
def test_changing_the_interest_is_seen_at_once(
    store: ParameterStore, cleared: dict[str, str] | None
) -> None:
    store.set_interest("obd", {"obd.mil": "MIL"})
    store.ingest("obd", {"MIL": 1})
    assert store.values == {"obd.mil": True}
    store.set_interest("obd", cleared)
    assert store.aliases("obd") == {}
    store.ingest("obd", {"MIL": 0})
    assert store.values == {"obd.mil": True}
    assert store.unmapped == {"MIL": 0}
    store.set_interest("obd", {"obd.dtcs": "MIL"})
    store.ingest("obd", {"MIL": 4})
    assert store.get("obd.dtcs") == 4


# ---------------------------------------------------------------------------
# Freshness

DEFAULT_STALE = {"gnss", "obd", "io", "motion", "userdata", "1-wire"}


@pytest.mark.parametrize(
    ("group", "window"),
    [
        ("gnss", 30.0),
        ("obd", 30.0),
        ("io", 30.0),
        ("motion", 30.0),  # only the summary and motion topics carry it
        ("userdata", 30.0),
        ("1-wire", 30.0),
        ("cellular1", 90.0),  # 30 s default
        ("sysinfo", None),  # refresh only: never stale
        ("app", None),
        ("forward", None),
    ],
)
def test_default_windows(group: str, window: float | None) -> None:
    assert Freshness(3, started=0).window(group) == window


def test_multiplier_scales_windows() -> None:
    freshness = Freshness(2.5, started=0)
    assert freshness.window("gnss") == 25.0
    assert freshness.window("cellular1") == 75.0


@pytest.mark.parametrize(
    ("intervals", "window"),
    [
        ({"gnss": 60}, 20.0),  # the summary still uploads every 10 s
        ({"summary": 0}, 20.0),  # the gnss topic still uploads every 10 s
        ({"summary": 0, "gnss": 60}, 120.0),
        ({"summary": 5, "gnss": 60}, 10.0),
        ({"summary": 0, "gnss": 0}, None),  # interval 0 disables staleness
    ],
)
def test_interval_changes(intervals: dict[str, int], window: float | None) -> None:
    freshness = Freshness(2, started=0)
    assert freshness.window("gnss") == 20.0  # cached before the change
    for group, interval in intervals.items():
        freshness.set_interval(group, interval)
    assert freshness.window("gnss") == window


@pytest.mark.parametrize("group", ["gnss", "obd", "io", "motion"])
def test_summary_carries_gnss_obd_io_and_motion(group: str) -> None:
    freshness = Freshness(2, started=0)
    freshness.set_interval(group, 0)
    assert freshness.window(group) == 20.0  # still in the summary
    freshness.set_interval("summary", 0)
    assert freshness.window(group) is None


def test_summary_does_not_carry_cellular1() -> None:
    freshness = Freshness(2, started=0)
    freshness.set_interval("cellular1", 0)
    assert freshness.window("cellular1") is None


def test_custom_group_windows() -> None:
    freshness = Freshness(2, started=0)
    freshness.set_custom_group(
        "group1", 5, ["gnss.latitude", "io.D01", "lat", "userdata.x"]
    )
    assert freshness.carriers["group1"] == {"gnss", "io", "userdata"}
    assert (
        freshness.window("gnss"),
        freshness.window("io"),
        freshness.window("obd"),
    ) == (
        10.0,
        10.0,
        20.0,
    )
    freshness.set_custom_group("group2", 15, ["modem1.rsrp"])
    assert freshness.window("cellular1") == 30.0  # 15 s beats the 30 s default
    freshness.set_custom_group("group1", None, None)  # removed
    assert freshness.window("gnss") == 20.0
    assert "group1" not in freshness.carriers


def test_custom_group_that_only_disables_uploads() -> None:
    freshness = Freshness(2, started=0)
    freshness.set_custom_group("group1", 0, ["motion.ax"])
    freshness.set_interval("summary", 0)
    freshness.set_interval("motion", 0)
    assert freshness.window("motion") is None


def test_stale_groups_over_time() -> None:
    freshness = Freshness(2, started=1000.0)
    assert freshness.stale_groups(1000.0) == set()
    assert freshness.stale_groups(1020.0) == set()  # exactly the window
    assert freshness.stale_groups(1020.5) == DEFAULT_STALE
    assert freshness.stale_groups(1060.5) == {*DEFAULT_STALE, "cellular1"}

    freshness.seen({"gnss", "io"}, 1015.0)
    assert freshness.is_fresh("gnss", 1035.0)
    assert not freshness.is_fresh("obd", 1035.0)
    assert freshness.stale_groups(1035.0) == DEFAULT_STALE - {"gnss", "io"}
    assert freshness.stale_groups(1036.0) == DEFAULT_STALE


def test_groups_without_uploads_never_go_stale() -> None:
    freshness = Freshness(2, started=0)
    freshness.seen({"sysinfo", "app", "forward"}, 1.0)
    assert freshness.is_fresh("sysinfo", 1e9)
    assert not freshness.stale_groups(1e9) & {"sysinfo", "app", "forward"}
    freshness.set_interval("cellular1", 0)
    assert "cellular1" not in freshness.stale_groups(1e9)


def test_store_and_freshness_together() -> None:
    store, freshness = ParameterStore(), Freshness(2, started=0)
    freshness.seen(store.ingest("summary", SUMMARY_INFO).groups, 10.0)
    freshness.seen(store.ingest("cellular1", CELLULAR1_INFO).groups, 10.0)
    # The example summary has no motion keys, so motion was not heard.
    assert freshness.stale_groups(25.0) == {"motion", "userdata", "1-wire"}
    assert freshness.stale_groups(31.0) == DEFAULT_STALE
    assert freshness.stale_groups(71.0) == {*DEFAULT_STALE, "cellular1"}


def test_unknown_keys_are_capped_and_not_cached() -> None:
    """A gateway app inventing keys must not grow memory without bound."""
    store = ParameterStore()
    for n in range(MAX_UNMAPPED + 50):
        store.ingest("mygroup", {f"counter_{n}": n})
    assert len(store.unmapped) == MAX_UNMAPPED
    assert store._cache.get("mygroup", {}) == {}
    # A key already kept is still updated.
    store.ingest("mygroup", {"counter_0": "new"})
    assert store.unmapped["counter_0"] == "new"


def test_uploads_on_many_topic_groups_keep_the_tables_bounded() -> None:
    """Resolution caches and upload timing, per topic group, stay bounded."""
    store, freshness = ParameterStore(), Freshness(3, started=0)
    for n in range(5 * MAX_TOPIC_GROUPS):
        store.ingest(f"app{n}", {"gnss.fix": 3})
        freshness.observe(f"app{n}", float(n))
        freshness.observe(f"app{n}", float(n) + 100)
    assert len(store._cache) == MAX_TOPIC_GROUPS
    assert freshness._arrivals == {}
    assert freshness.observed == {}
    assert not freshness._gaps
    # The newest group still resolves through its cache; reserved groups time.
    assert f"app{5 * MAX_TOPIC_GROUPS - 1}" in store._cache
    freshness.observe("gnss", 1.0)
    assert "gnss" in freshness._arrivals


def test_a_removed_custom_group_forgets_its_timing() -> None:
    freshness = Freshness(3, started=0)
    freshness.set_custom_group("trip", 10, ["gnss.speed"])
    for now in (0.0, 10.0, 40.0, 70.0):
        freshness.observe("trip", now)
    assert freshness.observed["trip"] == 30.0
    freshness.set_custom_group("trip", None, None)
    assert "trip" not in freshness._arrivals
    assert "trip" not in freshness.observed
    assert "trip" not in freshness._gaps


def test_keys_outside_the_catalog_do_not_grow_the_store() -> None:
    """20 uploads of 500 invented ``gnss.k*`` keys leave the store bounded.

    A key with a known group prefix but no catalog entry (and no interest
    naming it) is not stored: at most ``MAX_UNMAPPED`` are listed as
    unmapped. The group is still heard, and catalog keys still count.
    """
    store = ParameterStore()
    before = len(store.ingest("summary", SUMMARY_INFO).new)
    for upload in range(20):
        data: dict[str, Any] = {f"gnss.k{upload}_{n}": n for n in range(500)}
        data["gnss.fix"] = upload % 4
        result = store.ingest("gnss", data)
        assert result.groups == {"gnss"}
        assert all(key == "gnss.fix" for key in result.new)
    assert len(store.values) == before
    assert store.get("gnss.fix") == 3
    assert len(store.unmapped) == MAX_UNMAPPED
    assert sum(len(cache) for cache in store._cache.values()) <= len(CATALOG)


def test_interest_keys_outside_the_catalog_are_stored() -> None:
    """A key a group's interest names (e.g. with an alias) is kept."""
    store = ParameterStore()
    store.set_interest("mygroup", {"obd.custom_pid": "pid", "gnss.extra": ""})
    store.ingest("mygroup", {"pid": 7, "gnss.extra": "x"})
    assert store.get("obd.custom_pid") == 7
    assert store.get("gnss.extra") == "x"
    # No longer of interest: such keys are not stored any more.
    store.set_interest("mygroup", None)
    store.ingest("gnss", {"gnss.other": 1})
    assert "gnss.other" not in store.values


def test_userdata_keys_are_stored_up_to_the_group_item_limit() -> None:
    """At most MAX_GROUP_ITEMS (§2.3) userdata keys; known ones keep updating."""
    from custom_components.flexapi.protocol.store import MAX_USERDATA_KEYS

    store = ParameterStore()
    for upload in range(2):
        store.ingest(
            "userdata",
            {f"userdata.k{upload}_{n}": str(n) for n in range(MAX_GROUP_ITEMS * 2)},
        )
    userdata = [key for key in store.values if key.startswith("userdata.")]
    assert len(userdata) == MAX_USERDATA_KEYS == MAX_GROUP_ITEMS
    assert store.ingest("userdata", {"userdata.k0_0": "changed"}).changed == [
        "userdata.k0_0"
    ]
    # A deleted key makes room for another.
    store.remove(["userdata.k0_0"])
    assert store.ingest("userdata", {"userdata.late": "1"}).new == ["userdata.late"]
    assert store.ingest("userdata", {"userdata.later": "1"}).new == []


def test_an_oversized_interest_admits_at_most_the_group_item_limit() -> None:
    """A foreign group/get answer naming 1,000 keys lets 256 of them in."""
    store = ParameterStore()
    store.set_interest("mygroup", {f"obd.x{n}": f"x{n}" for n in range(1000)})
    store.ingest("mygroup", {f"x{n}": n for n in range(1000)})
    assert len(store.values) == MAX_GROUP_ITEMS
    assert len(store.aliases("mygroup")) == MAX_GROUP_ITEMS
