"""Parameter initialisation (filled in by the nn work)."""
