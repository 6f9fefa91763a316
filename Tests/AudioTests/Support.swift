import TestSupport

/// Golden files written by Tools/fixtures/make_audio_fixtures.py (librosa 0.11 with reflect padding, soundfile).
let fixtures = FixtureFolder(besides: #filePath)
