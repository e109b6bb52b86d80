"""Running Tandem: one service process, and the whole platform on the embedded default."""
