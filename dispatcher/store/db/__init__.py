"""The database: engine and sessions, migrations, schema version, commit watching."""
