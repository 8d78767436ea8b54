"""Repair flows: replacing a Bimetri token before it expires."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult


class JwtRenewFlow(ConfirmRepairFlow):
    """Confirm, then ask for a new token through the reauthentication flow."""

    def __init__(self, entry_id: str) -> None:
        """Bind the flow to the Bimetri entry."""
        self._entry_id = entry_id

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> FlowResult:
        """Start the entry's reauthentication once confirmed."""
        if user_input is not None and (
            entry := self.hass.config_entries.async_get_entry(self._entry_id)
        ):
            entry.async_start_reauth(self.hass)
        return await super().async_step_confirm(user_input)


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """The fix flow of an issue."""
    return JwtRenewFlow(str((data or {}).get("entry_id", "")))
