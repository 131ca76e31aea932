"""spec stage of the compiler."""
