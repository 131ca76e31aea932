"""The BentoML target (next): rules as Python, their interpreter and Bento names."""
