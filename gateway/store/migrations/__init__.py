"""SQL migrations, applied in order by gateway.store.migrator."""
