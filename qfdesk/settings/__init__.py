"""The app's settings a trader edits: the record, its checks and the versioned file."""

from qfdesk.settings.model import FIELD_INFO, SCHEMA_VERSION, THEMES, AppSettings, FieldInfo
from qfdesk.settings.store import LoadResult, SettingsError, SettingsStore
from qfdesk.settings.validation import InvalidSetting, parse_value, problems

__all__ = [
    "FIELD_INFO",
    "SCHEMA_VERSION",
    "THEMES",
    "AppSettings",
    "FieldInfo",
    "InvalidSetting",
    "LoadResult",
    "SettingsError",
    "SettingsStore",
    "parse_value",
    "problems",
]
