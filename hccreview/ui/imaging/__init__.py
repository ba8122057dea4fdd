"""Image reading (issue 21): series in memory, background decoding, the slice viewer, calipers, linked viewers.

Reusable widgets with signals and no knowledge of the study store: the case's Images tab gives them volumes
(``volume.SeriesDescription.from_records``) and calipers, and turns their signals into edits.

- ``volume``: ``SeriesDescription``, ``SeriesVolume`` (one int16 array per series);
- ``decoder``: ``SliceDecoder`` (the slice on screen first, then outward);
- ``window_level``: HU → grey lookup tables;
- ``viewer``: ``SliceViewer`` (scroll, zoom, pan, window / level, presets, cine, caliper tool);
- ``calipers`` / ``caliper_tool`` / ``caliper_edit``: the caliper items, drawing them, dragging them;
- ``linked``: ``SliceLink`` / ``LinkBar`` (two viewers by patient position with an offset);
- ``pane``: ``ViewerPane`` (a viewer with its timepoint, series, preset and cine pickers);
- ``reading``: ``ReadingView`` (prior | current | second phase, linked);
- ``overlay_text``, ``coords``: the corner texts, image ↔ scene coordinates;
- ``bench_scenarios``: what ``hccreview bench`` times (image_scroll, image_first, image_memory).
"""
