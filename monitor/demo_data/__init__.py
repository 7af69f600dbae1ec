"""Demo data for ``monitor demo``: articles written for the demo (``articles.yaml``) and the seed document."""
