"""Rendering: printable QR cards, certificates, the learner record's summary and badge images.

Every PDF goes through one renderer (`cards`: one QR code drawing, one embedded font set up
once); `images` draws the generated badge pictures. Depends on the engine and the domain only.
"""
