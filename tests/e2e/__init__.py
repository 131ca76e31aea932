"""The compiler as a whole process: the CLI, a fresh interpreter, the wheel, a stack's Makefile."""
