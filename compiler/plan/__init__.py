"""plan stage of the compiler."""
