"""PDF documents of paper custody: intake receipt, lending register, destruction record."""
