"""Stage 4 of the builder: the Hub-ready ``nlc-loops/`` folder, its card, stats and upload."""
