"""Pages of the paper-materials app: thin views over the selectors and services."""
