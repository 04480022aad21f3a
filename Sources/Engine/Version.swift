/// Bumped whenever a change alters what the engine computes; part of every cache key.
public let engineVersion = "0.3.0"
