"""The sentence-enforcement watchlist service."""
