"""Document scans: encrypted storage and traceable, watermarked copies."""
