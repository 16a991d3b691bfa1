"""Pure name and birth-date matching: normalise, transliterate, parse, score, explain, index."""
