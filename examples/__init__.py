"""Examples: the blog application that ``make demo`` serves."""
