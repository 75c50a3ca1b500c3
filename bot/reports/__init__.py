"""Reports: statistics gathered from the store, charts, text tables and exports."""
