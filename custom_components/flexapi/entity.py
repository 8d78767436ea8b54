"""Base entity and the one dynamic-entity mechanism every platform shares."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.helpers import entity_platform, entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .protocol.catalog import Parameter, Platform, lookup
from .protocol.store import ParameterStore
from .runtime import FlexApiConfigEntry, FlexApiRuntime

#: Entry states in which entities may be added (platforms set up while the
#: entry's setup is in progress).
_ADDING_STATES = (ConfigEntryState.SETUP_IN_PROGRESS, ConfigEntryState.LOADED)


@dataclass(frozen=True, kw_only=True)
class FlexApiEntityDescription(EntityDescription):
    """What every FlexAPI entity description adds: its data group and keys."""

    #: Data group whose freshness decides availability.
    group: str
    #: Store keys whose changes trigger a state write (the first is the key).
    keys: tuple[str, ...]
    placeholders: dict[str, str] | None = None


def description_kwargs(param: Parameter) -> dict[str, Any]:
    """Entity description fields every platform takes from a catalog entry."""
    placeholders = {"index": str(param.index)} if param.index is not None else None
    return {
        "key": param.key,
        "group": param.group,
        "keys": (param.key,),
        "translation_key": param.translation_key,
        "placeholders": placeholders,
        "entity_category": EntityCategory(param.entity_category)
        if param.entity_category
        else None,
        "entity_registry_enabled_default": param.enabled_default,
    }


def utc_from_timestamp(value: Any) -> datetime | None:
    """A UNIX timestamp as UTC; ``None`` for 0/None or one out of range."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


class FlexApiEntity(Entity):
    """An entity fed by the device runtime's store; it never touches MQTT."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: FlexApiEntityDescription

    def __init__(
        self, runtime: FlexApiRuntime, description: FlexApiEntityDescription
    ) -> None:
        """Bind the entity to its device and description."""
        self.runtime = runtime
        self.entity_description = description
        # Read on every state write: keep them one attribute lookup away.
        self._store = runtime.store
        self._group = description.group
        self._attr_unique_id = f"{runtime.client_id}_{description.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, runtime.client_id)})
        if description.placeholders:
            self._attr_translation_placeholders = description.placeholders

    @property
    def store(self) -> ParameterStore:
        """The device's canonical values."""
        return self._store

    @property
    def available(self) -> bool:
        """MQTT connected and the data group heard recently."""
        runtime = self.runtime
        return runtime.mqtt_connected and self._group not in runtime.stale

    async def async_added_to_hass(self) -> None:
        """Listen for changes of the entity's keys and group."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.runtime.async_add_listener(
                self._handle_update,
                self.entity_description.keys,
                (self.entity_description.group,),
            )
        )

    @callback
    def _handle_update(self) -> None:
        self.async_write_ha_state()


def entities_may_be_added(entry: FlexApiConfigEntry) -> bool:
    """Whether an entity may be added to ``entry`` now.

    Not once the entry unloads: an entity added then would outlive its
    entry (its state stays, and the next setup finds its unique ID taken).
    """
    return entry.state in _ADDING_STATES and not entry.runtime_data.stopped


def describe_catalog_key[E: FlexApiEntity](
    key: str, platform: Platform, build: Callable[[Parameter], E]
) -> list[E]:
    """The entity a reported catalog key of ``platform`` brings, if any."""
    param = lookup(key)
    if param is None or param.platform is not platform:
        return []
    return [build(param)]


@callback
def async_setup_dynamic_entities(
    entry: FlexApiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    describe: Callable[[str], Iterable[FlexApiEntity]],
    *,
    restorable: Callable[[str], bool] = lambda _key: True,
    derived: Iterable[FlexApiEntityDescription] = (),
    initial: Iterable[str] = (),
    initial_when: Callable[[str], bool] | None = None,
) -> None:
    """Add entities as their parameters are first reported; remove them.

    ``describe(key)`` returns the entities a newly reported store key brings.
    Keys already in the store (after a reload) are described at once, and so
    are the keys of this platform's entities in the entity registry: after a
    restart they are back (unknown until data comes) instead of "no longer
    provided" while the gateway is parked. An entity's registry key is its
    description key; ``derived`` lists the descriptions whose key is no store
    key (one entity made from other keys), so their first store key is
    described instead. ``restorable`` excludes keys whose entity needs data
    to be named. ``initial`` keys are described whatever the store holds:
    at once, or with ``initial_when``, once a key it accepts is reported
    (the trip entities, once the gateway reports trip data).

    A key the device no longer has (a deleted userdata key) takes the
    entities it is the first key of out of the entity registry.
    """
    runtime = entry.runtime_data
    #: unique_id -> entity, for every entity added.
    added: dict[str, FlexApiEntity] = {}
    source_key = {description.key: description.keys[0] for description in derived}
    initial_keys = list(initial)
    waiting = bool(initial_keys)

    @callback
    def _add(keys: Iterable[str]) -> None:
        nonlocal waiting
        if not entities_may_be_added(entry):
            return
        if waiting:
            keys = list(keys)
            if initial_when is None or any(initial_when(key) for key in keys):
                waiting = False
                keys = [*initial_keys, *keys]
        new = []
        for key in keys:
            for entity in describe(key):
                if (unique_id := entity.unique_id) is not None and (
                    unique_id not in added
                ):
                    added[unique_id] = entity
                    new.append(entity)
        if new:
            async_add_entities(new)

    @callback
    def _remove(keys: list[str]) -> None:
        gone = set(keys)
        registry = er.async_get(runtime.hass)
        for unique_id, entity in list(added.items()):
            if entity.entity_description.keys[0] not in gone:
                continue
            del added[unique_id]
            # Every entity has a unique id, so a registry entry; removing
            # that removes the entity from Home Assistant too.
            if (entity_id := entity.entity_id) and registry.async_get(entity_id):
                registry.async_remove(entity_id)

    prefix = f"{runtime.client_id}_"
    domain = entity_platform.async_get_current_platform().domain
    registered = [
        source_key.get(key, key)
        for registry_entry in er.async_entries_for_config_entry(
            er.async_get(runtime.hass), entry.entry_id
        )
        if registry_entry.domain == domain
        and registry_entry.unique_id.startswith(prefix)
        and restorable(key := registry_entry.unique_id.removeprefix(prefix))
    ]
    _add([*runtime.store.values, *registered])
    entry.async_on_unload(runtime.async_add_new_key_listener(_add))
    entry.async_on_unload(runtime.async_add_removed_key_listener(_remove))
