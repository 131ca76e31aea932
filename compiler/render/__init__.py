"""render stage of the compiler."""
