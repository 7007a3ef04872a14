"""The dataset builder, by stage: ``corpus/`` (songs in FMA's shape), ``extraction/`` (song to
loops, paper 3.2), ``roles/`` (drum/bass/other), ``build/`` (songs to records to pairs, splits
and the frozen protocol), ``release/`` (the Hub-ready ``nlc-loops/`` folder). What it writes is
read downstream through :mod:`nlc.loops`, never through this package."""
