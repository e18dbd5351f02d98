"""Progress reports: a period's figures, frozen when published, read as HTML, PDF and CSV.

What is where (import the module you need; this package re-exports nothing, so importing one
part never drags in the others, and ``services`` can use the snapshot while ``admin`` uses ``services``):

- ``periods``   report periods (2026-Q3, 2026-H2, 2026, or explicit dates) and the "has it ended" check
- ``snapshot``  ``build_snapshot(period)``: the figures as plain JSON, computed once from the database
- ``charts``    server-rendered SVG charts, readable without colour
- ``render``    the snapshot as HTML context, PDF bytes and CSV rows (never live data)
- ``pdf_store`` a published report's PDF: rendered once, stored on its row, served with an ETag
- ``views``, ``urls``   the public report pages (drafts for staff who may view reports)
- ``admin``     the staff admin: create, preview, refresh and publish (registered by ``apps.ready``)
"""
