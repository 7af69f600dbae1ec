"""Data files shipped with the package (country gazetteer)."""
