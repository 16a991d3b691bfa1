"""`watchlist persons …` and `watchlist demo`."""
