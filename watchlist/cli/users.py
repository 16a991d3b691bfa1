"""`watchlist users …` and `watchlist tokens …`."""
