"""Stage 3 of the builder: corpus songs to finished-song records to the released pairs.

Ingest picks the songs (:mod:`.ingest`), each song becomes a record in the work folder
(:mod:`.song_task`, :mod:`.workdir`) on a Dask cluster (:mod:`.builder`), and the records
are assembled into pairs, splits and the frozen protocol (:mod:`.assemble`, :mod:`.splits`).
"""
