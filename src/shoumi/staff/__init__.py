"""Staff lifecycle records: confidentiality agreements, training, offboarding."""
