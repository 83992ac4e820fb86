-- One timestamp format for TEXT columns (crates/core/src/store/timestamp.rs): RFC 3339, UTC,
-- exactly three fractional digits, `Z`. Rows written before it used `+00:00` and up to nine
-- fractional digits, which do not sort as text against the new ones. A value SQLite cannot read
-- is kept as it is rather than failing the upgrade.
UPDATE organizations
SET created_at = coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', created_at), created_at),
    updated_at = coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', updated_at), updated_at)
WHERE created_at NOT GLOB '????-??-??T??:??:??.???Z'
   OR updated_at NOT GLOB '????-??-??T??:??:??.???Z';

UPDATE settings
SET updated_at = coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', updated_at), updated_at)
WHERE updated_at NOT GLOB '????-??-??T??:??:??.???Z';
